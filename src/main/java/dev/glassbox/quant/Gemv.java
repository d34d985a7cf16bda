package dev.glassbox.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The decode-time (one input row) product with int8 weights, y = W·x, on the CPU. It runs the
 * Vector API kernel when the JVM was started with {@code --add-modules jdk.incubator.vector}
 * (bin/glassbox adds it with {@code --quantize int8}); otherwise {@link #available()} is false
 * and callers take the plain PyTorch path over the dequantized weights. Large matrices are split
 * by rows over the PyTorch engine's thread count.
 */
public final class Gemv {

    private static final boolean AVAILABLE = probe();
    /** Below this many weights one thread is faster than handing work to a second. */
    private static final long PARALLEL_MIN = 1L << 18;
    private static ExecutorService pool;

    private Gemv() {}

    /** True when the Vector API kernel can run in this JVM. */
    public static boolean available() {
        return AVAILABLE;
    }

    private static boolean probe() {
        if (Boolean.getBoolean("glassbox.noVectorApi") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            // one tiny product: the module is there and the kernel links on this JDK
            float[] y = new float[1];
            VectorGemv.rows(new byte[] {2}, new float[] {0.5f}, 1, new float[] {3f}, y, 0, 1);
            return y[0] == 3f;
        } catch (LinkageError e) {
            return false;
        }
    }

    static void int8(Int8Matrix w, float[] x, float[] y) {
        if (!AVAILABLE) {
            throw new IllegalStateException("the Vector API kernel is not available (start the JVM with --add-modules jdk.incubator.vector)");
        }
        if (x.length != w.cols() || y.length != w.rows()) {
            throw new IllegalArgumentException("W is " + w.rows() + "×" + w.cols() + ", x has " + x.length + ", y has " + y.length);
        }
        // as many threads as PyTorch's intra-op pool (--threads), so both paths use the same cores
        int n = Math.max(1, Math.min(dev.glassbox.djl.PyTorchInternals.numThreads(), Runtime.getRuntime().availableProcessors()));
        if (n == 1 || (long) w.rows() * w.cols() < PARALLEL_MIN) {
            VectorGemv.rows(w.values(), w.scales(), w.cols(), x, y, 0, w.rows());
            return;
        }
        int chunk = (w.rows() + n - 1) / n;
        List<Future<?>> parts = new ArrayList<>();
        ExecutorService p = pool(n);
        for (int i = 1; i < n; i++) {
            int r0 = Math.min(w.rows(), i * chunk);
            int r1 = Math.min(w.rows(), r0 + chunk);
            parts.add(p.submit(() -> VectorGemv.rows(w.values(), w.scales(), w.cols(), x, y, r0, r1)));
        }
        VectorGemv.rows(w.values(), w.scales(), w.cols(), x, y, 0, Math.min(w.rows(), chunk));
        try {
            for (Future<?> f : parts) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during an int8 product", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("int8 product failed", e.getCause());
        }
    }

    private static synchronized ExecutorService pool(int n) {
        if (pool == null) {
            pool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "glassbox-gemv");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }
}
