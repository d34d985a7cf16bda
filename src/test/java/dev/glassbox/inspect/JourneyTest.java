package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class JourneyTest {

    static final String GPT2 = "fixtures/gpt2-tiny";
    static final String STORIES = "models/stories260K";

    /** One reference input of gpt2-tiny: the journey's numbers against transformers'. */
    @Test
    void aStepAgreesWithTheReference() {
        JsonNode r = Reference.reference(GPT2).get("results").get(0);
        long[] ids = Reference.longs(r.get("input_ids"));
        int t = ids.length;
        try (LanguageModel model = LanguageModel.load(Reference.model(GPT2))) {
            int layers = model.config().numLayers();
            int heads = model.config().numHeads();
            int d = model.config().hiddenSize();
            JourneyReport rep = Journey.run(model, ids, null, Journey.Options.defaults());
            assertEquals(JourneyReport.FORMAT, rep.format());
            assertEquals(1, rep.steps().size());
            assertEquals("steps", rep.stopReason());
            JourneyReport.Step s = rep.steps().get(0);
            assertEquals(t - 1, s.position());
            assertArrayEquals(ids, s.contextIds());
            // shapes at each stage
            assertArrayEquals(new long[] {t}, s.embedding().idsShape());
            assertArrayEquals(new long[] {t, d}, s.embedding().shape());
            assertEquals("learned", s.embedding().positionKind());
            assertNotNull(s.embedding().positionRow());
            assertEquals(layers, s.layers().size());
            JourneyReport.Layer l0 = s.layers().get(0);
            assertArrayEquals(new long[] {t, heads, d / heads}, l0.qShape());
            assertArrayEquals(new long[] {t, t}, l0.scoresShape());
            assertArrayEquals(new long[] {d, d}, l0.woShape());
            assertArrayEquals(new long[] {t, model.config().vocabSize()}, s.output().logitsShape());
            // every layer: probs = softmax(scores), computed here
            for (JourneyReport.Layer l : s.layers()) {
                assertEquals(t, l.scores().length);
                double max = Double.NEGATIVE_INFINITY;
                for (float x : l.scores()) {
                    max = Math.max(max, x);
                }
                double z = 0;
                for (float x : l.scores()) {
                    z += Math.exp(x - max);
                }
                for (int j = 0; j < t; j++) {
                    assertEquals(Math.exp(l.scores()[j] - max) / z, l.probs()[j], 1e-5);
                }
            }
            // the residual stream leaving the last layer, then final norm and logits
            float[] hidden = Reference.floats(r.get("hidden_states_last").get(layers - 1));
            double hn = 0;
            for (float x : hidden) {
                hn += x * x;
            }
            // hidden_states_last[layers-1] is the output of block layers-2 = input of the last layer
            assertEquals(Math.sqrt(hn), s.layers().get(layers - 1).residInNorm(), 1e-3 * Math.sqrt(hn));
            float[] hFinal = Reference.floats(r.get("hidden_states_last").get(layers));
            double fn = 0;
            for (float x : hFinal) {
                fn += x * x;
            }
            assertEquals(Math.sqrt(fn), s.output().finalNormNorm(), 1e-3 * Math.sqrt(fn));
            JsonNode pos = r.get("positions").get(t - 1);
            long[] topIds = Reference.longs(pos.get("topk_ids"));
            float[] topLp = Reference.floats(pos.get("topk_logprobs"));
            for (int j = 0; j < 3; j++) {
                assertEquals(Math.exp(topLp[j]), s.output().top().get(j).prob(), 1e-4);
            }
            assertEquals(topIds[0], s.decoding().chosenId());
            assertEquals(topIds[0], s.appended().id());
            assertEquals(t, s.appended().position());
            assertArrayEquals(new long[] {topIds[0]}, rep.generatedIds());
            assertNull(s.actualNext());
            // attribution of the chosen token: its logit, and the largest terms first
            assertEquals(Reference.floats(r.get("last_logits"))[(int) topIds[0]], s.attribution().logit(), 1e-4);
            List<LogitAttribution.Term> terms = s.attribution().top();
            for (int i = 1; i < terms.size(); i++) {
                assertTrue(Math.abs(terms.get(i - 1).value()) >= Math.abs(terms.get(i).value()));
            }
            // heatmaps: the last layer's patterns are transformers' attentions
            JsonNode att = r.get("last_layer_attentions");
            assertEquals(0, rep.attention().first());
            assertEquals(t, rep.attention().tokens().size());
            for (int h = 0; h < heads; h++) {
                for (int q = 0; q < t; q++) {
                    float[] row = Reference.floats(att.get(h).get(q));
                    for (int k = 0; k < t; k++) {
                        assertEquals(row[k], rep.attention().patterns()[layers - 1][h][q][k], 1e-4);
                    }
                }
            }
            // lens grid: the last stage predicts what the model predicts, at every position
            JourneyReport.LensGrid g = rep.lens();
            assertEquals(layers + 1, g.stages().size());
            for (int p = 0; p < t; p++) {
                float[] lp = Reference.floats(r.get("positions").get(p).get("topk_logprobs"));
                if (Math.abs(lp[0] - lp[1]) > 1e-4) {
                    assertEquals(Reference.longs(r.get("positions").get(p).get("topk_ids"))[0], g.top()[layers][p].id(), "position " + p);
                }
                assertEquals(Math.exp(lp[0]), g.top()[layers][p].prob(), 1e-4);
            }
            assertEquals(topIds[0], g.targetId());
            assertEquals(1, g.targetRanks()[layers]);
        }
    }

    /** --position cuts the input there and reports the token that followed. */
    @Test
    void aPositionInsideThePromptShowsTheActualNextToken() {
        JsonNode r = Reference.reference(GPT2).get("results").get(0);
        long[] ids = Reference.longs(r.get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model(GPT2))) {
            JourneyReport rep = Journey.run(model, ids, null, Journey.Options.defaults().withPosition(4));
            JourneyReport.Step s = rep.steps().get(0);
            assertEquals(4, s.position());
            assertEquals(5, s.contextIds().length);
            assertEquals(ids[5], s.actualNext().id());
            float next = Reference.floats(r.get("next_token_logprobs"))[4];
            assertEquals(next, s.actualNext().logprob(), 1e-4);
            assertEquals(5, s.appended().position());
            assertThrows(GlassboxException.class, () -> Journey.run(model, ids, null, Journey.Options.defaults().withPosition(ids.length)));
            assertThrows(GlassboxException.class, () -> Journey.run(model, ids, null, Journey.Options.defaults().withSteps(0)));
        }
    }

    /** Several greedy steps generate what the generator (with its KV cache) generates. */
    @Test
    void greedyStepsFollowTheGenerator() {
        try (LanguageModel model = LanguageModel.load(Reference.model(STORIES))) {
            long[] ids = model.tokenizer().encode("Once upon a time");
            JourneyReport rep = Journey.run(model, ids, "Once upon a time", Journey.Options.defaults().withSteps(6));
            GenerationResult g = new Generator(model).generate(ids,
                    SamplingConfig.builder().greedy(true).maxNewTokens(6).stopAtEos(false).build());
            assertArrayEquals(g.ids(), rep.generatedIds());
            // the README's story: "Once upon a time, there was a little girl ..."
            assertTrue(rep.generatedText().startsWith(", there was a"), rep.generatedText());
            assertEquals(6, rep.steps().size());
            for (int i = 0; i < 6; i++) {
                JourneyReport.Step s = rep.steps().get(i);
                assertEquals(ids.length + i, s.contextIds().length);
                assertEquals(ids.length + i - 1, s.position());
                assertEquals("rotary", s.embedding().positionKind());
                assertNull(s.embedding().positionRow());
                assertArrayEquals(new long[] {ids.length + i, 4, 8}, s.layers().get(0).kShape()); // GQA: 4 kv heads
            }
            // the final pass covers every token but the last one generated
            assertEquals(ids.length + 5, rep.attention().tokens().size());
            assertEquals(rep.generatedIds()[5], rep.lens().targetId());
        }
    }

    /** A seeded sampling journey draws what the generator draws with the same seed. */
    @Test
    void seededSamplingFollowsTheGenerator() {
        try (LanguageModel model = LanguageModel.load(Reference.model(STORIES))) {
            long[] ids = model.tokenizer().encode("Once upon a time");
            SamplingConfig cfg = SamplingConfig.builder().temperature(1.5).topK(20).seed(1234L).build();
            JourneyReport rep = Journey.run(model, ids, null, Journey.Options.defaults().withSteps(5).withSampling(cfg));
            GenerationResult g = new Generator(model).generate(ids, cfg.toBuilder().maxNewTokens(5).stopAtEos(false).build());
            assertArrayEquals(g.ids(), rep.generatedIds());
            assertFalse(rep.sampling().greedy());
            assertEquals(1234L, rep.sampling().seed());
            for (JourneyReport.Step s : rep.steps()) {
                DecodingView.Result d = s.decoding();
                assertEquals(20, d.keptCount());
                assertTrue(d.survivors().stream().anyMatch(c -> c.id() == d.chosenId()));
                double[] p = s.output().topProbsAtTemperature();
                assertTrue(p[0] < s.output().top().get(0).prob()); // T > 1 flattens
            }
        }
    }

    /** The journey caches only what it shows: exactly these activations. */
    @Test
    void theCacheHoldsOnlyTheNamesTheJourneyNeeds() {
        JsonNode r = Reference.reference(GPT2).get("results").get(2);
        long[] ids = Reference.longs(r.get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model(GPT2))) {
            var c = model.config();
            long t = ids.length;
            long d = c.hiddenSize();
            long perLayer = 2L * c.numHeads() * t * t + 5 * t * d + t * c.intermediateSize();
            long expected = 4 * (4 * t * d + c.numLayers() * perLayer + t * c.vocabSize());
            JourneyReport rep = Journey.run(model, ids, null, Journey.Options.defaults());
            assertEquals(expected, rep.cacheBytes());
            try (ActivationCache all = model.runWithCache(ids, n -> true)) {
                assertTrue(all.bytes() > rep.cacheBytes());
            }
        }
    }

    @Test
    void textFitsEightyColumnsAndJsonHasTheDocumentedFields() throws Exception {
        try (LanguageModel model = LanguageModel.load(Reference.model("models/tiny-gpt2-random"))) {
            String prompt = "The capital of France is";
            long[] ids = model.tokenizer().encode(prompt);
            assertArrayEquals(new long[] {464, 3139, 286, 4881, 318}, ids); // tokenizer_reference.json
            JourneyReport rep = Journey.run(model, ids, prompt, Journey.Options.defaults().withSteps(2).withTopK(4));
            String text = JourneyText.render(rep);
            for (String line : text.split("\n")) {
                assertTrue(line.codePointCount(0, line.length()) <= 80, "too wide: " + line);
            }
            assertTrue(text.contains("[5] -> [5, 16]"), text);
            assertTrue(text.contains("' France'"));
            assertTrue(text.contains("STEP 2 of 2"));

            JsonNode j = new ObjectMapper().readTree(JourneyJson.render(rep, false));
            assertEquals("glassbox.journey/1", j.get("format").asText());
            assertEquals(16, j.get("model").get("hidden_size").asInt());
            assertEquals("learned", j.get("model").get("positions").asText());
            assertEquals(prompt, j.get("prompt").asText());
            assertEquals(5, j.get("prompt_tokens").size());
            assertEquals("ĠFrance", j.get("prompt_tokens").get(3).get("string").asText());
            assertEquals(2, j.get("steps").size());
            JsonNode s0 = j.get("steps").get(0);
            for (String f : List.of("step", "position", "context_ids", "embedding", "layers", "output", "attribution", "decoding",
                    "actual_next", "appended")) {
                assertTrue(s0.has(f), f);
            }
            assertEquals("[5,16]", s0.get("embedding").get("shape").toString());
            JsonNode l0 = s0.get("layers").get(0);
            for (String f : List.of("q_shape", "k_shape", "v_shape", "head", "scores", "probs", "sources", "sources_averaged", "z_norm",
                    "wo_shape", "attn_out_norm", "mlp_width", "mlp_active_fraction", "resid_out_norm", "lens")) {
                assertTrue(l0.has(f), f);
            }
            assertEquals(4, s0.get("output").get("top").size());
            assertEquals(rep.generatedIds()[0], s0.get("decoding").get("chosen_id").asLong());
            assertEquals(rep.generatedIds()[0], s0.get("appended").get("id").asLong());
            assertEquals(6, j.get("steps").get(1).get("context_ids").size());
            assertEquals(2, j.get("generated_ids").size());
            assertEquals(1, j.get("attention").get("patterns").size());
            assertEquals(2, j.get("lens").get("stages").size());
            assertTrue(j.get("cache_bytes").asLong() > 0);
            assertTrue(Arrays.stream(new String[] {"steps", "eos", "context_full"}).anyMatch(x -> x.equals(j.get("stop_reason").asText())));
        }
    }

    /** The journey runs on the new architectures and its output step agrees with transformers. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"fixtures/gemma2-tiny", "fixtures/olmo2-tiny", "fixtures/qwen3-tiny",
        "fixtures/smollm3-tiny", "fixtures/phi3-longrope-tiny"})
    void runsOnNewArchitectures(String dir) {
        JsonNode r = Reference.reference(dir).get("results").get(0);
        long[] ids = Reference.longs(r.get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            JourneyReport rep = Journey.run(model, ids, null, Journey.Options.defaults());
            JourneyReport.Step s = rep.steps().get(0);
            assertEquals(model.config().numLayers(), s.layers().size(), dir);
            JsonNode lastPos = r.get("positions").get(ids.length - 1);
            assertEquals(lastPos.get("topk_ids").get(0).asLong(), s.output().top().get(0).id(), dir);
            assertEquals(lastPos.get("topk_logprobs").get(0).asDouble(), s.output().top().get(0).logprob(), 1e-4, dir);
        }
    }
}
