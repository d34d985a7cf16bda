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
}
