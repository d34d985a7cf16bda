package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Progress bars are drawn on terminals only; a log can ask for the bar's line instead. */
class ProgressTest {

    private final String before = System.getProperty("glassbox.tty");

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty("glassbox.tty");
        } else {
            System.setProperty("glassbox.tty", before);
        }
    }

    @Test
    void noBarWhenStderrIsNotATerminal() {
        System.setProperty("glassbox.tty", "false");
        assertFalse(Progress.stderrIsTerminal());
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try (Progress p = Progress.start(Progress.Spec.of("download", 100))) {
            assertSame(Progress.NONE, p);
            p.stepTo(50);
        } finally {
            System.setErr(err);
        }
        assertEquals("", buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aLogGetsTheBarsLineInstead() {
        System.setProperty("glassbox.tty", "false");
        List<String> lines = new ArrayList<>();
        try (Progress p = Progress.start(Progress.Spec.of("train", 10).loggingTo(lines::add))) {
            p.stepTo(10);
            p.extraMessage("loss 1.2345");
        }
        assertFalse(lines.isEmpty(), "closing the bar writes its last state");
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("train 100%"), last);
        assertTrue(last.contains("10/10") && last.contains("loss 1.2345"), last);
        assertFalse(last.contains("\r") || last.contains("\u001b"), "no carriage returns or escape codes in a log: " + last);
    }

    @Test
    void theLauncherDecidesWhatATerminalIs() {
        System.setProperty("glassbox.tty", "true");
        assertTrue(Progress.stderrIsTerminal());
        System.setProperty("glassbox.tty", "false");
        assertFalse(Progress.stderrIsTerminal());
    }
}
