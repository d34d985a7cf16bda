import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogManager;
import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.channels.LoopThread;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.Transform;

/**
 * Starts rapaio-jupyter-kernel 3.0.1 (the Java kernel the glassbox notebooks run on) as its MainApp
 * does, with two start-up races closed. Without them about one start in six on a busy two-core
 * machine gives a kernel that never answers, and Jupyter gives up with "Kernel didn't respond".
 *
 * <ol>
 *   <li>Channels.connect binds the ZeroMQ sockets and starts the shell thread before it fills its
 *       message-handler map: a kernel_info_request that arrives at once (nbclient sends one right
 *       away) meets a null map and the shell thread dies. Here the map is set beforehand to one
 *       that waits until connect() has finished and then answers from the real map.
 *   <li>LoopThread.start() calls Thread.start() and only then sets {@code running = true}; a new
 *       thread that reads the flag first finds it false and ends at once, so the shell, control or
 *       heartbeat channel is silently dead. Here every loop thread is checked after connect() and
 *       one that ended that way is replaced by a new one with the flag set before it starts.
 * </ol>
 *
 * <p>Also turns the kernel's INFO logging (every message it handles, on stderr) down to warnings,
 * and ends the kernel when the process that started it (Jupyter, nbconvert) is gone, so that a
 * killed or timed-out run leaves no kernel behind.
 */
public final class GlassboxKernel {

    private static final String[] LOOP_CHANNELS = {"heartbeat", "shell", "control"};

    private GlassboxKernel() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("usage: GlassboxKernel CONNECTION_FILE (Jupyter passes {connection_file})");
            System.exit(2);
        }
        try (InputStream in = GlassboxKernel.class.getResourceAsStream("/glassbox-kernel-logging.properties")) {
            if (in != null) {
                LogManager.getLogManager().readConfiguration(in);
            }
        }
        // The kernel later points System.err at the notebook; report dying threads on the real one.
        PrintStream stderr = System.err;
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            stderr.println("glassbox-kernel: thread " + t.getName() + " died:");
            e.printStackTrace(stderr);
        });
        exitWithParent();
        String json = Files.readString(Path.of(args[0]));
        ConnectionProperties props = Transform.fromJson(json, ConnectionProperties.class);
        Channels channels = new Channels(props);
        Field handlers = field(Channels.class, "handlers");
        WaitForConnect waiting = new WaitForConnect(channels, handlers);
        handlers.set(channels, waiting);
        channels.connect(MainApp.kernel);
        waiting.connected.countDown();
        for (String name : LOOP_CHANNELS) {
            reviveIfDead(field(Channels.class, name).get(channels), stderr);
        }
        channels.joinUntilClose();
    }

    /**
     * A loop thread either ended at once (it read {@code running} before start() set it: the
     * flag is true, the thread terminated without sleeping once) or it loops and sleeps between
     * polls until shutdown. Wait until it has done one or the other, and replace it if it ended.
     */
    private static void reviveIfDead(Object channel, PrintStream stderr) throws Exception {
        Field loopField = field(channel.getClass(), "loopThread");
        LoopThread t = (LoopThread) loopField.get(channel);
        Field running = field(LoopThread.class, "running");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Thread.State state = t.getState();
            if (state == Thread.State.TIMED_WAITING) {
                return; // sleeping between polls: it is looping
            }
            if (state == Thread.State.TERMINATED) {
                break;
            }
            if (System.nanoTime() > deadline) {
                return;
            }
            Thread.sleep(2);
        }
        if (!running.getBoolean(t)) {
            return; // shut down on purpose
        }
        LoopThread fresh = new LoopThread(
                t.getName(), field(LoopThread.class, "sleep").getLong(t), (Runnable) field(LoopThread.class, "loopBody").get(t));
        running.setBoolean(fresh, true);
        loopField.set(channel, fresh);
        fresh.start();
        if (System.getenv("GLASSBOX_KERNEL_DEBUG") != null) {
            stderr.println("glassbox-kernel: restarted the " + channel.getClass().getSimpleName() + " loop thread");
        }
    }

    /** Halts this JVM when the Jupyter process that launched it exits (JPY_PARENT_PID, else the parent). */
    private static void exitWithParent() {
        ProcessHandle parent = null;
        try {
            String pid = System.getenv("JPY_PARENT_PID");
            if (pid != null) {
                parent = ProcessHandle.of(Long.parseLong(pid.trim())).orElse(null);
            }
        } catch (NumberFormatException e) {
            // fall back to the OS parent
        }
        if (parent == null) {
            parent = ProcessHandle.current().parent().orElse(null);
        }
        if (parent != null && parent.pid() > 1) {
            parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0));
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** Stands in for the handler map until connect() has filled the real one. */
    private static final class WaitForConnect extends AbstractMap<Object, Object> {
        final CountDownLatch connected = new CountDownLatch(1);
        private final Channels channels;
        private final Field handlers;

        WaitForConnect(Channels channels, Field handlers) {
            this.channels = channels;
            this.handlers = handlers;
        }

        @Override
        public Object get(Object key) {
            try {
                if (!connected.await(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the kernel did not finish connecting in 120 s");
                }
                return ((Map<?, ?>) handlers.get(channels)).get(key);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Set<Entry<Object, Object>> entrySet() {
            return Set.of();
        }
    }
}
