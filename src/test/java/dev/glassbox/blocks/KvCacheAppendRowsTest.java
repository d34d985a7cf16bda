package dev.glassbox.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A prompt's keys and values written row by row into the cache, against the indexed assignment of {@code append}. */
class KvCacheAppendRowsTest {

    private static NDArray random(NDManager m, Random r, int t, int heads, int d) {
        float[] v = new float[t * heads * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, new Shape(1, t, heads, d));
    }

    @Test
    void writesTheSameCacheAsAppendAcrossPromptsAndGrowth() {
        int heads = 3;
        int d = 8;
        Random r = new Random(7);
        try (NDManager m = NDManager.newBaseManager();
                KvCache rows = new KvCache(m, 2, 1, heads, d, 4, 64);
                KvCache indexed = new KvCache(m, 2, 1, heads, d, 4, 64)) {
            // 5 positions on a capacity of 4 (the cache grows), then 3 after them, then 9 (grows again)
            for (int t : new int[] {5, 3, 9}) {
                for (int layer = 0; layer < 2; layer++) {
                    NDArray k = random(m, r, t, heads, d);
                    NDArray v = random(m, r, t, heads, d);
                    assertTrue(rows.appendRows(layer, k, v));
                    indexed.append(layer, k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3));
                }
                rows.advance(t);
                indexed.advance(t);
                NDIndex cached = new NDIndex(":, :, :{}", rows.length());
                for (int layer = 0; layer < 2; layer++) {
                    NDArray[] a = rows.append(layer, m.zeros(new Shape(1, heads, 0, d)), m.zeros(new Shape(1, heads, 0, d)));
                    NDArray[] b = indexed.append(layer, m.zeros(new Shape(1, heads, 0, d)), m.zeros(new Shape(1, heads, 0, d)));
                    assertArrayEquals(b[0].get(cached).toFloatArray(), a[0].get(cached).toFloatArray(), "keys, layer " + layer);
                    assertArrayEquals(b[1].get(cached).toFloatArray(), a[1].get(cached).toFloatArray(), "values, layer " + layer);
                }
            }
        }
    }

    @Test
    void leavesBatchesAndHalfPrecisionToAppend() {
        try (NDManager m = NDManager.newBaseManager();
                KvCache batch = new KvCache(m, 1, 2, 2, 4, 8, 8);
                KvCache single = new KvCache(m, 1, 1, 2, 4, 8, 8)) {
            NDArray k = m.zeros(new Shape(2, 3, 2, 4));
            assertFalse(batch.appendRows(0, k, k), "a batch of two");
            NDArray half = m.zeros(new Shape(1, 3, 2, 4), DataType.FLOAT16);
            assertFalse(single.appendRows(0, half, half), "float16");
        }
    }
}
