package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.Reference;
import dev.glassbox.cli.CliRun;
import dev.glassbox.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code glassbox journey} from the command line. */
class JourneyCommandTest {

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static String gpt2() {
        return Reference.model("fixtures/gpt2-tiny").toString();
    }

    @Test
    void jsonWithIds() throws Exception {
        JsonNode ref = Reference.reference("fixtures/gpt2-tiny").get("results").get(0);
        String ids = ref.get("input_ids").toString().replaceAll("[\\[\\] ]", "");
        CliRun r = run("journey", "--model", gpt2(), "--ids", ids, "--steps", "3", "--show-top", "3", "--format", "json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(ref.get("input_ids").size(), j.get("prompt_tokens").size());
        assertTrue(j.get("prompt").isNull());
        assertEquals(3, j.get("steps").size());
        assertTrue(j.get("sampling").get("greedy").asBoolean());
        assertEquals(3, j.get("steps").get(0).get("output").get("top").size());
        // greedy: the first generated token is the reference's top token
        assertEquals(ref.get("positions").get(ref.get("input_ids").size() - 1).get("topk_ids").get(0).asLong(),
                j.get("generated_ids").get(0).asLong());
    }

    @Test
    void textWithAPromptAndSampling() {
        CliRun r = run("journey", "--model", Reference.model("models/tiny-gpt2-random").toString(), "--prompt", "Hello world",
                "--temperature", "0.9", "--top-k", "10", "--top-p", "0.95", "--min-p", "0.01", "--seed", "3", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("' world'"), r.out());
        assertTrue(r.out().contains("seed 3"));
        for (String line : r.out().split("\n")) {
            assertTrue(line.codePointCount(0, line.length()) <= 80, line);
        }
    }

    @Test
    void htmlToAFile(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("sub/journey.html");
        CliRun r = run("journey", "--model", Reference.model("models/stories260K").toString(), "--prompt", "Once upon a time",
                "--position", "2", "--format", "html", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(out);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("The input itself continued with"));
        assertEquals("", r.out());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        String[][] bad = {
            {"journey", "--model", gpt2(), "--ids", "1,2,3", "--greedy", "--seed", "4", "--quiet"},
            {"journey", "--model", gpt2(), "--ids", "1,2,3", "--format", "xml", "--quiet"},
            {"journey", "--model", gpt2(), "--ids", "1,2,3", "--position", "3", "--quiet"},
            {"journey", "--model", gpt2(), "--ids", "1,2,3", "--steps", "0", "--quiet"},
            {"journey", "--model", gpt2(), "--ids", "1,2,3", "--top-p", "1.5", "--quiet"},
        };
        for (String[] args : bad) {
            CliRun r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("glassbox: error: "), r.err());
            assertEquals(1, r.err().strip().split("\n").length, r.err());
        }
    }
}
