package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.hooks.ActivationCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hidden states and the last layer's attention probabilities, read through the hook names,
 * equal transformers' output_hidden_states / output_attentions (reference.json).
 */
class ActivationsParityTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {
        "fixtures/gpt2-tiny", "models/tiny-gpt2-random", "models/capp-gpt2-tiny", "models/stories260K",
        "fixtures/llama-gqa", "fixtures/llama31-rope", "fixtures/mistral-tiny", "fixtures/qwen2-tiny",
        "fixtures/phi3-tiny", "fixtures/gemma-tiny",
        "fixtures/qwen3-tiny", "fixtures/gemma2-tiny", "fixtures/gemma3-tiny", "fixtures/phi3-longrope-tiny",
        "fixtures/olmo2-tiny", "fixtures/llama-yarn-tiny", "fixtures/llama-bias-tiny", "fixtures/granite-tiny",
        "fixtures/smollm3-tiny", "glassbox-fixtures/gptneox-tiny", "glassbox-fixtures/gptneox-seq-tiny", "fixtures/mixtral-tiny",
        "fixtures/qwen2-moe-tiny", "glassbox-fixtures/mixtral-top1-window-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny"
    })
    void hiddenStatesAndAttentionMatch(String dir) {
        JsonNode ref = Reference.reference(dir);
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int layers = model.config().numLayers();
            for (JsonNode r : ref.get("results")) {
                long[] ids = Reference.longs(r.get("input_ids"));
                int t = ids.length;
                try (ActivationCache cache = model.runWithCache(ids, n -> true)) {
                    JsonNode hidden = r.get("hidden_states_last");
                    assertEquals(layers + 1, hidden.size());
                    for (int i = 0; i <= layers; i++) {
                        String name = i == 0 ? HookNames.block(0, "resid_pre")
                                : i == layers ? HookNames.LN_FINAL
                                : HookNames.block(i - 1, "resid_post");
                        float[] all = cache.floats(name);
                        int d = model.config().hiddenSize();
                        float[] last = java.util.Arrays.copyOfRange(all, (t - 1) * d, t * d);
                        assertClose(Reference.floats(hidden.get(i)), last, dir + " " + name);
                    }
                    JsonNode att = r.get("last_layer_attentions");
                    String pattern = HookNames.block(layers - 1, "attn.pattern");
                    assertArrayEquals(new long[] {1, model.config().numHeads(), t, t}, cache.shape(pattern));
                    float[] p = cache.floats(pattern);
                    for (int h = 0; h < att.size(); h++) {
                        for (int q = 0; q < t; q++) {
                            float[] row = Reference.floats(att.get(h).get(q));
                            float[] mine = java.util.Arrays.copyOfRange(p, (h * t + q) * t, (h * t + q + 1) * t);
                            assertClose(row, mine, dir + " head " + h + " query " + q);
                        }
                    }
                }
            }
        }
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) / Math.max(1.0, Math.abs(expected[i]));
            assertTrue(err < TOL, what + "[" + i + "]: expected " + expected[i] + " found " + actual[i]);
        }
    }
}
