package dev.glassbox;

import java.util.function.Consumer;

/**
 * A progress bar on stderr for long operations (downloads, loading, training). The bar is drawn by
 * {@code me.tongfei:progressbar}, an optional dependency that the command-line tool bundles; a
 * library user without it gets no bar, and so does a process whose stderr is not a terminal (a
 * log full of redrawn bars is noise), unless a {@code log} is given to receive the bar's line now
 * and then instead.
 *
 * <p>Whether stderr is a terminal: the system property {@code glassbox.tty} ({@code true} or
 * {@code false}; {@code bin/glassbox} sets it with {@code [ -t 2 ]}), else whether the JVM has a
 * console.
 */
public abstract class Progress implements AutoCloseable {

    /** Draws nothing. */
    public static final Progress NONE = new Progress() {
        @Override
        public void stepTo(long n) {}

        @Override
        public void extraMessage(String message) {}

        @Override
        public void close() {}
    };

    /**
     * What a bar shows.
     *
     * @param task the name before the bar
     * @param max the total, or a negative number when unknown (an indefinite bar)
     * @param start where the bar starts (a resumed download or training run)
     * @param unit the unit's name ("MiB"), or null for plain counts
     * @param unitSize how many counted items make one unit
     * @param showSpeed whether to show the rate
     * @param log where the bar's line goes every 30 s when stderr is not a terminal; null for nowhere
     */
    public record Spec(String task, long max, long start, String unit, long unitSize, boolean showSpeed, Consumer<String> log) {

        /** A plain count from 0 to {@code max}, drawn on terminals only. */
        public static Spec of(String task, long max) {
            return new Spec(task, max, 0, null, 1, false, null);
        }

        public Spec startingAt(long s) {
            return new Spec(task, max, s, unit, unitSize, showSpeed, log);
        }

        public Spec inUnits(String name, long size, boolean speed) {
            return new Spec(task, max, start, name, size, speed, log);
        }

        public Spec loggingTo(Consumer<String> sink) {
            return new Spec(task, max, start, unit, unitSize, showSpeed, sink);
        }
    }

    /** Moves the bar to {@code n}. */
    public abstract void stepTo(long n);

    /** Text shown after the bar (e.g. the loss). */
    public abstract void extraMessage(String message);

    /** Finishes the bar (its last state stays on screen). */
    @Override
    public abstract void close();

    /** A bar for {@code spec}, or {@link #NONE} when nothing would be shown. */
    public static Progress start(Spec spec) {
        boolean tty = stderrIsTerminal();
        if (!tty && spec.log() == null || !available()) {
            return NONE;
        }
        return ConsoleProgress.start(spec, tty);
    }

    /** Whether stderr is a terminal, as far as the JVM can tell (see the class comment). */
    public static boolean stderrIsTerminal() {
        String p = System.getProperty("glassbox.tty");
        return p != null ? Boolean.parseBoolean(p) : System.console() != null;
    }

    private static boolean available() {
        try {
            Class.forName("me.tongfei.progressbar.ProgressBar", false, Progress.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
