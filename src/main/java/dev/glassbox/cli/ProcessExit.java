package dev.glassbox.cli;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Ends a finished command's process. With {@code -Dglassbox.fastExit=true} (set by
 * {@code bin/glassbox}) the process ends through libc's {@code _exit} once the standard streams
 * are flushed, which skips the C++ static destructors of the libraries loaded: libtorch's
 * operator registry and oneDNN's pattern tables took 0.10-0.15 s of every run's ~1 s to tear down
 * (perf samples in {@code __run_exit_handlers}, README "Start-up"). Whatever a command writes is
 * written and closed before it returns, so only that teardown and the JVM's own shutdown are skipped.
 *
 * <p>Off by default, because the JVM's exit-time work must run for {@code -XX:ArchiveClassesAtExit}
 * (the launcher's class-data archive), a JFR recording to a file, or shutdown hooks in an embedding
 * program; the launcher leaves it off when its JVM options ask for the first two. JNA is
 * DJL's own dependency and already loaded by its native-library loader; if it fails, this is
 * {@link System#exit}.
 */
final class ProcessExit {

    private ProcessExit() {}

    static void exit(int code) {
        if (Boolean.getBoolean("glassbox.fastExit")) {
            System.out.flush();
            System.err.flush();
            try {
                Function exit = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("_exit");
                exit.invoke(new Object[] {code});
            } catch (Throwable e) {
                // not on this platform: the ordinary exit below
            }
        }
        System.exit(code);
    }
}
