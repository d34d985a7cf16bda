package dev.glassbox.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.glassbox.djl.PyTorchInternals;
import org.junit.jupiter.api.Test;

/** OpenBLAS's products against PyTorch's on the same arrays, for every shape the model uses. */
class BlasLinearTest {

    /** PyTorch's x·Wᵀ + b, the reference (W [out, in]). */
    private static float[] torchLinear(NDArray x, NDArray wOutIn, NDArray b) {
        return ai.djl.nn.core.Linear.linear(x, wOutIn, b).singletonOrThrow().toFloatArray();
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-4f * Math.max(1f, Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tol, what + " at " + i);
        }
    }

    @Test
    void matchesPyTorchForOneRowBothLayoutsWithAndWithoutBias() {
        assertTrue(OpenBlas.available(), "OpenBLAS should load here: " + OpenBlas.problem());
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            int[][] shapes = {{1, 768, 2304}, {1, 3072, 768}, {1, 768, 50257}, {1, 576, 576}, {1, 1000, 300}, {1, 2048, 129}};
            for (int[] s : shapes) {
                int rows = s[0], in = s[1], out = s[2];
                NDArray x = m.randomNormal(new Shape(1, rows, in));
                NDArray w = m.randomNormal(new Shape(out, in)); // [out, in]
                NDArray wIn = w.transpose().duplicate(); // the same matrix stored [in, out] (GPT-2's Conv1D)
                NDArray b = m.randomNormal(new Shape(out));
                String what = rows + "×" + in + "→" + out;
                assertTrue(BlasLinear.applies(x, w), what);
                NDArray y = BlasLinear.multiply(x, w, false, null, null);
                assertEquals(new Shape(1, rows, out), y.getShape(), what);
                assertClose(torchLinear(x, w, null), y.toFloatArray(), what + " [out, in]");
                assertClose(torchLinear(x, w, b), BlasLinear.multiply(x, w, false, b, null).toFloatArray(), what + " [out, in] + b");
                assertClose(torchLinear(x, w, b), BlasLinear.multiply(x, wIn, true, b, new BlasLinear.Weights()).toFloatArray(), what + " [in, out] + b");
            }
        }
    }

    @Test
    void takesSeveralRowsOnlyInsideAOneThreadForward() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.randomNormal(new Shape(1024, 1024));
            assertTrue(BlasLinear.applies(m.randomNormal(new Shape(1, 1, 1024)), w), "one row");
            assertFalse(BlasLinear.applies(m.randomNormal(new Shape(1, 128, 1024)), w), "a prompt, PyTorch on its threads");
            assertFalse(BlasLinear.applies(m.randomNormal(new Shape(3, 1, 1024)), w), "a batch of decode steps, PyTorch on its threads");
            try (ForwardThreads forward = ForwardThreads.enter()) {
                assertTrue(BlasLinear.applies(m.randomNormal(new Shape(1, 128, 1024)), w), "a prompt in a one-thread forward");
                assertTrue(BlasLinear.applies(m.randomNormal(new Shape(3, 1, 1024)), w), "a batch in a one-thread forward");
                assertFalse(BlasLinear.applies(m.randomNormal(new Shape(1, 0, 1024)), w), "no rows");
            }
        }
    }

    @Test
    void matchesPyTorchForSeveralRowsBothLayoutsWithAndWithoutBias() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            int[][] shapes = {{2, 16, 768, 2304}, {1, 128, 3072, 768}, {1, 7, 576, 1536}, {3, 5, 1000, 300}, {1, 2, 768, 50257}};
            for (int[] s : shapes) {
                int batch = s[0], rows = s[1], in = s[2], out = s[3];
                NDArray x = m.randomNormal(new Shape(batch, rows, in));
                NDArray w = m.randomNormal(new Shape(out, in));
                NDArray wIn = w.transpose().duplicate();
                NDArray b = m.randomNormal(new Shape(out));
                String what = batch + "×" + rows + "×" + in + "→" + out;
                NDArray y = BlasLinear.multiply(x, w, false, null, null);
                assertEquals(new Shape(batch, rows, out), y.getShape(), what);
                assertClose(torchLinear(x, w, null), y.toFloatArray(), what + " [out, in]");
                assertClose(torchLinear(x, w, b), BlasLinear.multiply(x, w, false, b, null).toFloatArray(), what + " [out, in] + b");
                assertClose(torchLinear(x, w, b), BlasLinear.multiply(x, wIn, true, b, new BlasLinear.Weights()).toFloatArray(), what + " [in, out] + b");
            }
        }
    }

    @Test
    void readsNonContiguousInputsCorrectly() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray big = m.randomNormal(new Shape(1, 1, 480, 2));
            NDArray x = big.get(new NDIndex(":, :, :, 1")); // one row of every other value: a strided view
            NDArray w = m.randomNormal(new Shape(600, 480));
            assertTrue(BlasLinear.applies(x, w));
            assertClose(torchLinear(x, w, null), BlasLinear.multiply(x, w, false, null, null).toFloatArray(), "strided x");
        }
    }

    @Test
    void aCachedWeightViewSeesInPlaceUpdates() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(1, 1, 512));
            NDArray w = m.randomNormal(new Shape(1024, 512));
            BlasLinear.Weights cache = new BlasLinear.Weights();
            BlasLinear.multiply(x, w, false, null, cache);
            w.muli(2f); // as training's in-place update or int8 quantization does
            assertClose(torchLinear(x, w, null), BlasLinear.multiply(x, w, false, null, cache).toFloatArray(), "after w *= 2");
            assertTrue(PyTorchInternals.sharesMemory(w));
            assertFalse(PyTorchInternals.sharesMemory(m.randomNormal(new Shape(8, 4)).transpose()), "a transposed view is copied");
        }
    }

    @Test
    void leavesTinyProductsToPyTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertFalse(BlasLinear.applies(m.randomNormal(new Shape(1, 1, 64)), m.randomNormal(new Shape(512, 64))), "a 512×64 matrix");
            assertTrue(BlasLinear.applies(m.randomNormal(new Shape(1, 1, 256)), m.randomNormal(new Shape(256, 256))), "256×256 = 2^16 weights");
        }
    }

    @Test
    void leavesAutogradToPyTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(1, 1, 1024));
            NDArray w = m.randomNormal(new Shape(1024, 1024));
            assertTrue(BlasLinear.applies(x, w));
            w.setRequiresGradient(true);
            assertFalse(BlasLinear.applies(x, w), "a weight that wants a gradient");
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                NDArray x2 = m.randomNormal(new Shape(1, 1, 1024));
                x2.setRequiresGradient(true);
                assertFalse(BlasLinear.applies(x2.mul(2f), m.randomNormal(new Shape(1024, 1024))), "an input on the tape");
            }
            assertFalse(BlasLinear.applies(x.toType(ai.djl.ndarray.types.DataType.FLOAT16, false), w.toType(ai.djl.ndarray.types.DataType.FLOAT16, false)),
                    "half precision");
        }
    }

    @Test
    void aDecodeStepRunsPyTorchOnOneThreadAndRestoresTheCount() {
        int before = PyTorchInternals.numThreads();
        try (ForwardThreads outer = ForwardThreads.enter()) {
            assertEquals(Math.min(before, 1), PyTorchInternals.numThreads());
            assertEquals(before, ForwardThreads.threads(), "the products still see the configured count");
            try (ForwardThreads inner = ForwardThreads.enter()) {
                assertEquals(Math.min(before, 1), PyTorchInternals.numThreads());
            }
            assertEquals(Math.min(before, 1), PyTorchInternals.numThreads(), "still inside the outer step");
        }
        assertEquals(before, PyTorchInternals.numThreads());
    }

    /** A part that counts, in {@code hits}, each item it is given. */
    private static RowSplit.Part counting(int[] hits) {
        return (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                synchronized (hits) {
                    hits[c]++;
                }
            }
        };
    }

    private static void assertEachOnce(int[] hits, String message) {
        int[] ones = new int[hits.length];
        java.util.Arrays.fill(ones, 1);
        assertArrayEquals(ones, hits, message);
    }

    @Test
    void theColumnSplitCoversEveryColumnOnce() {
        int[] hits = new int[1000];
        RowSplit.run(hits.length, 1L << 30, counting(hits));
        assertEachOnce(hits, "columns");
    }

    @Test
    void theHeadSplitCoversEveryItemOnceAlsoWhenAPartSplitsAgainOrThrows() {
        int[] hits = new int[9];
        int[] inner = new int[40];
        RowSplit.Part heads = counting(hits);
        RowSplit.split(hits.length, 1, 30_000, (h0, h1) -> {
            heads.columns(h0, h1);
            // a split inside a share runs on its own thread (the workers are taken): no deadlock
            RowSplit.split(inner.length, 1, 30_000, counting(inner));
        });
        assertEachOnce(hits, "heads");
        assertTrue(inner[0] >= 1);
        for (int count : inner) {
            assertEquals(inner[0], count, "each share ran the whole inner split once");
        }
        IllegalStateException thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> RowSplit.split(8, 1, 30_000, (h0, h1) -> {
                    throw new IllegalStateException("share " + h0);
                }));
        assertTrue(thrown.getMessage().startsWith("share "));
        int[] after = new int[8];
        RowSplit.split(after.length, 1, 30_000, counting(after));
        assertEachOnce(after, "the workers still serve a split after one threw");
    }
}
