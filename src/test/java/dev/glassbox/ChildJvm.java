package dev.glassbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class in a fresh JVM on the test class path, for what could kill or wedge this one. */
public final class ChildJvm {

    /** Exit code, stdout and stderr of a finished child; exit -1 when it was killed for running too long. */
    public record Result(int exit, String out, String err) {}

    private ChildJvm() {}

    /** Starts {@code mainClass} with {@code args}; the caller waits with {@link #finish}. */
    public static Process start(Class<?> mainClass, Path logDir, String name, List<String> args) throws IOException {
        return start(mainClass, List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), logDir, name, args);
    }

    /** Starts {@code mainClass} with the given JVM options. */
    public static Process start(Class<?> mainClass, List<String> jvmOptions, Path logDir, String name, List<String> args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        String shared = System.getProperty("glassbox.shared");
        if (shared != null) {
            cmd.add("-Dglassbox.shared=" + shared);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        Files.createDirectories(logDir);
        return new ProcessBuilder(cmd)
                .redirectOutput(logDir.resolve(name + ".out").toFile())
                .redirectError(logDir.resolve(name + ".err").toFile())
                .start();
    }

    /** Waits up to {@code seconds} for a child started by {@link #start}; kills it after that. */
    public static Result finish(Process p, Path logDir, String name, long seconds) throws IOException, InterruptedException {
        int exit;
        if (p.waitFor(seconds, TimeUnit.SECONDS)) {
            exit = p.exitValue();
        } else {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            exit = -1;
        }
        return new Result(exit, Files.readString(logDir.resolve(name + ".out"), StandardCharsets.UTF_8),
                Files.readString(logDir.resolve(name + ".err"), StandardCharsets.UTF_8));
    }

    /** Runs a child with the given JVM options to the end. */
    public static Result runWith(Class<?> mainClass, List<String> jvmOptions, Path logDir, String name, List<String> args,
            long seconds) throws IOException, InterruptedException {
        return finish(start(mainClass, jvmOptions, logDir, name, args), logDir, name, seconds);
    }

    /** Runs a child to the end. */
    public static Result run(Class<?> mainClass, Path logDir, String name, List<String> args, long seconds)
            throws IOException, InterruptedException {
        return finish(start(mainClass, logDir, name, args), logDir, name, seconds);
    }
}
