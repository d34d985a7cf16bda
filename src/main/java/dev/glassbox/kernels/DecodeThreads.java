package dev.glassbox.kernels;

import dev.glassbox.djl.PyTorchInternals;

/**
 * PyTorch on one thread for the length of a decode step (one row on the CPU), the configured
 * count again afterwards.
 *
 * <p>Why: in a decode step PyTorch's own work is a few hundred tiny operations (a 768-wide layer
 * norm, a softmax over the past), where waking a second OpenMP thread costs more than it saves;
 * measured on GPT-2 small, the work outside the matrix products took 15 ms a token on two
 * threads and 10 ms on one. The matrix products themselves still use every configured thread
 * (OpenBLAS's own pool, and {@link RowSplit} for the int8 kernel). Steps running at once on several Java threads share the setting: the
 * count is restored when the last of them ends.
 */
public final class DecodeThreads implements AutoCloseable {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.decodeThreads"));
    private static int active;
    private static int configured;

    private DecodeThreads() {}

    /** Enters a decode step; close it when the step ends. */
    public static DecodeThreads enter() {
        synchronized (DecodeThreads.class) {
            if (active++ == 0) {
                configured = PyTorchInternals.numThreads();
                if (ENABLED && configured > 1) {
                    PyTorchInternals.setNumThreads(1);
                }
            }
        }
        return new DecodeThreads();
    }

    /** The thread count the matrix products may use: the configured one, also inside a step. */
    public static synchronized int threads() {
        return active > 0 ? configured : PyTorchInternals.numThreads();
    }

    @Override
    public void close() {
        synchronized (DecodeThreads.class) {
            if (--active == 0 && ENABLED && configured > 1) {
                PyTorchInternals.setNumThreads(configured);
            }
        }
    }
}
