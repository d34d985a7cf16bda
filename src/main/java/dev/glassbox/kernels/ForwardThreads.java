package dev.glassbox.kernels;

import dev.glassbox.djl.PyTorchInternals;

/**
 * PyTorch on one thread for the length of a CPU forward whose matrix products OpenBLAS computes
 * (a decode step, or a float32 prompt or batch), the configured count again afterwards.
 *
 * <p>Why, measured: in a decode step PyTorch's own work is a few hundred tiny operations (a
 * 768-wide layer norm, a softmax over the past), where waking a second OpenMP thread costs more
 * than it saves: on GPT-2 small the work outside the products took 15 ms a token on two threads
 * and 10 ms on one. In a prompt, OpenBLAS's own threads keep spinning about 0.1 s after each
 * product; with PyTorch on one thread they spin on the cores PyTorch does not use, instead of
 * taking the cores its OpenMP threads need between the products (README "Performance"). The
 * products themselves use every configured thread (OpenBLAS's own pool, and {@link RowSplit} for
 * the int8 kernel). Forwards running at once on several Java threads share the setting: the count
 * is restored when the last of them ends.
 */
public final class ForwardThreads implements AutoCloseable {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.decodeThreads"));
    private static int active;
    private static int configured;

    private ForwardThreads() {}

    /** Enters a one-thread forward; close it when the forward ends. */
    public static ForwardThreads enter() {
        synchronized (ForwardThreads.class) {
            if (active == 0) {
                // the JNI calls first: if one throws, nothing is entered and nothing needs closing
                int count = PyTorchInternals.numThreads();
                if (ENABLED && count > 1) {
                    PyTorchInternals.setNumThreads(1);
                }
                configured = count;
            }
            active++;
        }
        return new ForwardThreads();
    }

    /**
     * True inside a forward that runs PyTorch on one thread: OpenBLAS may take several rows without
     * competing with OpenMP (false when {@code -Dglassbox.decodeThreads=false} keeps PyTorch's threads).
     */
    public static synchronized boolean inside() {
        return active > 0 && (ENABLED || configured <= 1);
    }

    /** The thread count the matrix products may use: the configured one, also inside a forward. */
    public static synchronized int threads() {
        return active > 0 ? configured : PyTorchInternals.numThreads();
    }

    @Override
    public void close() {
        synchronized (ForwardThreads.class) {
            if (--active == 0 && ENABLED && configured > 1) {
                PyTorchInternals.setNumThreads(configured);
            }
        }
    }
}
