package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Greedy continuations through the KV cache equal transformers' generate(), token for token. */
class GenerationParityTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "fixtures/gpt2-tiny", "models/tiny-gpt2-random", "models/capp-gpt2-tiny", "models/stories260K",
        "fixtures/llama-gqa", "fixtures/llama-tied", "fixtures/llama31-rope", "fixtures/llama-bf16",
        "fixtures/llama-sharded", "fixtures/llama-pickle-bin", "fixtures/mistral-tiny", "fixtures/qwen2-tiny", "fixtures/phi3-tiny",
        "fixtures/gemma-tiny",
        "fixtures/qwen3-tiny", "fixtures/gemma2-tiny", "fixtures/gemma3-tiny", "fixtures/phi3-longrope-tiny",
        "fixtures/olmo2-tiny", "fixtures/llama-yarn-tiny", "fixtures/llama-bias-tiny", "fixtures/granite-tiny",
        "fixtures/smollm3-tiny", "glassbox-fixtures/gptneox-tiny", "glassbox-fixtures/gptneox-seq-tiny", "fixtures/mixtral-tiny",
        "fixtures/qwen2-moe-tiny", "glassbox-fixtures/mixtral-top1-window-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny"
    })
    void greedyIdsAndStepLogprobsMatch(String dir) {
        JsonNode ref = Reference.reference(dir);
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            Generator gen = new Generator(model);
            for (JsonNode r : ref.get("results")) {
                long[] prompt = Reference.longs(r.get("input_ids"));
                JsonNode g = r.get("generate");
                long[] expected = Reference.longs(g.get("ids"));
                SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false)
                        .maxNewTokens(expected.length).alternatives(5).build();
                GenerationResult res = gen.generate(prompt, cfg);
                assertArrayEquals(expected, res.ids(), dir + " prompt of " + prompt.length);
                for (int s = 0; s < expected.length; s++) {
                    JsonNode step = g.get("steps").get(s);
                    float[] lps = Reference.floats(step.get("topk_logprobs"));
                    var alts = res.tokens().get(s).alternatives();
                    for (int k = 0; k < lps.length; k++) {
                        assertEquals(lps[k], alts.get(k).logprob(), 1e-4 * Math.max(1, Math.abs(lps[k])), dir + " step " + s + " alt " + k);
                    }
                }
            }
        }
    }

    @Test
    void kvCacheEqualsRecomputation() {
        for (String dir : new String[] {"fixtures/gpt2-tiny", "fixtures/llama-gqa", "fixtures/phi3-tiny", "fixtures/gemma-tiny",
                "glassbox-fixtures/gptneox-tiny", "glassbox-fixtures/gptneox-seq-tiny", "fixtures/qwen3-tiny", "fixtures/gemma2-tiny",
                "fixtures/gemma3-tiny", "fixtures/phi3-longrope-tiny", "fixtures/olmo2-tiny", "fixtures/granite-tiny",
                "fixtures/smollm3-tiny", "fixtures/llama-yarn-tiny", "fixtures/mixtral-tiny", "fixtures/qwen2-moe-tiny",
                "glassbox-fixtures/mixtral-top1-window-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny"}) {
            try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
                long[] prompt = Reference.longs(Reference.reference(dir).get("results").get(0).get("input_ids"));
                SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(12).build();
                GenerationResult res = new Generator(model).generate(prompt, cfg);
                long[] all = new long[prompt.length + res.ids().length];
                System.arraycopy(prompt, 0, all, 0, prompt.length);
                System.arraycopy(res.ids(), 0, all, prompt.length, res.ids().length);
                // Without the cache: run the whole sequence at once and compare each step's log-prob.
                float[][] logits = model.logits(all);
                for (int s = 0; s < res.ids().length; s++) {
                    float[] row = logits[prompt.length - 1 + s];
                    double lp = LogitsParityTest.logSoftmax(row, (int) res.ids()[s]);
                    assertEquals(lp, res.tokens().get(s).logprob(), 1e-4, dir + " step " + s);
                    int argmax = 0;
                    for (int v = 1; v < row.length; v++) {
                        if (row[v] > row[argmax]) {
                            argmax = v;
                        }
                    }
                    assertEquals(argmax, res.ids()[s], dir + " step " + s + " greedy id");
                }
            }
        }
    }

    @Test
    void storiesTellsTheLilyStory() {
        try (LanguageModel model = LanguageModel.load(Reference.model("models/stories260K"))) {
            SamplingConfig cfg = SamplingConfig.builder().greedy(true).maxNewTokens(30).build();
            GenerationResult res = new Generator(model).generate(new long[] {1}, cfg);
            assertTrue(res.text().startsWith("Once upon a time, there was a little girl named Lily"), res.text());
        }
    }

    @Test
    void cacheGrowsPastItsFirstCapacity() {
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/gpt2-tiny"))) {
            long[] prompt = {1, 2, 3};
            float[][] ref = model.logits(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
            try (var m = model.manager().newSubManager(); var cache = model.newCache(m, 2)) {
                var ctx = new dev.glassbox.blocks.ForwardContext(cache, null);
                var x = m.create(prompt, new ai.djl.ndarray.types.Shape(1, 3));
                model.block().forward(x, ctx, false);
                for (long id = 4; id <= 10; id++) {
                    var step = m.create(new long[] {id}, new ai.djl.ndarray.types.Shape(1, 1));
                    float[] got = model.block().forward(step, ctx, false).toFloatArray();
                    float[] want = ref[(int) id - 1];
                    for (int v = 0; v < want.length; v++) {
                        assertEquals(want[v], got[v], 1e-4, "position " + (id - 1));
                    }
                }
                assertTrue(cache.capacity() >= 10, Arrays.toString(new int[] {cache.capacity()}));
            }
        }
    }
}
