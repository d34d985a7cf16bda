package dev.glassbox.kernels;

import ai.djl.ndarray.NDArray;
import dev.glassbox.djl.PyTorchInternals;

/**
 * RMSNorm of float32 rows on the CPU, y = x / √(mean(x²) + ε) · w (or · (1 + w), Gemma), written
 * out in Java over the tensors' own memory: the same float32 operations as the DJL path in
 * {@code Norm} (square, mean, add ε, sqrt, divide, scale), one tensor instead of six.
 *
 * <p>Why: a decode step of a Llama-style model normalises 2 × layers + 1 rows of a few hundred
 * values, and each DJL operation costs a JNI call and a tensor (about 4 µs, measured: RMSNorm
 * through DJL took 24 µs a row). In a prompt inside a one-thread forward ({@link ForwardThreads})
 * the six passes over [t, D] took about 4 % of SmolLM-135M's 128-token forward (JFR samples). The
 * sum of squares is taken in another order than libtorch's, and x is multiplied by the reciprocal
 * root as HuggingFace's LlamaRMSNorm does (the DJL path divides): parity within float32 rounding.
 */
public final class RowNorm {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.rowNorm"));

    private RowNorm() {}

    /**
     * True when {@code x} is float32 on the CPU, no gradient is wanted of x or the scale {@code w},
     * and x is one row or this is a one-thread forward (outside one, PyTorch may use more threads
     * on many rows than this loop does).
     */
    public static boolean applies(NDArray x, NDArray w) {
        return ENABLED && x.getShape().size() > 0 && (BlasLinear.singleRow(x.getShape()) || ForwardThreads.inside())
                && CpuFloat32.inference(x, w);
    }

    /** RMSNorm of every row of {@code x} [..., n] scaled by {@code w} [n] (by 1 + w when {@code plusOne}), shaped like x. */
    public static NDArray rms(NDArray x, NDArray w, float eps, boolean plusOne) {
        int n = (int) x.getShape().get(x.getShape().dimension() - 1);
        if (w.getShape().size() != n) {
            throw new IllegalArgumentException("the scale has " + w.getShape().size() + " values, the row " + n);
        }
        float[] v = PyTorchInternals.toFloatArray(x);
        float[] scale = PyTorchInternals.toFloatArray(w); // a copy of its own: normalise may add 1 to it
        normalise(v, scale, n, eps, plusOne);
        return CpuFloat32.tensor(x.getManager(), v, x.getShape());
    }

    /**
     * The arithmetic, on plain arrays in a method of its own: C2 compiles it apart from the tensor
     * plumbing around it (compiled together they took C2 0.4 s, JFR jdk.Compilation, on a core the
     * products of a prompt needed).
     */
    private static void normalise(float[] v, float[] scale, int n, float eps, boolean plusOne) {
        if (plusOne) {
            for (int i = 0; i < n; i++) {
                scale[i] += 1f;
            }
        }
        for (int base = 0; base < v.length; base += n) {
            float inv = 1f / (float) Math.sqrt((float) (sumOfSquares(v, base, n) / n) + eps);
            for (int j = 0; j < n; j++) {
                v[base + j] = v[base + j] * inv * scale[j]; // as HuggingFace: w · (x · rsqrt(mean(x²) + ε))
            }
        }
    }

    /**
     * Σ x² over v[base, base + n): eight float32 chains over each 64 values (eight independent
     * adds keep the adder busy; a single chain waits on each add), their total added in double, so
     * a long row's sum stays as close to libtorch's as float32 allows. With the product by the
     * reciprocal root above (the division it replaced was most of the cost: 620-670 µs over
     * [512, 576] in a loop of its own, the product 95-111), a call over [512, 576] took 267-282 µs
     * instead of 520 (four chains in double and a division; 200 calls, one thread).
     */
    private static double sumOfSquares(float[] v, int base, int n) {
        double total = 0;
        int i = 0;
        for (; i + 64 <= n; i += 64) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0; // eight chains
            float s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int k = base + i; k < base + i + 64; k += 8) {
                s0 += v[k] * v[k];
                s1 += v[k + 1] * v[k + 1];
                s2 += v[k + 2] * v[k + 2];
                s3 += v[k + 3] * v[k + 3];
                s4 += v[k + 4] * v[k + 4];
                s5 += v[k + 5] * v[k + 5];
                s6 += v[k + 6] * v[k + 6];
                s7 += v[k + 7] * v[k + 7];
            }
            total += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }
        for (; i < n; i++) {
            float a = v[base + i];
            total += a * a;
        }
        return total;
    }
}
