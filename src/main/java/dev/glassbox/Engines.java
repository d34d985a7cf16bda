package dev.glassbox;

import ai.djl.engine.Engine;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Starts DJL's PyTorch engine the way glassbox needs it: offline (the natives come from the
 * pytorch-native-cpu jar; nothing is downloaded) unless the user says otherwise.
 */
public final class Engines {

    private Engines() {}

    public static synchronized Engine init() {
        offlineUnlessTold();
        return Engine.getEngine("PyTorch");
    }

    private static void offlineUnlessTold() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private static Thread preload;

    /**
     * Starts loading libtorch's native libraries on a background thread, so that the ~0.4 s the
     * dynamic linker and libtorch's static initialisers take overlap with parsing the command line,
     * the config and the tokenizer (README, "Start-up"). Only the libraries: the engine itself, and
     * with it the thread counts, is still set up by {@link #init} once the model is known. DJL's
     * loader is synchronized, so an {@link #init} that comes first simply waits. A failure here is
     * ignored: {@link #init} meets it again and reports it.
     */
    public static synchronized void preloadNatives() {
        if (preload != null) {
            return;
        }
        offlineUnlessTold();
        linkJdkNativesFirst();
        preload = new Thread(() -> {
            try {
                ai.djl.pytorch.jni.LibUtils.loadLibrary();
            } catch (Throwable ignored) {
                // reported by init() on the main thread, where the user sees it
            }
        }, "glassbox-libtorch-preload");
        preload.setDaemon(true);
        preload.start();
    }

    /**
     * Links, on the calling thread, the JDK native methods that parsing the command line and reading
     * the checkpoint call first. The dynamic linker holds one lock through a whole library load,
     * libtorch's static initialisers included, and the JVM takes it (dlsym) to link a native method
     * the first time it is called; so a main thread that met its first FileChannel or
     * {@code Array.getLength} during the preload waited ~0.3 s for it (seen in -Xlog:jni+resolve
     * time stamps). A method missing here only brings that wait back, never a different result.
     */
    private static void linkJdkNativesFirst() {
        try {
            java.lang.reflect.Array.getLength(new Object[0]); // picocli's reflection
            java.util.TimeZone.getDefault();                  // Jackson's date format
            Path release = Path.of(System.getProperty("java.home"), "release");
            try (FileChannel ch = FileChannel.open(release)) { // libnio: checkpoint and config reads
                ByteBuffer one = ByteBuffer.allocate(1);
                ch.read(one);
                ch.read(one.clear(), 0);
                ch.size();
            }
        } catch (Throwable ignored) {
            // only an optimisation: each is linked anyway when first called
        }
    }

    /**
     * Waits for {@link #preloadNatives} to finish: a process must not exit while another thread is
     * inside libtorch's static initialisers (its exit handlers would run on half-built state).
     */
    public static void awaitPreload() {
        Thread t;
        synchronized (Engines.class) {
            t = preload;
        }
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
