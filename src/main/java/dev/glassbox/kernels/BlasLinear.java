package dev.glassbox.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.djl.PyTorchInternals;
import java.nio.FloatBuffer;

/**
 * A float32 linear layer on the CPU, y = x·Wᵀ (+ b), through OpenBLAS on the PyTorch tensors' own
 * memory (no copies: W, x and y are read and written where libtorch keeps them): sgemv for one
 * row (a decode step), sgemm for several (a prompt).
 *
 * <p>Why: libtorch 2.7's MKL reaches about half of OpenBLAS's speed on this project's AMD EPYC
 * machines, for both shapes: a 50257×768 matrix-vector product read memory at 11 GB/s through
 * MKL and 23 GB/s through OpenBLAS, and a [128, 768]×[768, 3072] product ran at 112 GFLOPS
 * through OpenBLAS against 70 through PyTorch, both on 2 threads (README "Performance"). Everything else in the
 * model stays in PyTorch. Where this does not apply (a gradient wanted, half precision, the GPU,
 * {@code -Dglassbox.openblas=false}, or OpenBLAS failing to load) the caller takes PyTorch's
 * product; both compute the same sums, in a different order (parity within float32 rounding).
 */
public final class BlasLinear {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.openblas"));
    /** Matrices with fewer weights stay in PyTorch: a 64-wide model never loads OpenBLAS (0.2 s). */
    static final long MIN_WEIGHTS = 1L << 18;

    private BlasLinear() {}

    /** True when {@code x} [..., in] times {@code w} may go through {@link #multiply}. */
    public static boolean applies(NDArray x, NDArray w) {
        if (!ENABLED || x.getDataType() != DataType.FLOAT32 || w.getDataType() != DataType.FLOAT32) {
            return false;
        }
        if (!Device.Type.CPU.equals(x.getDevice().getDeviceType()) || !Device.Type.CPU.equals(w.getDevice().getDeviceType())) {
            return false;
        }
        Shape s = x.getShape();
        if (s.dimension() < 1 || s.size() == 0 || w.getShape().size() < MIN_WEIGHTS) {
            // a tiny matrix: not worth loading OpenBLAS for (start-up) nor its call overhead. Decided
            // by W alone, so one layer takes one path for every number of rows (a prompt's
            // logits and a decode step's then round alike).
            return false;
        }
        // autograd must see the product (training, attribution patching): PyTorch's path records it
        return !PyTorchInternals.isGradMode() && !x.hasGradient() && !w.hasGradient() && OpenBlas.available();
    }

    /**
     * The weights of one projection as OpenBLAS reads them: a view of the parameter's memory,
     * taken once and kept while the parameter holds the same array (in-place updates, as training
     * and int8 quantization make, are seen; a replaced array is viewed afresh).
     */
    public static final class Weights {
        private NDArray array;
        private FloatBuffer view;

        FloatBuffer of(NDArray w) {
            if (w != array) {
                // a non-contiguous weight would be a stale copy after an in-place update: view it each call
                view = PyTorchInternals.sharesMemory(w) ? PyTorchInternals.directBuffer(w).asFloatBuffer() : null;
                array = w;
            }
            return view != null ? view : PyTorchInternals.directBuffer(w).asFloatBuffer();
        }
    }

    /**
     * y = x·Wᵀ + b for {@code x} [..., in], shaped like x with its last axis the output width; W
     * is [out, in], or [in, out] when {@code inputMajor} (GPT-2's Conv1D, read as stored).
     *
     * @param cache where the view of W is kept (one per projection), or null to view it now
     * @param b the bias [out], or null
     */
    public static NDArray multiply(NDArray x, NDArray w, boolean inputMajor, NDArray b, Weights cache) {
        Shape ws = w.getShape();
        Shape xs = x.getShape();
        if (ws.dimension() != 2) {
            throw new IllegalArgumentException("W must be a matrix, found " + ws);
        }
        int out = (int) (inputMajor ? ws.get(1) : ws.get(0));
        int in = (int) (inputMajor ? ws.get(0) : ws.get(1));
        if (xs.get(xs.dimension() - 1) != in) {
            throw new IllegalArgumentException("x is " + xs + ", W is " + ws + (inputMajor ? " [in, out]" : " [out, in]"));
        }
        int rows = Math.toIntExact(xs.size() / in);
        FloatBuffer wb = cache != null ? cache.of(w) : PyTorchInternals.directBuffer(w).asFloatBuffer();
        NDArray y = x.getManager().create(xs.slice(0, xs.dimension() - 1).add(out), DataType.FLOAT32);
        FloatBuffer yb = PyTorchInternals.directBuffer(y).asFloatBuffer();
        FloatBuffer xb = PyTorchInternals.directBuffer(x).asFloatBuffer();
        FloatBuffer bb = b == null ? null : PyTorchInternals.directBuffer(b).asFloatBuffer();
        OpenBlas.linear(inputMajor, rows, out, in, wb, xb, bb, yb);
        return y;
    }
}
