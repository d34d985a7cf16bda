package dev.glassbox.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import org.junit.jupiter.api.Test;

/** The decode step's attention core in Java against the same attention written in DJL operations. */
class RowAttentionTest {

    /** softmax(q·kᵀ·scale [capped] + mask)·v per head, in DJL ops on [1, H, 1, d] and [1, H, S, d]. */
    private static float[] reference(NDArray q, NDArray keys, NDArray values, NDArray mask, int group, float scale, Float cap) {
        NDArray qh = q.transpose(0, 2, 1, 3); // [1, H, 1, d]
        NDArray kh = keys.repeat(1, group); // [1, H, S, d]: each key head serves `group` query heads
        NDArray vh = values.repeat(1, group);
        NDArray s = qh.matMul(kh.transpose(0, 1, 3, 2)).mul(scale);
        if (cap != null) {
            s = s.div(cap).tanh().mul(cap);
        }
        if (mask != null) {
            s = s.add(mask.reshape(1, 1, 1, -1));
        }
        return s.softmax(-1).matMul(vh).transpose(0, 2, 1, 3).toFloatArray();
    }

    @Test
    void matchesTheDjlAttentionWithGroupsMaskAndSoftcap() {
        int[][] cases = {{12, 12, 64, 37}, {9, 3, 64, 100}, {4, 1, 16, 1}, {8, 2, 32, 300}};
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            for (int[] c : cases) {
                int heads = c[0], kvHeads = c[1], d = c[2], past = c[3];
                for (Float cap : new Float[] {null, 5f}) {
                    try (KvCache cache = new KvCache(m, 2, 1, kvHeads, d, 4, 1024)) {
                        NDArray pk = m.randomNormal(new Shape(1, kvHeads, past, d));
                        NDArray pv = m.randomNormal(new Shape(1, kvHeads, past, d));
                        cache.append(1, pk, pv); // grows the cache past its first capacity
                        cache.advance(past);
                        NDArray q = m.randomNormal(new Shape(1, 1, heads, d));
                        NDArray k = m.randomNormal(new Shape(1, 1, kvHeads, d));
                        NDArray v = m.randomNormal(new Shape(1, 1, kvHeads, d));
                        float[] maskValues = new float[past + 1];
                        for (int j = 0; j < past / 3; j++) {
                            maskValues[j] = Float.NEGATIVE_INFINITY; // a sliding window's hidden past
                        }
                        NDArray mask = past > 3 ? m.create(maskValues, new Shape(1, 1, 1, past + 1)) : null;
                        float scale = (float) (1 / Math.sqrt(d));
                        assertTrue(RowAttention.applies(q, k, v, cache, mask));
                        NDArray z = RowAttention.attend(q, k, v, mask, cache, 1, scale, cap);
                        assertNotNull(z);
                        assertEquals(new Shape(1, 1, (long) heads * d), z.getShape());
                        NDArray keys = pk.concat(k.transpose(0, 2, 1, 3), 2);
                        NDArray values = pv.concat(v.transpose(0, 2, 1, 3), 2);
                        float[] expected = reference(q, keys, values, mask, heads / kvHeads, scale, cap);
                        float[] actual = z.toFloatArray();
                        String what = heads + "/" + kvHeads + " heads of " + d + ", " + past + " past, softcap " + cap;
                        for (int i = 0; i < expected.length; i++) {
                            assertEquals(expected[i], actual[i], 2e-5f * Math.max(1f, Math.abs(expected[i])), what + " at " + i);
                        }
                        // the new key and value are in the cache where append would have put them
                        ai.djl.ndarray.NDList buffers = cache.toList(m); // [k_0, v_0, k_1, v_1, length], full capacity
                        NDIndex written = new NDIndex(":, :, :{}", past + 1);
                        assertEquals(0f, buffers.get(2).get(written).sub(keys).abs().max().getFloat(), what + " cached keys");
                        assertEquals(0f, buffers.get(3).get(written).sub(values).abs().max().getFloat(), what + " cached values");
                    }
                }
            }
        }
    }

    @Test
    void leavesBatchesPromptsAndMismatchedMasksToDjl() {
        try (NDManager m = NDManager.newBaseManager();
                KvCache one = new KvCache(m, 1, 1, 2, 8, 16, 16);
                KvCache two = new KvCache(m, 1, 2, 2, 8, 16, 16)) {
            NDArray q = m.randomNormal(new Shape(1, 1, 4, 8));
            NDArray k = m.randomNormal(new Shape(1, 1, 2, 8));
            assertTrue(RowAttention.applies(q, k, k, one, null));
            assertFalse(RowAttention.applies(q, k, k, null, null), "no cache");
            assertFalse(RowAttention.applies(q, k, k, two, null), "a batch of two rows");
            assertFalse(RowAttention.applies(m.randomNormal(new Shape(1, 3, 4, 8)), k, k, one, null), "three new positions");
            assertFalse(RowAttention.applies(q, k, k, one, m.zeros(new Shape(1, 1, 1, 5))), "a mask for other positions");
            assertFalse(RowAttention.applies(q.toType(ai.djl.ndarray.types.DataType.FLOAT16, false), k, k, one, null), "half precision");
            NDArray tracked = m.randomNormal(new Shape(1, 1, 2, 8));
            tracked.setRequiresGradient(true);
            assertFalse(RowAttention.applies(q, tracked, k, one, null), "a key autograd must see");
        }
    }

    @Test
    void generationRunsItThroughTheDjlTranslatorsWrappedCache() {
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/llama-gqa"))) {
            dev.glassbox.generate.SamplingConfig cfg = dev.glassbox.generate.SamplingConfig.builder()
                    .greedy(true).stopAtEos(false).maxNewTokens(5).build();
            long before = RowAttention.stepsRun();
            new dev.glassbox.generate.Generator(model).generate(new long[] {1, 5, 9}, cfg);
            // the first token comes from the prompt's forward; the other 4 are decode steps
            assertEquals(4L * model.config().numLayers(), RowAttention.stepsRun() - before);
        }
    }

    @Test
    void aPlainDecodeStepRunsHereAndAHookedOneGivesTheSameLogits() {
        for (String dir : new String[] {"fixtures/gpt2-tiny", "fixtures/llama-gqa", "fixtures/mistral-tiny", "fixtures/gemma2-tiny"}) {
            try (LanguageModel model = LanguageModel.load(Reference.model(dir));
                    NDManager m = model.manager().newSubManager();
                    KvCache plain = model.newCache(m, 32);
                    KvCache hooked = model.newCache(m, 32)) {
                long[] prompt = Reference.longs(Reference.reference(dir).get("results").get(0).get("input_ids"));
                ForwardContext a = new ForwardContext(plain, null);
                ForwardContext b = new ForwardContext(hooked, (name, x) -> x); // looks only: the DJL path
                model.block().forward(m.create(prompt, new Shape(1, prompt.length)), a, false);
                model.block().forward(m.create(prompt, new Shape(1, prompt.length)), b, false);
                for (int step = 0; step < 6; step++) {
                    NDArray id = m.create(new long[] {3 + 5L * step}, new Shape(1, 1));
                    long before = RowAttention.stepsRun();
                    float[] fused = model.block().forward(id, a, false).toFloatArray();
                    assertEquals(model.config().numLayers(), RowAttention.stepsRun() - before, dir + ": every layer's step ran here");
                    before = RowAttention.stepsRun();
                    float[] djl = model.block().forward(id, b, false).toFloatArray();
                    assertEquals(0, RowAttention.stepsRun() - before, dir + ": a hooked step takes the DJL path");
                    for (int i = 0; i < djl.length; i++) {
                        assertEquals(djl[i], fused[i], 1e-4f * Math.max(1f, Math.abs(djl[i])), dir + " step " + step + " logit " + i);
                    }
                }
            }
        }
    }
}
