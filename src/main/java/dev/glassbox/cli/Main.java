package dev.glassbox.cli;

import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code glassbox}: the command-line tool. Each subcommand is its own class. */
@Command(
        name = "glassbox",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "HuggingFace transformer checkpoints as glass boxes: run, generate, score and inspect them on DJL.")
public final class Main implements Runnable {

    /**
     * The subcommands. Registered in code rather than in {@code @Command(subcommands=…)}: picocli
     * reflects over every registered command's options when the command line is built, so a run
     * registers only the command it names (README, "Start-up"); help and unknown names get all.
     */
    static final Class<?>[] COMMANDS = {
            GenerateCommand.class,
            ScoreCommand.class,
            CacheCommand.class,
            InitCommand.class,
            BenchCommand.class,
            ModelsCommand.class,
            TrainCommand.class,
            JourneyCommand.class,
            TokenizeCommand.class,
            SaeCommand.class,
            TrainSaeCommand.class,
            ExploreCommand.class,
            PatchCommand.class,
            CommandLine.HelpCommand.class
    };

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        if (runsAModel(args)) {
            Engines.preloadNatives();
        }
        int code = run(args);
        Engines.awaitPreload();
        if (args.length > 0 && MODEL_COMMANDS.contains(args[0])) {
            ProcessExit.exit(code); // skips libtorch's exit-time teardown when the launcher says so
        }
        System.exit(code);
    }

    /** Commands that start libtorch in every run; for them its libraries are loaded on a second thread from the start. */
    private static final java.util.Set<String> MODEL_COMMANDS = java.util.Set.of("generate", "score", "journey", "bench", "train");

    private static boolean runsAModel(String[] args) {
        if (args.length == 0 || !MODEL_COMMANDS.contains(args[0])) {
            return false;
        }
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h") || a.equals("--version") || a.equals("-V")) {
                return false;
            }
        }
        return !"false".equals(System.getProperty("glassbox.preload"));
    }

    /** Runs the CLI and returns the exit code (0 on success); used by tests too. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        String named = null;
        for (Class<?> c : COMMANDS) {
            if (args.length > 0 && args[0].equals(c.getAnnotation(Command.class).name())) {
                named = args[0];
            }
        }
        for (Class<?> c : COMMANDS) {
            String name = c.getAnnotation(Command.class).name();
            if (named == null || named.equals("help") || named.equals(name)) {
                cl.addSubcommand(name, c);
            }
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // Bad input is one line on stderr and a non-zero exit, never a stack trace.
            Throwable root = ex;
            if (root instanceof GlassboxException || root instanceof IllegalArgumentException) {
                commandLine.getErr().println("glassbox: error: " + oneLine(root.getMessage()));
                return 2;
            }
            Throwable cause = ex;
            while (cause.getCause() != null && !(cause instanceof GlassboxException)) {
                cause = cause.getCause();
            }
            if (cause instanceof GlassboxException) {
                commandLine.getErr().println("glassbox: error: " + oneLine(cause.getMessage()));
                return 2;
            }
            for (Throwable t = ex; t != null; t = t.getCause()) {
                if (t instanceof java.io.IOException io) {
                    commandLine.getErr().println("glassbox: error: " + oneLine(OutputFile.describe(io)));
                    return 2;
                }
            }
            commandLine.getErr().println("glassbox: internal error: " + ex + " (please report it; run with -Dglassbox.debug=true for the trace)");
            if (Boolean.getBoolean("glassbox.debug")) {
                ex.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        cl.setParameterExceptionHandler((ex, arguments) -> {
            // picocli would print the message and then the whole usage; one line is the rule here.
            CommandLine commandLine = ex.getCommandLine();
            String command = commandLine.getCommandSpec().qualifiedName();
            String message = oneLine(ex.getMessage()).replaceFirst("^Error: ", "");
            commandLine.getErr().println("glassbox: error: " + message
                    + " (run '" + command + " --help' for usage)");
            return 2;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // A last line of defence: inputs are bounded before allocation, but never a stack trace.
            System.err.println("glassbox: error: out of memory (" + oneLine(e.getMessage())
                    + "); the input needs more memory than the JVM may use (raise -Xmx)");
            return 1;
        }
    }

    static String oneLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    /** The version from the jar's manifest, if packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"glassbox " + (v == null ? "(development build)" : v)};
        }
    }
}
