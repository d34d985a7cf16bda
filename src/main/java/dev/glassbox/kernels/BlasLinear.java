package dev.glassbox.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.djl.PyTorchInternals;
import java.nio.FloatBuffer;

/**
 * A float32 linear layer on the CPU, y = x·Wᵀ (+ b), through OpenBLAS on the PyTorch tensors' own
 * memory (no copies: W, x and y are read and written where libtorch keeps them): sgemv for one
 * row (a decode step), sgemm for several (a prompt, a batch).
 *
 * <p>Why: libtorch 2.7.1's MKL is slower than OpenBLAS for both shapes on this project's
 * machines. On the AMD EPYC machines a 50257×768 matrix-vector product read 11 GB/s through MKL
 * and 23 through OpenBLAS, and prompt-sized products [128, d]×[d, n] on the GPT-2 and SmolLM
 * shapes ran at 60–88 GFLOPS through PyTorch against 129–163 through OpenBLAS (AMD EPYC Zen 4, 2
 * threads); on an Intel Xeon (AVX-512) machine the GEMV read 28.8 against 35.0 GB/s, and the GEMMs
 * ran at 139–228 against ~230 GFLOPS (README "Performance").
 *
 * <p>Why several rows only inside a {@link ForwardThreads} forward: OpenBLAS's own threads keep
 * spinning about 0.1 s after each call and take the cores PyTorch's OpenMP threads need for the
 * operations between the products. With PyTorch on two threads, a 128-token GPT-2 prefill took
 * 257 ms through OpenBLAS against 211 through PyTorch (Intel, OMP_WAIT_POLICY=PASSIVE), and 898
 * against 239 where OpenMP spins too (its default, as in a JVM not started by bin/glassbox). A
 * one-thread forward leaves OpenBLAS's workers the other cores.
 *
 * <p>Where this does not apply (a gradient wanted, half precision, the GPU, several rows outside
 * a one-thread forward, {@code -Dglassbox.openblas=false}, or OpenBLAS failing to load) the caller
 * takes PyTorch's product; both compute the same sums, in a different order (parity within
 * float32 rounding).
 */
public final class BlasLinear {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.openblas"));
    /**
     * Matrices with fewer weights stay in PyTorch: a 64-wide model never loads OpenBLAS (0.2 s).
     * SmolLM's 192×576 key and value projections (110,592 weights) are above it: through PyTorch
     * they took about 7% of a decode step's native samples in a JFR profile.
     */
    static final long MIN_WEIGHTS = 1L << 16;

    private BlasLinear() {}

    /**
     * True when {@code x} [..., in] times {@code w} may go through {@link #multiply}: one row, or
     * several inside a one-thread forward ({@link ForwardThreads}).
     */
    public static boolean applies(NDArray x, NDArray w) {
        if (x.getShape().size() == 0 || (!singleRow(x.getShape()) && !ForwardThreads.inside())) {
            return false; // PyTorch's GEMM on its own threads (see above)
        }
        return ENABLED && large(w) && CpuFloat32.inference(x, w) && OpenBlas.available();
    }

    /**
     * True when products with {@code w} may go through OpenBLAS at all: float32 on the CPU, no
     * gradient wanted of it, large enough, and OpenBLAS loaded (loads it for such a matrix).
     */
    public static boolean usable(NDArray w) {
        return ENABLED && large(w) && CpuFloat32.inference(w) && OpenBlas.available();
    }

    /** False for a tiny matrix: not worth loading OpenBLAS for (start-up) nor its call overhead. */
    private static boolean large(NDArray w) {
        return w.getShape().size() >= MIN_WEIGHTS;
    }

    /** True when {@code s} [..., in] holds exactly one non-empty row (a decode step of one sequence). */
    public static boolean singleRow(Shape s) {
        return s.dimension() >= 1 && s.size() > 0 && s.size() == s.get(s.dimension() - 1);
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
        if (rows == 1) {
            OpenBlas.gemv(inputMajor, out, in, wb, xb, bb, yb);
        } else {
            OpenBlas.gemm(inputMajor, rows, out, in, wb, xb, bb, yb);
        }
        return y;
    }
}
