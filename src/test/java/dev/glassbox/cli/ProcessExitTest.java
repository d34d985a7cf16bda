package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.ChildJvm;
import dev.glassbox.Reference;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's fast exit (libc's _exit after a model command): the same output and exit codes as System.exit. */
class ProcessExitTest {

    @TempDir
    Path dir;

    private ChildJvm.Result score(boolean fast, String ids) throws Exception {
        List<String> jvm = List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true", "-Dglassbox.fastExit=" + fast);
        String model = Reference.model("models/stories260K").toString();
        return ChildJvm.runWith(Main.class, jvm, dir, "score-" + fast + "-" + ids.length(),
                List.of("score", "--model", model, "--ids", ids, "--json"), 120);
    }

    @Test
    void aFastExitWritesEverythingAndKeepsTheExitCode() throws Exception {
        ChildJvm.Result fast = score(true, "1,2,3");
        ChildJvm.Result plain = score(false, "1,2,3");
        assertEquals(0, fast.exit(), fast.err());
        assertEquals(0, plain.exit(), plain.err());
        assertTrue(fast.out().startsWith("{\"input_ids\":[1,2,3]"), fast.out());
        assertEquals(plain.out(), fast.out(), "the whole JSON, flushed before _exit");
        ChildJvm.Result bad = score(true, "1,2,99999");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().startsWith("glassbox: error: token id 99999"), bad.err());
        assertEquals("", bad.out());
    }
}
