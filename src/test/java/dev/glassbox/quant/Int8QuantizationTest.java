package dev.glassbox.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.LoadOptions;
import dev.glassbox.Reference;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.Linear;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * int8 weight-only quantization: the weights it leaves equal a per-row quantization computed here
 * in doubles from the float32 checkpoint; the int8 decode kernel gives the logits the plain
 * product over those weights gives; and the quantized model stays within a stated distance of
 * the float32 one (log-probabilities and greedy choices).
 */
class Int8QuantizationTest {

    /** Largest next-token log-prob difference, int8 against float32, on these models (README, "Performance"). */
    static final double LOGPROB_TOL = 0.25;

    @Test
    void dequantizedWeightsEqualAnIndependentPerRowQuantization() {
        Path dir = Reference.model("fixtures/gpt2-tiny");
        try (LanguageModel f32 = LanguageModel.load(dir);
                LanguageModel q8 = LanguageModel.load(dir, LoadOptions.defaults().quantize("int8"))) {
            Linear a = f32.block().layers().get(0).attention().qkv();
            Linear b = q8.block().layers().get(0).attention().qkv();
            // GPT-2 stores W as [in, out]: output channel o is column o of the stored array
            int in = a.inFeatures();
            int out = a.outFeatures();
            checkRows(a.weight().getArray().toFloatArray(), b.weight().getArray().toFloatArray(), out, in, true);
            int v = f32.config().vocabSize();
            int d = f32.config().hiddenSize();
            checkRows(f32.block().embed().getArray().toFloatArray(), q8.block().embed().getArray().toFloatArray(), v, d, false);
        }
    }

    private static void checkRows(float[] w, float[] dq, int rows, int cols, boolean columnsAreRows) {
        for (int r = 0; r < rows; r++) {
            double max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[at(r, c, rows, cols, columnsAreRows)]));
            }
            double s = max / 127;
            for (int c = 0; c < cols; c++) {
                int i = at(r, c, rows, cols, columnsAreRows);
                double q = Math.signum(w[i]) * Math.floor(Math.abs(w[i]) / s + 0.5);
                assertTrue(Math.abs(q) <= 127);
                assertEquals(q * s, dq[i], 1e-6 * max + 1e-12, "row " + r + " column " + c + " (weight " + w[i] + ")");
            }
        }
    }

    private static int at(int r, int c, int rows, int cols, boolean columnsAreRows) {
        return columnsAreRows ? c * rows + r : r * cols + c;
    }

    @Test
    void kernelEqualsAScalarProductForEveryWidthAndRowCount() {
        assertTrue(Gemv.available(), "surefire runs with --add-modules jdk.incubator.vector");
        java.util.Random rng = new java.util.Random(9);
        // widths below, at and between the vector lengths (4 to 16 floats), and row counts that split unevenly over threads
        int[][] shapes = {{1, 1}, {3, 7}, {5, 16}, {17, 33}, {64, 100}, {1001, 768}, {2304, 768}, {129, 3072}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rng.nextGaussian();
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            Int8Matrix q = Int8Matrix.quantize(w, rows, cols);
            float[] dq = q.dequantize();
            float[] y = new float[rows];
            q.multiply(x, y);
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                for (int c = 0; c < cols; c++) {
                    expected += (double) dq[r * cols + c] * x[c];
                }
                assertEquals(expected, y[r], 1e-4 * Math.max(1, Math.abs(expected)) * Math.sqrt(cols), rows + "×" + cols + " row " + r);
            }
        }
    }

    @Test
    void kernelDecodeEqualsThePlainProductOverTheDequantizedWeights() {
        assertTrue(Gemv.available(), "surefire runs with --add-modules jdk.incubator.vector");
        for (String m : new String[] {"fixtures/gpt2-tiny", "fixtures/llama-gqa"}) {
            try (LanguageModel q8 = LanguageModel.load(Reference.model(m), LoadOptions.defaults().quantize("int8"))) {
                long[] ids = {3, 17, 5, 42, 8, 1, 29, 11};
                float[][] stepwise = decodeLogits(q8, ids); // one row at a time: the int8 kernel
                float[][] prefill = allLogits(q8, ids); // all rows at once: PyTorch over q·s
                for (int t = 0; t < ids.length; t++) {
                    for (int j = 0; j < prefill[t].length; j++) {
                        assertEquals(prefill[t][j], stepwise[t][j], 1e-4, m + " position " + t + " logit " + j);
                    }
                }
            }
        }
    }

    @Test
    void int8StaysCloseToFloat32() {
        Path[] dirs = {Reference.model("models/stories260K"), Reference.model("fixtures/gpt2-tiny"), Paths.get("model-zoo/kjv-gpt2")};
        for (Path dir : dirs) {
            try (LanguageModel f32 = LanguageModel.load(dir);
                    LanguageModel q8 = LanguageModel.load(dir, LoadOptions.defaults().quantize("int8"))) {
                long[] ids = new long[24];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = (i * 37L + 1) % f32.config().vocabSize();
                }
                float[][] a = allLogits(f32, ids);
                float[][] b = decodeLogits(q8, ids);
                double worst = 0;
                double sum = 0;
                int agree = 0;
                for (int t = 0; t < ids.length; t++) {
                    double[] la = logSoftmax(a[t]);
                    double[] lb = logSoftmax(b[t]);
                    int next = (int) ids[Math.min(t + 1, ids.length - 1)];
                    worst = Math.max(worst, Math.abs(la[next] - lb[next]));
                    sum += Math.abs(la[next] - lb[next]);
                    agree += argmax(a[t]) == argmax(b[t]) ? 1 : 0;
                }
                System.out.printf("int8 vs f32 %s: next-token log-prob difference worst %.4f mean %.4f, greedy agreement %d/%d%n",
                        dir.getFileName(), worst, sum / ids.length, agree, ids.length);
                assertTrue(worst < LOGPROB_TOL, dir + ": worst log-prob difference " + worst);
                assertTrue(agree >= ids.length - 2, dir + ": greedy choices agree at " + agree + " of " + ids.length);
            }
        }
    }

    private static float[][] allLogits(LanguageModel model, long[] ids) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray logits = model.block().forward(m.create(ids, new Shape(1, ids.length)), ForwardContext.plain(), true);
            float[] flat = logits.toFloatArray();
            int v = flat.length / ids.length;
            float[][] out = new float[ids.length][v];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * v, out[t], 0, v);
            }
            logits.close();
            return out;
        }
    }

    private static float[][] decodeLogits(LanguageModel model, long[] ids) {
        float[][] out = new float[ids.length][];
        try (NDManager m = model.manager().newSubManager();
                KvCache cache = model.newCache(m, ids.length)) {
            ForwardContext ctx = new ForwardContext(cache, null);
            for (int t = 0; t < ids.length; t++) {
                NDArray logits = model.block().forward(m.create(new long[] {ids[t]}, new Shape(1, 1)), ctx, false);
                out[t] = logits.toFloatArray();
                logits.close();
            }
        }
        return out;
    }

    private static double[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] - lse;
        }
        return out;
    }

    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }
}
