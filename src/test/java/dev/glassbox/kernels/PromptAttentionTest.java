package dev.glassbox.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import org.junit.jupiter.api.Test;

/** A prompt's attention core with OpenBLAS products against the same attention written in DJL operations. */
class PromptAttentionTest {

    /** softmax(q·kᵀ·scale + mask)·v per head in DJL ops; q [1, t, H, d], keys and values [1, K, s, d]; z [1, t, H·d]. */
    private static float[] reference(NDArray q, NDArray keys, NDArray values, NDArray mask, int group, float scale) {
        NDArray qh = q.transpose(0, 2, 1, 3);
        NDArray kh = keys.repeat(1, group); // each key head serves `group` query heads
        NDArray vh = values.repeat(1, group);
        NDArray s = qh.matMul(kh.transpose(0, 1, 3, 2)).mul(scale);
        if (mask != null) {
            s = s.add(mask);
        }
        return s.softmax(-1).matMul(vh).transpose(0, 2, 1, 3).toFloatArray();
    }

    /** 0 where query i (at position past + i) sees position j, −∞ elsewhere; a window when {@code window} > 0. */
    private static float[] causal(int t, int past, int window) {
        int s = past + t;
        float[] mask = new float[t * s];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < s; j++) {
                boolean seen = j <= past + i && (window <= 0 || past + i - j < window);
                mask[i * s + j] = seen ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return mask;
    }

    @Test
    void matchesTheDjlAttentionForCausalWindowedArbitraryAndNoMasks() {
        // heads, kv heads, head width, past positions in the cache (-1: no cache), new positions
        // the last has 260·290 ≥ 256² scores a head: its heads are split between threads
        int[][] cases = {{9, 3, 64, -1, 128}, {12, 12, 64, 0, 150}, {4, 2, 16, 37, 70}, {8, 1, 32, 5, 2}, {6, 3, 8, -1, 200}, {9, 3, 32, 30, 260}};
        try (NDManager m = NDManager.newBaseManager(); ForwardThreads one = ForwardThreads.enter()) {
            m.getEngine().setRandomSeed(11);
            for (int[] c : cases) {
                int heads = c[0], kvHeads = c[1], d = c[2], past = Math.max(0, c[3]), t = c[4];
                int s = past + t;
                float[] arbitrary = new float[t * s];
                java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
                for (int i = 0; i < arbitrary.length; i++) {
                    arbitrary[i] = rng.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (float) rng.nextDouble(-2, 1);
                }
                for (int i = 0; i < t; i++) {
                    arbitrary[i * s + past + i] = 0.5f; // every row sees something
                }
                float[][] masks = {causal(t, past, 0), causal(t, past, 17), arbitrary, null};
                String[] kinds = {"causal", "window 17", "arbitrary", "none"};
                for (int k = 0; k < masks.length; k++) {
                    String what = heads + "/" + kvHeads + " heads of " + d + ", past " + c[3] + ", t " + t + ", " + kinds[k] + " mask";
                    NDArray q = m.randomNormal(new Shape(1, t, heads, d));
                    NDArray kNew = m.randomNormal(new Shape(1, t, kvHeads, d));
                    NDArray vNew = m.randomNormal(new Shape(1, t, kvHeads, d));
                    NDArray mask = masks[k] == null ? null : m.create(masks[k], new Shape(t, s));
                    float scale = k == 1 ? 0.3f : (float) (1 / Math.sqrt(d)); // one scale that is not a power of two
                    assertTrue(PromptAttention.applies(q, mask, null, s), what);
                    NDArray keys;
                    NDArray values;
                    float[] actual;
                    if (c[3] < 0) {
                        keys = kNew.transpose(0, 2, 1, 3);
                        values = vNew.transpose(0, 2, 1, 3);
                        actual = PromptAttention.attend(q, PromptAttention.KeysValues.ofFresh(kNew, vNew), kvHeads, mask, scale).toFloatArray();
                    } else {
                        NDArray pk = m.randomNormal(new Shape(1, kvHeads, past, d));
                        NDArray pv = m.randomNormal(new Shape(1, kvHeads, past, d));
                        try (KvCache cache = new KvCache(m, 1, 1, kvHeads, d, 4, 1024)) {
                            if (past > 0) {
                                cache.append(0, pk, pv);
                                cache.advance(past);
                            }
                            cache.append(0, kNew.transpose(0, 2, 1, 3), vNew.transpose(0, 2, 1, 3));
                            PromptAttention.KeysValues kv = PromptAttention.KeysValues.ofCache(cache, 0, s, d);
                            actual = PromptAttention.attend(q, kv, kvHeads, mask, scale).toFloatArray();
                        }
                        keys = pk.concat(kNew.transpose(0, 2, 1, 3), 2);
                        values = pv.concat(vNew.transpose(0, 2, 1, 3), 2);
                    }
                    float[] expected = reference(q, keys, values, mask, heads / kvHeads, scale);
                    assertEquals(expected.length, actual.length, what);
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], actual[i], 2e-5f * Math.max(1f, Math.abs(expected[i])), what + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void findsEachRowsVisibleRunAndRefusesOtherMasks() {
        int[][] runs = PromptAttention.visibleRuns(causal(3, 2, 2), 3, 5);
        assertArrayEquals(new int[] {1, 2, 3}, runs[0]);
        assertArrayEquals(new int[] {2, 3, 4}, runs[1]);
        float inf = Float.NEGATIVE_INFINITY;
        assertNull(PromptAttention.visibleRuns(new float[] {0, inf, 0, 0, 0, 0}, 2, 3), "two runs in a row");
        assertNull(PromptAttention.visibleRuns(new float[] {0, -1e9f, inf, 0, 0, 0}, 2, 3), "a finite large negative value");
        assertNull(PromptAttention.visibleRuns(new float[] {inf, inf, inf, 0, 0, 0}, 2, 3), "a row that sees nothing");
        assertNull(PromptAttention.visibleRuns(new float[] {0, 0.5f, inf, 0, 0, 0}, 2, 3), "a bias, not a mask");
    }

    @Test
    void leavesBatchesSoftcapsHalfPrecisionGradientsAndPlainForwardsToDjl() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.randomNormal(new Shape(1, 5, 4, 8));
            assertFalse(PromptAttention.applies(q, null, null, 5), "outside a one-thread forward");
            try (ForwardThreads one = ForwardThreads.enter()) {
                assertTrue(PromptAttention.applies(q, null, null, 5));
                assertFalse(PromptAttention.applies(m.randomNormal(new Shape(2, 5, 4, 8)), null, null, 5), "a batch of two");
                assertFalse(PromptAttention.applies(m.randomNormal(new Shape(1, 1, 4, 8)), null, null, 5), "a decode step");
                assertFalse(PromptAttention.applies(q, null, 30f, 5), "a softcap");
                assertFalse(PromptAttention.applies(q, m.zeros(new Shape(5, 6)), null, 5), "a mask for other positions");
                assertFalse(PromptAttention.applies(q.toType(DataType.FLOAT16, false), null, null, 5), "half precision");
                NDArray tracked = m.randomNormal(new Shape(1, 5, 4, 8));
                tracked.setRequiresGradient(true);
                assertFalse(PromptAttention.applies(tracked, null, null, 5), "a query autograd must see");
            }
        }
    }

    @Test
    void aPlainPromptRunsHereAndAHookedOneGivesTheSameLogits() {
        // gemma3-tiny: a 40-position sliding window on some layers, which the 50-token prompt exceeds
        for (String dir : new String[] {"fixtures/gpt2-tiny", "fixtures/llama-gqa", "fixtures/mistral-tiny", "fixtures/gemma3-tiny", "fixtures/qwen3-tiny"}) {
            try (LanguageModel model = LanguageModel.load(Reference.model(dir));
                    NDManager m = model.manager().newSubManager();
                    ForwardThreads one = ForwardThreads.enter()) {
                long[] start = Reference.longs(Reference.reference(dir).get("results").get(0).get("input_ids"));
                long[] prompt = new long[50];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = (start[i % start.length] + i / start.length) % model.config().vocabSize();
                }
                long[] more = {7, 3, 11, 2, 5};
                for (boolean cached : new boolean[] {false, true}) {
                    KvCache plainCache = cached ? model.newCache(m, 64) : null;
                    KvCache hookedCache = cached ? model.newCache(m, 64) : null;
                    ForwardContext plain = new ForwardContext(plainCache, null);
                    ForwardContext hooked = new ForwardContext(hookedCache, (name, x) -> x); // looks only: the DJL path
                    for (long[] ids : cached ? new long[][] {prompt, more} : new long[][] {prompt}) {
                        NDArray x = m.create(ids, new Shape(1, ids.length));
                        long before = PromptAttention.callsRun();
                        float[] fused = model.block().forward(x, plain, true).toFloatArray();
                        assertEquals(model.config().numLayers(), PromptAttention.callsRun() - before, dir + ": every layer ran here");
                        before = PromptAttention.callsRun();
                        float[] djl = model.block().forward(x, hooked, true).toFloatArray();
                        assertEquals(0, PromptAttention.callsRun() - before, dir + ": a hooked forward takes the DJL path");
                        for (int i = 0; i < djl.length; i++) {
                            assertEquals(djl[i], fused[i], 1e-4f * Math.max(1f, Math.abs(djl[i])), dir + (cached ? " cached" : "") + " logit " + i);
                        }
                    }
                    if (cached) {
                        plainCache.close();
                        hookedCache.close();
                    }
                }
            }
        }
    }
}
