package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Options mean the same in every command and are checked before any model loads: the model
 * folder given here does not exist, so an error about the option proves nothing was loaded first.
 */
class CliOptionsTest {

    private static final String NO_MODEL = "/nonexistent/glassbox-model";

    /** Runs the CLI expecting failure; returns its stderr. */
    static String fails(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setErr(old);
        }
        String s = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(2, code, String.join(" ", args) + " -> " + s);
        assertTrue(s.startsWith("glassbox: error: ") && !s.contains("\n"), s);
        return s;
    }

    @Test
    void greedyWithSamplingOptionsIsRefusedTheSameWayEverywhere() {
        String g = fails("generate", "--model", NO_MODEL, "--ids", "1", "--greedy", "--temperature", "0.7");
        String j = fails("journey", "--model", NO_MODEL, "--ids", "1", "--greedy", "--temperature", "0.7");
        assertEquals(g, j);
        assertTrue(g.contains("--greedy cannot be combined with --temperature"), g);
        assertEquals(g, fails("generate", "--model", NO_MODEL, "--ids", "1", "--greedy", "--top-k", "5"));
    }

    @Test
    void badValuesAreReportedBeforeTheModelLoads() {
        for (String cmd : new String[] {"generate", "journey"}) {
            assertTrue(fails(cmd, "--model", NO_MODEL, "--ids", "1", "--temperature", "-1").contains("temperature must be"), cmd);
            assertTrue(fails(cmd, "--model", NO_MODEL, "--ids", "1", "--top-p", "1.5").contains("top-p must be in (0, 1]"), cmd);
            assertTrue(fails(cmd, "--model", NO_MODEL, "--ids", "1", "--top-k", "-2").contains("top-k must be >= 0"), cmd);
        }
        assertTrue(fails("generate", "--model", NO_MODEL, "--ids", "1", "--max-new-tokens", "-1").contains("max new tokens"));
        assertTrue(fails("journey", "--model", NO_MODEL, "--ids", "1", "--show-top", "0").contains("--show-top must be at least 1"));
        assertTrue(fails("journey", "--model", NO_MODEL, "--ids", "1", "--steps", "0").contains("--steps"));
        assertTrue(fails("score", "--model", NO_MODEL, "--ids", "1", "--show-top", "0").contains("--show-top must be at least 1"));
        assertTrue(fails("generate", "--model", NO_MODEL, "--ids", "1", "--device", "tpu").contains("--device must be cpu or gpu"));
    }

    @Test
    void listLengthsAreShowTopEverywhere() {
        // In score --top-k would mean a list length, in generate and journey it is the sampling filter.
        String s = fails("score", "--model", NO_MODEL, "--ids", "1", "--top-k", "3");
        assertTrue(s.contains("--show-top") && s.contains("sampling filter"), s);
    }

    @Test
    void shortModelNamesSuggestTheirHubIds() {
        assertTrue(fails("generate", "--model", "gpt2", "--ids", "1").contains("did you mean --model openai-community/gpt2?"));
        assertTrue(fails("score", "--model", "distilgpt2", "--ids", "1").contains("distilbert/distilgpt2"));
        assertTrue(fails("score", "--model", "gpt2-medium", "--ids", "1").contains("openai-community/gpt2-medium"));
        assertTrue(fails("score", "--model", "nothing-known", "--ids", "1").contains("org/name"));
    }
}
