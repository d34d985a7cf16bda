package dev.glassbox.kernels;

import ai.djl.ndarray.NDArray;
import dev.glassbox.djl.PyTorchInternals;
import java.nio.FloatBuffer;

/**
 * RMSNorm of one float32 row on the CPU, y = x / √(mean(x²) + ε) · w (or · (1 + w), Gemma),
 * written out in Java over the tensors' own memory: the same float32 operations as the DJL path
 * in {@code Norm} (square, mean, add ε, sqrt, divide, scale), one tensor instead of six.
 *
 * <p>Why: a decode step of a Llama-style model normalises 2 × layers + 1 rows of a few hundred
 * values, and each DJL operation costs a JNI call and a tensor (about 4 µs, measured: RMSNorm
 * through DJL took 24 µs a row). The sum of squares is taken in another order than libtorch's:
 * parity within float32 rounding.
 */
public final class RowNorm {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.rowNorm"));

    private RowNorm() {}

    /** True when {@code x} is one float32 row on the CPU and no gradient is wanted of x or the scale {@code w}. */
    public static boolean applies(NDArray x, NDArray w) {
        return ENABLED && BlasLinear.singleRow(x.getShape()) && CpuFloat32.inference(x, w);
    }

    /** RMSNorm of the row {@code x} scaled by {@code w} (by 1 + w when {@code plusOne}), shaped like x. */
    public static NDArray rms(NDArray x, NDArray w, float eps, boolean plusOne) {
        int n = (int) x.getShape().get(x.getShape().dimension() - 1);
        if (w.getShape().size() != n) {
            throw new IllegalArgumentException("the scale has " + w.getShape().size() + " values, the row " + n);
        }
        float[] v = new float[n];
        PyTorchInternals.directBuffer(x).asFloatBuffer().get(v);
        FloatBuffer scale = PyTorchInternals.directBuffer(w).asFloatBuffer();
        double sum = 0; // in double: a long row summed in one order stays as close to libtorch's as float32 allows
        for (float e : v) {
            sum += e * e;
        }
        float root = (float) Math.sqrt((float) (sum / n) + eps);
        for (int i = 0; i < n; i++) {
            float s = scale.get(i);
            v[i] = v[i] / root * (plusOne ? s + 1f : s);
        }
        return x.getManager().create(v, x.getShape());
    }
}
