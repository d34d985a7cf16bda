package dev.glassbox.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * On every architecture a padded batch gives each row what the row gives alone (the single runs
 * are the ones the parity tests hold to transformers): last logits, per-position log-probs, and
 * generation token for token, greedy and sampled, with rows that stop at different steps.
 */
class BatchConsistencyTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {
        // learned positions; grouped-query rotary; softcaps and windows; local and global rope; residual
        // scales; whole-projection q/k norm; yarn; partial rotary with a parallel residual; MoE with a
        // shared expert; longrope below its crossing
        "fixtures/gpt2-tiny", "fixtures/llama-gqa", "fixtures/gemma2-tiny", "fixtures/gemma3-tiny", "fixtures/granite-tiny",
        "fixtures/olmo2-tiny", "fixtures/llama-yarn-tiny", "glassbox-fixtures/gptneox-tiny", "fixtures/qwen2-moe-tiny",
        "fixtures/phi3-longrope-tiny"
    })
    void everyRowEqualsItsSingleRun(String dir) {
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            List<long[]> prompts = prompts(model.config(), new int[] {1, 9, 23}, 7);
            float[][] last = model.lastLogits(prompts);
            List<Scoring.Result> scored = model.scoreBatch(prompts);
            for (int i = 0; i < prompts.size(); i++) {
                long[] p = prompts.get(i);
                float[][] alone = model.logits(p);
                BatchParityTest.assertClose(alone[p.length - 1], last[i], dir + " row " + i + " last logits");
                double[] next = model.score(p).nextTokenLogprobs();
                for (int t = 0; t < next.length; t++) {
                    assertEquals(next[t], scored.get(i).nextTokenLogprobs()[t], TOL * Math.max(1, Math.abs(next[t])), dir + " row " + i + " pos " + t);
                }
            }
            // Rows stop at different steps: max_new_tokens differs by row through max_length.
            assertGenerationMatches(model, prompts, SamplingConfig.builder().greedy(true).stopAtEos(false).maxLength(30).build(), dir);
            assertGenerationMatches(model, prompts,
                    SamplingConfig.builder().greedy(false).temperature(1.3).topK(40).seed(11L).stopAtEos(false).maxNewTokens(8).build(), dir);
        }
    }

    /** A sliding window that bites: a one-token row beside a 60-token row (window 40). */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gemma2-tiny", "fixtures/gemma3-tiny", "glassbox-fixtures/mixtral-top1-window-tiny"})
    void slidingWindowBatchOfOneAndSixty(String dir) {
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            Integer window = null;
            for (int l = 0; l < model.config().numLayers(); l++) {
                if (model.config().layer(l).window() != null) {
                    window = model.config().layer(l).window();
                }
            }
            assertTrue(window != null && window < 60, dir + " has a window shorter than 60 tokens: " + window);
            List<long[]> prompts = prompts(model.config(), new int[] {1, 60}, 3);
            List<Scoring.Result> scored = model.scoreBatch(prompts);
            for (int i = 0; i < 2; i++) {
                Scoring.Result alone = model.score(prompts.get(i));
                BatchParityTest.assertClose(alone.lastLogits(), scored.get(i).lastLogits(), dir + " row " + i);
                for (int t = 0; t < alone.nextTokenLogprobs().length; t++) {
                    assertEquals(alone.nextTokenLogprobs()[t], scored.get(i).nextTokenLogprobs()[t], TOL, dir + " row " + i + " pos " + t);
                }
            }
            assertGenerationMatches(model, prompts, SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(10).build(), dir);
        }
    }

    /**
     * Longrope in a batch: the factors follow the longest row (transformers: the batch's max
     * position id), so the longest row equals its single run across the crossing, in scoring and in
     * generation (the cache is recomputed when the batch crosses).
     */
    @Test
    void longropeCrossingFollowsTheLongestRow() {
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/phi3-longrope-tiny"))) {
            List<long[]> prompts = prompts(model.config(), new int[] {40, 120}, 5);
            SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(16).alternatives(3).build();
            List<GenerationResult> batch = model.generateBatch(prompts, cfg);
            GenerationResult alone = model.generate(prompts.get(1), cfg);
            assertArrayEquals(alone.ids(), batch.get(1).ids());
            for (int s = 0; s < alone.ids().length; s++) {
                assertEquals(alone.tokens().get(s).logprob(), batch.get(1).tokens().get(s).logprob(), TOL, "step " + s);
            }
            List<long[]> past = prompts(model.config(), new int[] {40, 140}, 6);
            float[][] last = model.lastLogits(past);
            float[][] single = model.logits(past.get(1));
            BatchParityTest.assertClose(single[139], last[1], "140-token row");
        }
    }

    static void assertGenerationMatches(LanguageModel model, List<long[]> prompts, SamplingConfig cfg, String dir) {
        List<GenerationResult> batch = model.generateBatch(prompts, cfg);
        boolean differentLengths = false;
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult alone = model.generate(prompts.get(i), cfg);
            assertArrayEquals(alone.ids(), batch.get(i).ids(), dir + " row " + i + " " + cfg);
            assertEquals(alone.stopReason(), batch.get(i).stopReason(), dir + " row " + i);
            assertEquals(alone.text(), batch.get(i).text(), dir + " row " + i);
            for (int s = 0; s < alone.ids().length; s++) {
                assertEquals(alone.tokens().get(s).logprob(), batch.get(i).tokens().get(s).logprob(), TOL, dir + " row " + i + " step " + s);
            }
            differentLengths |= batch.get(i).ids().length != batch.get(0).ids().length;
        }
        if (cfg.maxLength() != null) {
            assertTrue(differentLengths, "rows finish at different steps");
        }
    }

    /** Random ids (fixed seed) of the given lengths, inside the vocabulary. */
    static List<long[]> prompts(ModelConfig c, int[] lengths, long seed) {
        Random rnd = new Random(seed);
        List<long[]> out = new ArrayList<>();
        for (int n : lengths) {
            long[] p = new long[n];
            for (int i = 0; i < n; i++) {
                p[i] = 3 + rnd.nextInt(c.vocabSize() - 3);
            }
            out.add(p);
        }
        return out;
    }
}
