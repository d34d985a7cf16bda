package dev.glassbox.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every expectation below is worked out by hand in the comments, never produced by the code. */
class SamplerTest {

    private static final long[] NO_CONTEXT = new long[0];
    private static final double EPS = 1e-6;

    private static float[] logitsOf(double... probs) {
        float[] out = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            out[i] = (float) Math.log(probs[i]);
        }
        return out;
    }

    // Ten tokens, probabilities summing to 1.
    private static final double[] P10 = {0.30, 0.20, 0.15, 0.10, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005};
    private static final double[] P4 = {0.5, 0.3, 0.15, 0.05};

    private static SamplingConfig.Builder sampling(long seed) {
        return SamplingConfig.builder().seed(seed);
    }

    // ---- utilities ---------------------------------------------------------------------------

    @Test
    void logSoftmaxOfHandValues() {
        // Four equal logits: each prob 1/4, log = -ln 4. {0, ln 3}: probs 1/4, 3/4.
        double[] a = Softmax.logSoftmax(new float[] {1f, 1f, 1f, 1f});
        for (double v : a) {
            assertEquals(-Math.log(4), v, EPS);
        }
        double[] b = Softmax.logSoftmax(new float[] {0f, (float) Math.log(3)});
        assertEquals(Math.log(0.25), b[0], EPS);
        assertEquals(Math.log(0.75), b[1], EPS);
        // Huge logits must not overflow: {1000, 1000} -> ln 0.5 each.
        double[] c = Softmax.logSoftmax(new float[] {1000f, 1000f});
        assertEquals(Math.log(0.5), c[0], EPS);
    }

    @Test
    void logSoftmaxRejectsInvalidLogits() {
        assertThrows(GlassboxException.class, () -> Softmax.logSoftmax(new float[] {1f, Float.NaN}));
        assertThrows(GlassboxException.class,
                () -> Softmax.logSoftmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void topKIsDescendingAndStableOnTies() {
        // {1,5,3,5,2}: 5 at ids 1 and 3 (lower id first), then 3 (id 2), then 2 (id 4), then 1 (id 0).
        float[] v = {1f, 5f, 3f, 5f, 2f};
        assertArrayEquals(new int[] {1, 3, 2}, Sampler.topK(v, 3));
        assertArrayEquals(new int[] {1, 3, 2, 4, 0}, Sampler.topK(v, 10));
        assertArrayEquals(new int[0], Sampler.topK(v, 0));
        // All equal: ids in order.
        assertArrayEquals(new int[] {0, 1, 2}, Sampler.topK(new float[] {7f, 7f, 7f, 7f}, 3));
    }

    @Test
    void topKOnALargeArray() {
        // Values i % 1000 over 10,000 ids: the max 999 occurs at ids 999, 1999, ..., 9999.
        float[] v = new float[10_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 1000;
        }
        assertArrayEquals(new int[] {999, 1999, 2999, 3999, 4999, 5999, 6999, 7999, 8999, 9999, 998},
                Sampler.topK(v, 11));
    }

    // ---- greedy ------------------------------------------------------------------------------

    @Test
    void greedyTiesPickTheFirstIndex() {
        // {1,3,3,2}: max 3 at ids 1 and 2 -> id 1. logprob = 3 - ln(e^1 + 2e^3 + e^2).
        Sampler s = new Sampler(SamplingConfig.builder().greedy(true).build());
        Choice c = s.choose(new float[] {1f, 3f, 3f, 2f}, NO_CONTEXT);
        assertEquals(1, c.tokenId());
        assertEquals(1.0, c.processedProb());
        assertEquals(4, c.keptCount());
        double z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2);
        assertEquals(3 - Math.log(z), c.logprob(), EPS);
    }

    @Test
    void temperatureZeroIsGreedy() {
        // Argmax of {0.1, 2.5, 2.4, -1} is id 1, whatever the seed.
        float[] logits = {0.1f, 2.5f, 2.4f, -1f};
        for (long seed = 0; seed < 50; seed++) {
            Choice c = new Sampler(sampling(seed).temperature(0.0).build()).choose(logits, NO_CONTEXT);
            assertEquals(1, c.tokenId());
            assertEquals(1.0, c.processedProb());
        }
    }

    @Test
    void tinyTemperatureSamplingMatchesGreedy() {
        // T = 1e-6: the gap 0.1 between the top two becomes 1e5, exp(-1e5) = 0 in double, so all
        // processed mass sits on id 1.
        float[] logits = {0.1f, 2.5f, 2.4f, -1f};
        Sampler s = new Sampler(sampling(7).temperature(1e-6).build());
        for (int i = 0; i < 500; i++) {
            Choice c = s.choose(logits, NO_CONTEXT);
            assertEquals(1, c.tokenId());
            assertEquals(1.0, c.processedProb(), 1e-12);
        }
    }

    @Test
    void repetitionPenaltyChangesTheGreedyPick() {
        // {3,2,1} with id 0 in context, penalty 2: 3/2 = 1.5 < 2 -> id 1.
        Sampler s = new Sampler(SamplingConfig.builder().greedy(true).repetitionPenalty(2.0).build());
        assertEquals(1, s.choose(new float[] {3f, 2f, 1f}, new long[] {0}).tokenId());
        // Negative: {-1, -1.5} with id 0 seen: -1 * 2 = -2 < -1.5 -> id 1.
        assertEquals(1, s.choose(new float[] {-1f, -1.5f}, new long[] {0, 0}).tokenId());
    }

    // ---- sampling ----------------------------------------------------------------------------

    @Test
    void sameSeedReproducesTheSameSequence() {
        Random gen = new Random(123);
        List<float[]> steps = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            float[] logits = new float[64];
            for (int j = 0; j < logits.length; j++) {
                logits[j] = (float) gen.nextGaussian();
            }
            steps.add(logits);
        }
        SamplingConfig cfg = sampling(42).temperature(0.9).topK(20).topP(0.95).build();
        Sampler a = new Sampler(cfg);
        Sampler b = new Sampler(cfg);
        Sampler other = new Sampler(cfg.toBuilder().seed(43L).build());
        long[] seqA = new long[steps.size()];
        long[] seqB = new long[steps.size()];
        long[] seqOther = new long[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            seqA[i] = a.choose(steps.get(i), new long[] {seqA[Math.max(0, i - 1)]}).tokenId();
            seqB[i] = b.choose(steps.get(i), new long[] {seqB[Math.max(0, i - 1)]}).tokenId();
            seqOther[i] = other.choose(steps.get(i), NO_CONTEXT).tokenId();
        }
        assertArrayEquals(seqA, seqB);
        assertEquals(42L, a.seed());
        // ~20 plausible tokens per step over 200 steps: another seed cannot plausibly match.
        assertNotEquals(java.util.Arrays.toString(seqA), java.util.Arrays.toString(seqOther));
    }

    @Test
    void unseededSamplerReportsAReplayableSeed() {
        SamplingConfig cfg = SamplingConfig.builder().build();
        Sampler a = new Sampler(cfg);
        Sampler replay = new Sampler(cfg.toBuilder().seed(a.seed()).build());
        float[] logits = logitsOf(P10);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.choose(logits, NO_CONTEXT).tokenId(), replay.choose(logits, NO_CONTEXT).tokenId());
        }
    }

    /** Samples 2000 times and checks every token is in {@code keptSet} and the kept count matches. */
    private static void assertStaysInside(SamplingConfig cfg, float[] logits, Set<Long> keptSet) {
        Sampler s = new Sampler(cfg);
        Set<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Choice c = s.choose(logits, NO_CONTEXT);
            assertTrue(keptSet.contains(c.tokenId()), "sampled " + c.tokenId() + " outside " + keptSet);
            assertEquals(keptSet.size(), c.keptCount());
            seen.add(c.tokenId());
        }
        // Every kept token has >= 10% processed probability here, so all show up in 2000 draws.
        assertEquals(keptSet, seen);
    }

    @Test
    void topKNeverSamplesOutsideTheKeptSet() {
        // top-3 of P10: 0.30, 0.20, 0.15 -> ids 0, 1, 2.
        assertStaysInside(sampling(1).topK(3).build(), logitsOf(P10), Set.of(0L, 1L, 2L));
    }

    @Test
    void topPNeverSamplesOutsideTheKeptSet() {
        // P10 ascending: .005 .015 .03 .05 .07 .08 .10 .15 .20 .30; cumulative .005 .02 .05 .10 .17
        // .25 .35 .50 .70 1.0. top_p 0.7 removes cumulative <= 0.3: ids 9, 8, 7, 6, 5, 4 (up to .25);
        // id 3 (.35) stays. Kept {0,1,2,3}: 0.75 >= 0.7 while the top three give only 0.65.
        assertStaysInside(sampling(2).topP(0.7).build(), logitsOf(P10), Set.of(0L, 1L, 2L, 3L));
    }

    @Test
    void minPNeverSamplesOutsideTheKeptSet() {
        // min_p 0.4 x top prob 0.30 = 0.12: 0.30, 0.20, 0.15 stay (0.10 < 0.12 goes).
        assertStaysInside(sampling(3).minP(0.4).build(), logitsOf(P10), Set.of(0L, 1L, 2L));
    }

    @Test
    void combinedProcessorsNeverSampleOutsideTheKeptSet() {
        // top-k 5 -> .30 .20 .15 .10 .08 (mass .83), renormalised .3614 .2410 .1807 .1205 .0964.
        // top_p 0.8 -> remove cumulative <= 0.2: ascending .0964 (<= .2, goes), .2169 (> .2, stays).
        // Kept {0,1,2,3}; renormalised again the smallest is 0.10/0.75 = 0.133.
        assertStaysInside(sampling(4).topK(5).topP(0.8).build(), logitsOf(P10), Set.of(0L, 1L, 2L, 3L));
    }

    @Test
    void sampledFrequenciesFollowTheDistribution() {
        // 20,000 draws of P4; the standard error of a frequency is at most sqrt(.25/20000) = 0.0035,
        // so 0.02 is a loose (~6 sigma) bound.
        Sampler s = new Sampler(sampling(5).build());
        float[] logits = logitsOf(P4);
        int[] counts = new int[4];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            Choice c = s.choose(logits, NO_CONTEXT);
            counts[(int) c.tokenId()]++;
            // No processors: the processed distribution is the raw one.
            assertEquals(P4[(int) c.tokenId()], c.processedProb(), EPS);
            assertEquals(4, c.keptCount());
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(P4[i], counts[i] / (double) draws, 0.02, "token " + i);
        }
    }

    @Test
    void processedProbabilityIsRenormalisedButLogprobIsRaw() {
        // top-k 2 on P4 leaves 0.5 and 0.3 -> renormalised 0.625 and 0.375; the raw log-probs stay
        // ln 0.5 and ln 0.3. Frequencies follow 0.625 / 0.375 (same loose bound).
        Sampler s = new Sampler(sampling(6).topK(2).build());
        float[] logits = logitsOf(P4);
        int[] counts = new int[4];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            Choice c = s.choose(logits, NO_CONTEXT);
            counts[(int) c.tokenId()]++;
            if (c.tokenId() == 0) {
                assertEquals(0.625, c.processedProb(), EPS);
                assertEquals(Math.log(0.5), c.logprob(), EPS);
            } else {
                assertEquals(1, c.tokenId());
                assertEquals(0.375, c.processedProb(), EPS);
                assertEquals(Math.log(0.3), c.logprob(), EPS);
            }
        }
        assertEquals(0.625, counts[0] / (double) draws, 0.02);
        assertEquals(0.375, counts[1] / (double) draws, 0.02);
    }

    @Test
    void alternativesAreTheTopOfTheRawDistribution() {
        // top-k 1 makes the pick deterministic, but alternatives describe the raw distribution:
        // ids 0, 1, 2 with probs 0.5, 0.3, 0.15.
        Sampler s = new Sampler(sampling(8).topK(1).alternatives(3).build());
        float[] logits = logitsOf(P4);
        Choice c = s.choose(logits, NO_CONTEXT);
        assertEquals(0, c.tokenId());
        assertEquals(1, c.keptCount());
        assertEquals(3, c.alternatives().size());
        double[] probs = {0.5, 0.3, 0.15};
        for (int i = 0; i < 3; i++) {
            Alternative a = c.alternatives().get(i);
            assertEquals(i, a.tokenId());
            assertEquals(probs[i], a.prob(), EPS);
            assertEquals(Math.log(probs[i]), a.logprob(), EPS);
            assertEquals(logits[i], a.logit());
        }
        assertEquals(0, new Sampler(sampling(8).alternatives(0).build()).choose(logits, NO_CONTEXT)
                .alternatives().size());
    }

    @Test
    void chooseRejectsNaNLogits() {
        Sampler s = new Sampler(sampling(9).build());
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> s.choose(new float[] {1f, Float.NaN, 2f}, NO_CONTEXT));
        assertTrue(e.getMessage().contains("token id 1"), e.getMessage());
    }

    // ---- survivors ---------------------------------------------------------------------------

    @Test
    void survivorsListsRenormalisedProbabilities() {
        // top_p 0.7 on P10 keeps ids 0..3 (see topPNeverSamplesOutsideTheKeptSet), mass 0.75:
        // 0.30/0.75 = 0.4, 0.20/0.75 = 0.26667, 0.15/0.75 = 0.2, 0.10/0.75 = 0.13333.
        Sampler s = new Sampler(sampling(10).topP(0.7).build());
        Survivors sv = s.survivors(logitsOf(P10), NO_CONTEXT);
        assertEquals(4, sv.keptCount());
        assertEquals(0, sv.greedyTokenId());
        double[] expected = {0.4, 0.2 / 0.75, 0.2, 0.1 / 0.75};
        assertEquals(4, sv.tokens().size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, sv.tokens().get(i).tokenId());
            assertEquals(expected[i], sv.tokens().get(i).prob(), EPS);
            assertEquals(Math.log(P10[i]), sv.tokens().get(i).rawLogprob(), EPS);
        }
        Survivors limited = s.survivors(logitsOf(P10), NO_CONTEXT, 2);
        assertEquals(2, limited.tokens().size());
        assertEquals(4, limited.keptCount());
    }

    @Test
    void survivorsConsumeNoRandomness() {
        SamplingConfig cfg = sampling(11).build();
        Sampler a = new Sampler(cfg);
        Sampler b = new Sampler(cfg);
        float[] logits = logitsOf(P10);
        a.survivors(logits, NO_CONTEXT);
        for (int i = 0; i < 50; i++) {
            assertEquals(a.choose(logits, NO_CONTEXT).tokenId(), b.choose(logits, NO_CONTEXT).tokenId());
        }
    }

    @Test
    void survivorsGreedyPickFollowsTheRepetitionPenalty() {
        // {3,2,1}, id 0 seen, penalty 2 -> {1.5, 2, 1}: greedy picks id 1, which ranks first.
        Sampler s = new Sampler(SamplingConfig.builder().greedy(true).repetitionPenalty(2.0).build());
        Survivors sv = s.survivors(new float[] {3f, 2f, 1f}, new long[] {0});
        assertEquals(1, sv.greedyTokenId());
        assertEquals(3, sv.keptCount());
        assertEquals(1, sv.tokens().get(0).tokenId());
        assertEquals(0, sv.tokens().get(1).tokenId());
    }
}
