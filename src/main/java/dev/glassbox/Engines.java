package dev.glassbox;

import ai.djl.engine.Engine;

/**
 * Starts DJL's PyTorch engine the way glassbox needs it: offline (the natives come from the
 * pytorch-native-cpu jar; nothing is downloaded) unless the user says otherwise.
 */
public final class Engines {

    private Engines() {}

    public static synchronized Engine init() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        return Engine.getEngine("PyTorch");
    }

    /** Sets PyTorch's intra-op thread count; must run before the engine starts. */
    public static void threads(int n) {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /**
     * Models with fewer weights than this run on one PyTorch thread by default: their matrix
     * products are too small to split across threads, and a second OpenMP thread that spins while
     * waiting for work made the bundled model several times slower whenever anything else ran on
     * the machine (see README, "Threads").
     */
    public static final long SMALL_MODEL_PARAMETERS = 50_000_000L;

    /** Whether the thread count was chosen already (by {@link #threads} or -Dai.djl.pytorch.num_threads). */
    public static boolean threadsChosen() {
        return System.getProperty("ai.djl.pytorch.num_threads") != null;
    }

    /**
     * The default for a model of {@code parameters} weights, unless a count was chosen already:
     * one thread for a small model, else PyTorch's own default (one per core). Must run before
     * the engine starts.
     */
    public static void defaultThreadsFor(long parameters) {
        if (!threadsChosen() && parameters < SMALL_MODEL_PARAMETERS) {
            threads(1);
        }
    }
}
