package dev.glassbox.kernels;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads;

/**
 * OpenBLAS, loaded through JavaCPP (org.bytedeco:openblas) on first use: loading takes about
 * 0.2 s, so a command that never multiplies never pays it. If it cannot load (another platform, an
 * unwritable JavaCPP cache folder), {@link #available()} is false and every caller keeps to
 * PyTorch; the reason is kept for {@code bench} to report.
 *
 * <p>OpenBLAS runs on as many threads as PyTorch's intra-op pool. Splitting the columns over
 * single-threaded OpenBLAS calls from Java threads instead was measured and dropped: a
 * [128, 768]×[768, 3072] product ran at 66 GFLOPS that way against 153 in OpenBLAS's own threads,
 * and decode was no faster.
 *
 * <p>Its idle workers spin for {@code 2^OPENBLAS_THREAD_TIMEOUT} cycles before sleeping, read from
 * the environment when the library loads; {@code bin/glassbox} sets 20 (about 0.3 ms, instead of
 * the default 2^28, about 0.1 s), which made prompts 8-18 % faster on the 2-core machines and left
 * decode as it was (README "Performance").
 */
public final class OpenBlas {

    private static volatile Boolean available;
    private static volatile String problem;

    private OpenBlas() {}

    /** True once OpenBLAS is loaded and answers a 1×1 product correctly (loads it on the first call). */
    public static boolean available() {
        Boolean a = available;
        return a != null ? a : load();
    }

    /** True when OpenBLAS has been loaded (by a product large enough to use it) and works; loads nothing. */
    public static boolean loaded() {
        return Boolean.TRUE.equals(available);
    }

    /** Why OpenBLAS is not used, or null when it is (or was not asked for yet). */
    public static String problem() {
        return problem;
    }

    private static synchronized boolean load() {
        if (available != null) {
            return available;
        }
        try {
            Loader.load(openblas_nolapack.class);
            setThreads(Math.max(1, ForwardThreads.threads())); // PyTorch's intra-op count (--threads)
            float[] y = {0f};
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, 1, 1, 1f,
                    new float[] {3f}, 1, new float[] {0.5f}, 1, 0f, y, 1);
            available = y[0] == 1.5f;
            if (!available) {
                problem = "OpenBLAS computed 3·0.5 = " + y[0];
            }
        } catch (Throwable e) { // UnsatisfiedLinkError, or JavaCPP's own errors: keep to PyTorch
            problem = "OpenBLAS did not load: " + e;
            available = false;
        }
        return available;
    }

    /**
     * openblas_set_num_threads, through the presets' own function-pointer binding (its allocating
     * constructor is protected, hence reflection; wrapping the bare address crashes the JVM). Not
     * blas_set_num_threads, which also calls the MKL_Set_Num_Threads that libtorch exports and so
     * would make every PyTorch GEMM single-threaded (prefill then took 1.8× as long).
     */
    private static void setThreads(int n) throws ReflectiveOperationException {
        Pointer function = Loader.addressof("openblas_set_num_threads");
        if (function == null || function.isNull()) {
            throw new UnsatisfiedLinkError("openblas_set_num_threads not found");
        }
        java.lang.reflect.Constructor<SetNumThreads> make = SetNumThreads.class.getDeclaredConstructor();
        make.setAccessible(true);
        SetNumThreads f = make.newInstance();
        f.put(function);
        f.call(n);
        setNumThreads = f;
    }

    private static volatile SetNumThreads setNumThreads;

    /**
     * Sets OpenBLAS's thread count (process-wide: a product running meanwhile on another Java
     * thread uses it too, correct but on fewer threads). Only once OpenBLAS is {@link #available}.
     */
    static void threads(int n) {
        setNumThreads.call(Math.max(1, n));
    }

    /**
     * y = W·x + b for one row x [in]; W is [out, in] row-major, or [in, out] when {@code inputMajor}
     * (leading dimension out); b may be null.
     */
    static void gemv(boolean inputMajor, int out, int in, FloatBuffer w, FloatBuffer x, FloatBuffer b, FloatBuffer y) {
        if (inputMajor) {
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans, in, out, 1f, w, out, x, 1, 0f, y, 1);
        } else {
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, out, in, 1f, w, in, x, 1, 0f, y, 1);
        }
        if (b != null) {
            openblas_nolapack.cblas_saxpy(out, 1f, b, 1, y, 1);
        }
    }

    /**
     * y = x·Wᵀ + b for {@code rows} rows of x [rows, in]; W is [out, in] row-major, or [in, out]
     * when {@code inputMajor} (leading dimension out); b may be null (y then starts as b in every
     * row and the product is added, as torch's addmm).
     */
    static void gemm(boolean inputMajor, int rows, int out, int in, FloatBuffer w, FloatBuffer x, FloatBuffer b, FloatBuffer y) {
        int ldw = inputMajor ? out : in;
        float beta = 0f;
        if (b != null) {
            for (int r = 0; r < rows; r++) {
                openblas_nolapack.cblas_scopy(out, b, 1, y.duplicate().position(Math.toIntExact((long) r * out)), 1);
            }
            beta = 1f;
        }
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                inputMajor ? openblas_nolapack.CblasNoTrans : openblas_nolapack.CblasTrans,
                rows, out, in, 1f, x, in, w, ldw, beta, y, out);
    }

    /**
     * C = alpha·A·op(B) on sub-matrices that start at the pointers' positions, with leading
     * dimensions lda, ldb, ldc: A [m, k]; B [n, k] when {@code transB}, else [k, n]; C [m, n].
     */
    static void gemmAt(int m, int n, int k, float alpha, FloatPointer a, int lda, FloatPointer b, int ldb, boolean transB,
            FloatPointer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, 0f, c, ldc);
    }
}
