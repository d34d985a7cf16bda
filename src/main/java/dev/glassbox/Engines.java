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
     * Models with fewer weights than this run on one PyTorch thread by default when OpenMP's
     * threads spin while they wait (its default): a second spinning thread made the bundled model
     * 3-6 times slower whenever anything else ran on the machine, and a small model's matrix
     * products gain little from it anyway (see README, "Threads").
     */
    public static final long SMALL_MODEL_PARAMETERS = 50_000_000L;

    /** Whether the thread count was chosen already (by {@link #threads} or -Dai.djl.pytorch.num_threads). */
    public static boolean threadsChosen() {
        return System.getProperty("ai.djl.pytorch.num_threads") != null;
    }

    /** Whether OpenMP's idle threads sleep ({@code OMP_WAIT_POLICY=PASSIVE}, as bin/glassbox sets it). */
    public static boolean passiveWaiting() {
        return "passive".equalsIgnoreCase(System.getenv("OMP_WAIT_POLICY"));
    }

    /**
     * The default thread count for a model of {@code parameters} weights, unless a count was
     * chosen already: PyTorch's own (one per core) when idle threads sleep or the model is large,
     * else one. Must run before the engine starts.
     */
    public static void defaultThreadsFor(long parameters) {
        if (!threadsChosen() && !passiveWaiting() && parameters < SMALL_MODEL_PARAMETERS) {
            threads(1);
        }
    }
}
