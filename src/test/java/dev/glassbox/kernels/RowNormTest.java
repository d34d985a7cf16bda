package dev.glassbox.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** RMSNorm of rows in Java against the same norm in DJL operations. */
class RowNormTest {

    @Test
    void matchesTheDjlRmsNormPlainAndPlusOne() {
        try (NDManager m = NDManager.newBaseManager(); ForwardThreads one = ForwardThreads.enter()) {
            m.getEngine().setRandomSeed(13);
            for (int n : new int[] {1, 7, 64, 576, 4096}) {
                for (boolean plusOne : new boolean[] {false, true}) {
                    for (Shape shape : new Shape[] {new Shape(1, 1, n), new Shape(2, 5, n), new Shape(1, 3, 4, n)}) {
                        NDArray x = m.randomNormal(shape).mul(3f);
                        NDArray w = m.randomNormal(new Shape(n));
                        float eps = 1e-5f;
                        NDArray rms = x.square().mean(new int[] {-1}, true).add(eps).sqrt();
                        float[] expected = x.div(rms).mul(plusOne ? w.add(1f) : w).toFloatArray();
                        assertTrue(RowNorm.applies(x, w));
                        NDArray y = RowNorm.rms(x, w, eps, plusOne);
                        assertEquals(x.getShape(), y.getShape());
                        float[] actual = y.toFloatArray();
                        for (int i = 0; i < expected.length; i++) {
                            assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), shape + ", plusOne " + plusOne + " at " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void leavesPromptsOutsideAOneThreadForwardAndHalfPrecisionToDjl() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.ones(new Shape(8));
            assertTrue(RowNorm.applies(m.randomNormal(new Shape(1, 1, 8)), w));
            assertFalse(RowNorm.applies(m.randomNormal(new Shape(1, 3, 8)), w), "three rows outside a one-thread forward");
            try (ForwardThreads one = ForwardThreads.enter()) {
                assertTrue(RowNorm.applies(m.randomNormal(new Shape(1, 3, 8)), w), "three rows inside one");
            }
            assertFalse(RowNorm.applies(m.randomNormal(new Shape(1, 1, 8)).toType(ai.djl.ndarray.types.DataType.FLOAT16, false),
                    w.toType(ai.djl.ndarray.types.DataType.FLOAT16, false)), "half precision");
        }
    }
}
