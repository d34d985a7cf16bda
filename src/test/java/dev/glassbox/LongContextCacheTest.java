package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cached generations that run past a sliding window (per-layer windows included) give the logits
 * of recomputation, and a longrope generation that crosses original_max_position_embeddings does
 * what transformers' cached generate() does.
 */
class LongContextCacheTest {

    @TempDir
    Path tmp;

    /** Greedy through the KV cache, each step's log-prob and argmax checked against a full recomputation. */
    static void cachedEqualsRecomputation(LanguageModel model, long[] prompt, int steps, String what) {
        SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(steps).build();
        GenerationResult res = new Generator(model).generate(prompt, cfg);
        assertEquals(steps, res.ids().length, what);
        long[] all = new long[prompt.length + steps];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(res.ids(), 0, all, prompt.length, steps);
        float[][] logits = model.logits(all);
        for (int s = 0; s < steps; s++) {
            float[] row = logits[prompt.length - 1 + s];
            assertEquals(LogitsParityTest.logSoftmax(row, (int) res.ids()[s]), res.tokens().get(s).logprob(), 1e-4, what + " step " + s);
            int argmax = 0;
            for (int v = 1; v < row.length; v++) {
                argmax = row[v] > row[argmax] ? v : argmax;
            }
            assertEquals(argmax, res.ids()[s], what + " step " + s + " greedy id");
        }
    }

    @Test
    void gemmaGenerationsPastTheirWindowEqualRecomputation() {
        long[] prompt = {5, 17, 99, 230, 41, 7, 300, 12, 64};
        for (String dir : new String[] {"fixtures/gemma2-tiny", "fixtures/gemma3-tiny"}) {
            try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
                assertEquals(40, model.config().slidingWindow());
                cachedEqualsRecomputation(model, prompt, 50, dir); // 59 positions, window 40
            }
        }
    }

    /** A copy of a fixture whose config.json is edited (the weights are copied as they are). */
    Path edited(String dir, Consumer<ObjectNode> edit) throws IOException {
        Path src = Reference.model(dir);
        Path dst = Files.createDirectories(tmp.resolve(src.getFileName()));
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        ObjectMapper om = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) om.readTree(dst.resolve("config.json").toFile());
        edit.accept(cfg);
        om.writeValue(dst.resolve("config.json").toFile(), cfg);
        return dst;
    }

    @Test
    void perLayerWindowsOfQwenSmolLmAndMistralConfigs() throws IOException {
        long[] prompt = {5, 17, 99, 230, 41, 7};
        Object[][] cases = {
            // qwen3 with use_sliding_window: layers from max_window_layers on slide
            {"fixtures/qwen3-tiny", (Consumer<ObjectNode>) c -> {
                c.put("use_sliding_window", true).put("sliding_window", 8).put("max_window_layers", 1);
                c.remove("layer_types");
            }},
            // smollm3: windows on the NoPE layer
            {"fixtures/smollm3-tiny", (Consumer<ObjectNode>) c -> {
                c.put("use_sliding_window", true).put("sliding_window", 8);
                c.remove("layer_types");
            }},
            {"fixtures/mistral-tiny", (Consumer<ObjectNode>) c -> c.put("sliding_window", 8)},
        };
        for (Object[] k : cases) {
            String dir = (String) k[0];
            @SuppressWarnings("unchecked")
            Consumer<ObjectNode> edit = (Consumer<ObjectNode>) k[1];
            Path windowed = edited(dir, edit);
            try (LanguageModel model = LanguageModel.load(windowed); LanguageModel full = LanguageModel.load(Reference.model(dir))) {
                assertTrue(model.config().sliding(), dir);
                cachedEqualsRecomputation(model, prompt, 20, dir + " with window 8");
                // the window must bite: past it, the windowed model's logits differ from the full one's
                long[] ids = new long[20];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 4 + (i * 37) % 200;
                }
                float[] a = model.logits(ids)[19];
                float[] b = full.logits(ids)[19];
                double diff = 0;
                for (int v = 0; v < a.length; v++) {
                    diff = Math.max(diff, Math.abs(a[v] - b[v]));
                }
                assertTrue(diff > 1e-3, dir + ": the window changed nothing (" + diff + ")");
            }
        }
    }

    @Test
    void qwenLayerTypesOverrideMaxWindowLayers() throws IOException {
        Path p = edited("fixtures/qwen3-tiny", c -> {
            c.put("use_sliding_window", true).put("sliding_window", 8).put("max_window_layers", 0);
            c.putArray("layer_types").add("sliding_attention").add("full_attention");
        });
        try (LanguageModel model = LanguageModel.load(p)) {
            assertEquals(8, model.config().layer(0).window());
            assertEquals(null, model.config().layer(1).window());
        }
    }

    /**
     * A longrope generation crossing original_max_position_embeddings (128): glassbox recomputes
     * the sequence at the crossing, so its cached greedy equals transformers run without a cache
     * at every step (rope/longrope_crossing.json); see the README for what transformers' own
     * generate() does instead.
     */
    @Test
    void longropeCrossingTheOriginalContextEqualsRecomputation() {
        JsonNode ref = Reference.json(Reference.model("glassbox-fixtures/rope").resolve("longrope_crossing.json"));
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/phi3-longrope-tiny"))) {
            long[] prompt = Reference.longs(ref.get("input_ids"));
            JsonNode rec = ref.get("recompute");
            long[] expected = Reference.longs(rec.get("ids"));
            assertTrue(prompt.length < 128 && prompt.length + expected.length > 128);
            SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false)
                    .maxNewTokens(expected.length).alternatives(5).build();
            GenerationResult res = new Generator(model).generate(prompt, cfg);
            assertArrayEquals(expected, res.ids());
            for (int s = 0; s < expected.length; s++) {
                JsonNode step = rec.get("steps").get(s);
                float[] lps = Reference.floats(step.get("topk_logprobs"));
                long[] top = Reference.longs(step.get("topk_ids"));
                for (int k = 0; k < lps.length; k++) {
                    assertEquals(top[k], res.tokens().get(s).alternatives().get(k).tokenId(), "step " + s + " alt " + k);
                    assertEquals(lps[k], res.tokens().get(s).alternatives().get(k).logprob(), 1e-4, "step " + s + " alt " + k);
                }
            }
            // and the short/long switch matters: the cache kept across the crossing would have differed
            assertTrue(!java.util.Arrays.equals(expected, Reference.longs(ref.get("mixed").get("ids"))));
        }
    }
}
