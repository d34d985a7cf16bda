package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogitLensTest {

    /** The lens of the last layer is the model's output itself. */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "models/stories260K", "fixtures/gemma-tiny", "fixtures/llama-gqa",
        "glassbox-fixtures/gptneox-tiny", "fixtures/gemma2-tiny", "fixtures/olmo2-tiny", "fixtures/granite-tiny",
        "fixtures/smollm3-tiny", "fixtures/mixtral-tiny", "fixtures/qwen2-moe-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny"})
    void lastLayerLensEqualsTheModelsLogits(String dir) {
        JsonNode r = Reference.reference(dir).get("results").get(1);
        long[] ids = Reference.longs(r.get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int layers = model.config().numLayers();
            float[][] expected = model.logits(ids);
            float[][] lens;
            try (ActivationCache cache = model.runWithCache(ids, LogitLens.hookNames(layers)::contains)) {
                lens = LogitLens.stageLogits(model, cache, layers);
            }
            assertEquals(ids.length, lens.length);
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < expected[t].length; v++) {
                    assertEquals(expected[t][v], lens[t][v], 1e-5, dir + " position " + t + " token " + v);
                }
            }
            // and transformers' last logits too
            float[] last = Reference.floats(r.get("last_logits"));
            for (int v = 0; v < last.length; v++) {
                assertEquals(last[v], lens[ids.length - 1][v], 1e-4 * Math.max(1, Math.abs(last[v])));
            }

            long target = Reference.longs(r.get("positions").get(ids.length - 1).get("topk_ids"))[0];
            LogitLens.Result res = LogitLens.run(model, ids, 3, target);
            assertEquals(layers + 1, res.stages().size());
            assertEquals("blocks.0.resid_pre", res.stages().get(0));
            assertEquals("blocks." + (layers - 1) + ".resid_post", res.stages().get(layers));
            int lastPos = ids.length - 1;
            assertEquals(1, res.targetRanks(lastPos)[layers]);
            float topLp = Reference.floats(r.get("positions").get(lastPos).get("topk_logprobs"))[0];
            assertEquals(Math.exp(topLp), res.targetProbs(lastPos)[layers], 1e-4);
            assertEquals(target, res.cell(layers, lastPos).top().get(0).id());
            for (int s = 0; s <= layers; s++) {
                for (int p = 0; p < ids.length; p++) {
                    LogitLens.Cell c = res.cell(s, p);
                    assertEquals(3, c.top().size());
                    assertTrue(c.top().get(0).prob() >= c.top().get(1).prob());
                    assertTrue(c.target().rank() >= 1);
                }
            }
        }
    }

    /**
     * Intermediate stages, checked by hand: LayerNorm of transformers' hidden state (computed
     * here from the checkpoint's ln_f weights) times Eᵀ.
     */
    @Test
    void intermediateStagesMatchAHandComputedLensOfTheReferenceHiddenStates() {
        String dir = "fixtures/gpt2-tiny";
        JsonNode r = Reference.reference(dir).get("results").get(0);
        long[] ids = Reference.longs(r.get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int d = model.config().hiddenSize();
            int vocab = model.config().vocabSize();
            float[] w = model.block().finalNorm().weight().getArray().toFloatArray();
            float[] b = model.block().finalNorm().bias().getArray().toFloatArray();
            float[] e = model.block().unembedding().toFloatArray();
            int layers = model.config().numLayers();
            int last = ids.length - 1;
            try (ActivationCache cache = model.runWithCache(ids, LogitLens.hookNames(layers)::contains)) {
                for (int s = 0; s < layers; s++) { // hidden_states_last[s] is stage s (not final-normed yet)
                    float[] h = Reference.floats(r.get("hidden_states_last").get(s));
                    double mean = 0;
                    for (float x : h) {
                        mean += x;
                    }
                    mean /= d;
                    double var = 0;
                    for (float x : h) {
                        var += (x - mean) * (x - mean);
                    }
                    double sd = Math.sqrt(var / d + 1e-5);
                    float[] lens = LogitLens.stageLogits(model, cache, s)[last];
                    for (int v = 0; v < vocab; v++) {
                        double logit = 0;
                        for (int i = 0; i < d; i++) {
                            logit += ((h[i] - mean) / sd * w[i] + b[i]) * e[v * d + i];
                        }
                        assertEquals(logit, lens[v], 2e-4 * Math.max(1, Math.abs(logit)), "stage " + s + " token " + v);
                    }
                }
            }
        }
    }
}
