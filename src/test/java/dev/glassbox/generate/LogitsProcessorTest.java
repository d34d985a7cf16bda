package dev.glassbox.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Every expectation below is worked out by hand in the comments, never produced by the code. */
class LogitsProcessorTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private static final long[] NO_CONTEXT = new long[0];

    /** Logits whose softmax is exactly the given probabilities (they sum to 1): log(p). */
    private static float[] logitsOf(double... probs) {
        float[] out = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            out[i] = (float) Math.log(probs[i]);
        }
        return out;
    }

    /** Ids whose processed logit is finite, ascending. */
    private static int[] kept(float[] processed) {
        return java.util.stream.IntStream.range(0, processed.length)
                .filter(i -> processed[i] != NEG_INF)
                .toArray();
    }

    private static float[] run(SamplingConfig cfg, float[] logits, long... context) {
        return new LogitsProcessor(cfg).process(logits, context);
    }

    private static SamplingConfig.Builder sampling() {
        return SamplingConfig.builder().seed(1L);
    }

    // ---- repetition penalty ------------------------------------------------------------------

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeScores() {
        // penalty 2: 2.0 -> 2/2 = 1.0 (seen, positive); -1.0 -> -1*2 = -2.0 (seen, negative);
        // 0.5 and 3.0 are unseen and stay. Token 1 occurs twice but is penalised once (HF gathers the
        // original score and scatters the penalised one, so repeats do not compound).
        float[] out = run(sampling().repetitionPenalty(2.0).build(),
                new float[] {2.0f, -1.0f, 0.5f, 3.0f}, 0, 1, 1);
        assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, 3.0f}, out);
    }

    @Test
    void repetitionPenaltyAppliesWhenGreedyToo() {
        // 1.5: 3.0 / 1.5 = 2.0; -2.0 * 1.5 = -3.0; token 2 (4.0) unseen.
        float[] out = run(SamplingConfig.builder().greedy(true).repetitionPenalty(1.5).build(),
                new float[] {3.0f, -2.0f, 4.0f}, 1, 0);
        assertArrayEquals(new float[] {2.0f, -3.0f, 4.0f}, out);
    }

    @Test
    void repetitionPenaltyRejectsIdsOutsideTheVocabulary() {
        LogitsProcessor p = new LogitsProcessor(sampling().repetitionPenalty(1.2).build());
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> p.process(new float[] {1f, 2f}, new long[] {2}));
        assertTrue(e.getMessage().contains("2"), e.getMessage());
    }

    @Test
    void processLeavesTheInputUntouched() {
        float[] logits = {1f, 2f, 3f};
        run(sampling().repetitionPenalty(2.0).temperature(0.5).topK(1).build(), logits, 2);
        assertArrayEquals(new float[] {1f, 2f, 3f}, logits);
    }

    // ---- temperature -------------------------------------------------------------------------

    @Test
    void temperatureDividesEveryScore() {
        // T = 0.5: 2/0.5 = 4, -1/0.5 = -2, 0.5/0.5 = 1.  T = 2: 1, -0.5, 0.25 (all exact in float).
        assertArrayEquals(new float[] {4.0f, -2.0f, 1.0f},
                run(sampling().temperature(0.5).build(), new float[] {2.0f, -1.0f, 0.5f}));
        assertArrayEquals(new float[] {1.0f, -0.5f, 0.25f},
                run(sampling().temperature(2.0).build(), new float[] {2.0f, -1.0f, 0.5f}));
    }

    @Test
    void greedyAppliesNoWarpers() {
        // HF runs temperature/top-k/top-p/min-p only when sampling.
        float[] logits = {2.0f, -1.0f, 0.5f};
        SamplingConfig cfg = SamplingConfig.builder()
                .greedy(true).temperature(0.5).topK(1).topP(0.1).minP(0.9).build();
        assertArrayEquals(logits, run(cfg, logits));
    }

    // ---- top-k -------------------------------------------------------------------------------

    @Test
    void topKKeepsExactlyK() {
        // The 2 largest of {1,5,3,4} are 5 (id 1) and 4 (id 3).
        assertArrayEquals(new float[] {NEG_INF, 5f, NEG_INF, 4f},
                run(sampling().topK(2).build(), new float[] {1f, 5f, 3f, 4f}));
    }

    @Test
    void topKKeepsTiesAtTheBoundary() {
        // k = 2 on {3,3,3,1}: the 2nd largest is 3, and every score >= 3 stays: three tokens.
        assertArrayEquals(new int[] {0, 1, 2}, kept(run(sampling().topK(2).build(), new float[] {3f, 3f, 3f, 1f})));
        // k = 2 on {1,3,3,2}: 2nd largest is 3 -> ids 1 and 2, no extra.
        assertArrayEquals(new int[] {1, 2}, kept(run(sampling().topK(2).build(), new float[] {1f, 3f, 3f, 2f})));
        // k = 1 with a tied maximum keeps both maxima.
        assertArrayEquals(new int[] {1, 2}, kept(run(sampling().topK(1).build(), new float[] {2f, 7f, 7f})));
    }

    @Test
    void topKAtLeastVocabularyKeepsAll() {
        float[] logits = {1f, 2f, 3f};
        assertArrayEquals(logits, run(sampling().topK(3).build(), logits));
        assertArrayEquals(logits, run(sampling().topK(100).build(), logits));
    }

    // ---- top-p -------------------------------------------------------------------------------

    // Distribution for the top-p cases: probs 0.5, 0.3, 0.15, 0.05 (ids 0..3).
    // HF sorts ascending: 0.05, 0.15, 0.3, 0.5 -> cumulative 0.05, 0.20, 0.50, 1.00, and removes every
    // token whose cumulative probability is <= 1 - top_p (keeping the highest regardless).
    //  * top_p 0.79: 1 - 0.79 = 0.21. 0.05 <= 0.21 and 0.20 <= 0.21 -> ids 3 and 2 go; 0.50 > 0.21.
    //    Kept: {0, 1} (mass 0.8 >= 0.79).
    //  * top_p 0.81: 0.19. Only 0.05 <= 0.19 -> id 3 goes; 0.20 > 0.19. Kept: {0, 1, 2}.
    //  * top_p 0.80 exactly: 0.20 <= 0.20 mathematically, so HF's rule removes id 2 and keeps {0, 1};
    //    but 1 - 0.8 and the float softmax cumsum are both only approximately 0.2, so which side the
    //    comparison lands on is decided by rounding (in torch as here). It is not asserted; the
    //    exact-boundary behaviour of "<=" is asserted with exactly representable numbers below.
    //  * top_p 0.45: 0.55. 0.05, 0.20, 0.50 are all <= 0.55 -> only id 0 stays.
    //  * top_p 0.96: 0.04. Nothing is <= 0.04 -> all four stay.
    //  * top_p 0.01: 0.99. Everything but the top is removed; the top always stays.
    private static final double[] P4 = {0.5, 0.3, 0.15, 0.05};

    @Test
    void topPOnAHandMadeDistribution() {
        assertArrayEquals(new int[] {0, 1}, kept(run(sampling().topP(0.79).build(), logitsOf(P4))));
        assertArrayEquals(new int[] {0, 1, 2}, kept(run(sampling().topP(0.81).build(), logitsOf(P4))));
        assertArrayEquals(new int[] {0}, kept(run(sampling().topP(0.45).build(), logitsOf(P4))));
        assertArrayEquals(new int[] {0, 1, 2, 3}, kept(run(sampling().topP(0.96).build(), logitsOf(P4))));
        assertArrayEquals(new int[] {0}, kept(run(sampling().topP(0.01).build(), logitsOf(P4))));
    }

    @Test
    void topPRemovesTokensWhoseCumulativeProbabilityEqualsTheThreshold() {
        // Four equal logits: probs exactly 0.25; ascending cumulative 0.25, 0.5, 0.75, 1.0 and
        // 1 - 0.5 = 0.5, all exact in binary. HF's "<=" removes the first two (0.25 and 0.5 <= 0.5);
        // a "<" rule would keep three. Among equal scores the lower id ranks higher, so ids 0, 1 stay.
        float[] out = run(sampling().topP(0.5).build(), new float[] {0f, 0f, 0f, 0f});
        assertArrayEquals(new int[] {0, 1}, kept(out));
    }

    @Test
    void topPOnALargeVocabularyWithALongTail() {
        // id 0: p 0.5, id 1: p 0.3, ids 2..1001: 1000 tokens of 0.0002 (0.2 in all), then
        // 100,000 tokens of 1e-9 (1e-4 in all). Total 1.0001, so every prob is divided by 1.0001:
        //   tail of tiny tokens  T = 1e-4 / 1.0001    = 0.000099990
        //   each mid token       m = 0.0002 / 1.0001  = 0.00019998
        // top_p 0.8505 -> remove while cumulative <= 0.1495. Ascending: all tiny tokens (T), then the
        // mid tokens: T + k*m <= 0.1495  <=>  k <= (0.1495 - 0.00009999) / 0.00019998 = 747.07, so 747
        // mid tokens go (747: 0.149485 <= 0.1495; 748: 0.149685 > 0.1495). Among the equal mid tokens
        // the higher ids go first: ids 1001 down to 255 removed, ids 2..254 (253 tokens) kept.
        // Kept: {0, 1, 2..254} = 255 tokens.
        int n = 2 + 1000 + 100_000;
        float[] logits = new float[n];
        logits[0] = (float) Math.log(0.5);
        logits[1] = (float) Math.log(0.3);
        Arrays.fill(logits, 2, 1002, (float) Math.log(0.0002));
        Arrays.fill(logits, 1002, n, (float) Math.log(1e-9));
        int[] k = kept(run(sampling().topP(0.8505).build(), logits));
        assertEquals(255, k.length);
        assertEquals(0, k[0]);
        assertEquals(254, k[254]);
    }

    // ---- min-p -------------------------------------------------------------------------------

    @Test
    void minPRemovesTokensBelowAFractionOfTheTopProbability() {
        // max prob 0.5. min_p 0.2 -> threshold 0.1: 0.05 < 0.1 goes; 0.15, 0.3, 0.5 stay.
        assertArrayEquals(new int[] {0, 1, 2}, kept(run(sampling().minP(0.2).build(), logitsOf(P4))));
        // min_p 0.5 -> threshold 0.25: 0.15 and 0.05 go.
        assertArrayEquals(new int[] {0, 1}, kept(run(sampling().minP(0.5).build(), logitsOf(P4))));
        // min_p 1 -> only tokens as likely as the top: just id 0.
        assertArrayEquals(new int[] {0}, kept(run(sampling().minP(1.0).build(), logitsOf(P4))));
        // min_p 0 is off.
        assertArrayEquals(new int[] {0, 1, 2, 3}, kept(run(sampling().minP(0.0).build(), logitsOf(P4))));
    }

    // ---- order -------------------------------------------------------------------------------

    @Test
    void temperatureComesBeforeMinP() {
        // T = 0.5 squares the probabilities before renormalising: 0.25, 0.09, 0.0225, 0.0025, so the
        // ratios to the top are 1, 0.36, 0.09, 0.01; min_p 0.2 keeps {0, 1}. (Without temperature the
        // ratios 1, 0.6, 0.3, 0.1 would keep {0, 1, 2}.)
        assertArrayEquals(new int[] {0, 1},
                kept(run(sampling().temperature(0.5).minP(0.2).build(), logitsOf(P4))));
    }

    @Test
    void topKComesBeforeTopP() {
        // top-k 2 first leaves 0.5, 0.3, renormalised to 0.625, 0.375. top_p 0.55 -> remove
        // cumulative <= 0.45: 0.375 goes, only id 0 stays. (top-p first, on the full distribution,
        // would remove 0.05 and 0.20 but keep 0.50 > 0.45, i.e. {0, 1}.)
        assertArrayEquals(new int[] {0},
                kept(run(sampling().topK(2).topP(0.55).build(), logitsOf(P4))));
    }

    @Test
    void processIntoRejectsAliasedOrMismatchedBuffers() {
        LogitsProcessor p = new LogitsProcessor(sampling().build());
        float[] logits = {1f, 2f};
        assertThrows(IllegalArgumentException.class, () -> p.processInto(logits, NO_CONTEXT, logits));
        assertThrows(IllegalArgumentException.class, () -> p.processInto(logits, NO_CONTEXT, new float[3]));
    }
}
