package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.ChildJvm;
import dev.glassbox.Reference;
import dev.glassbox.checkpoint.RandomCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad command lines and bad files through the CLI: a non-zero exit and exactly one line on stderr,
 * starting "glassbox: error:" (picocli's own parse errors included, with a hint to run --help).
 */
class CliErrorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static void assertOneLineError(CliRun o, String what, String... mentions) {
        List<String> lines = o.err().lines().toList();
        assertTrue(o.code() != 0, what + ": exit 0");
        assertEquals(1, lines.size(), what + ": stderr " + o.err());
        assertTrue(lines.get(0).startsWith("glassbox: error: "), what + ": " + lines.get(0));
        for (String m : mentions) {
            assertTrue(lines.get(0).contains(m), what + ": '" + m + "' not in " + lines.get(0));
        }
    }

    private Path tiny() {
        Path dir = tmp.resolve("tiny");
        if (!Files.isDirectory(dir)) {
            RandomCheckpoint.writeGpt2(new RandomCheckpoint.Gpt2Shape(2, 16, 2, 600, 32), 7, dir);
        }
        return dir;
    }

    @Test
    void picocliParseErrorsAreOneLineWithAHelpHint() {
        String m = tiny().toString();
        String[][] cases = {
            {"generate", "--model", m, "--ids", "1", "--no-such-option"},
            {"generate", "--model", m, "--ids", "1", "--max-new-tokens"},
            {"generate", "--model", m, "--ids", "1", "--max-new-tokens", "many"},
            {"generate", "--model", m, "--ids", "1", "--max-new-tokens", "99999999999"},
            {"generate", "--model", m, "--ids", "1", "--temperature", "warm"},
            {"generate", "--model", m, "--ids", "1", "--prompt", "hi"},
            {"score", "--model", m, "--ids", "1", "--top-k", "2147483648"},
            {"journey", "--model", m, "--steps", "x", "--prompt", "hi"},
            {"no-such-command"},
        };
        for (String[] args : cases) {
            assertOneLineError(run(args), String.join(" ", args), "--help");
        }
    }

    @Test
    void maxNewTokensBeyondTheContextStopsAtContextFull() throws IOException {
        for (String n : List.of("1000000000", "2147483647")) {
            CliRun o = run("generate", "--model", tiny().toString(), "--ids", "1,2", "--greedy", "--no-eos", "--max-new-tokens", n, "--json");
            assertEquals(0, o.code(), o.err());
            JsonNode r = JSON.readTree(o.out());
            assertEquals("context_full", r.path("stop_reason").asText(), o.out());
            // The 32-position cache fills with the 2 prompt ids and 30 new ones; the 31st is chosen, not run.
            assertEquals(31, r.path("ids").size());
        }
    }

    @Test
    void journeyOutThatCannotBeWritten() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Path folder = Files.createDirectories(tmp.resolve("a-folder"));
        String m = tiny().toString();
        assertOneLineError(run("journey", "--model", m, "--ids", "1,2", "--out", file.resolve("report.html").toString()),
                "under a file", "a-file", "not a folder");
        assertOneLineError(run("journey", "--model", m, "--ids", "1,2", "--out", folder.toString()), "a folder", "a-folder", "folder");
        if (Files.exists(Path.of("/proc/version"))) {
            assertOneLineError(run("journey", "--model", m, "--ids", "1,2", "--out", "/proc/version"), "/proc/version", "/proc/version");
        }
    }

    @Test
    void hostileCheckpointFilesAreOneLine() throws IOException {
        Path dir = tmp.resolve("huge-dim");
        RandomCheckpoint.writeGpt2(new RandomCheckpoint.Gpt2Shape(2, 16, 2, 600, 32), 7, dir);
        writeSafetensors(dir.resolve("model.safetensors"),
                "{\"transformer.wte.weight\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,2],\"data_offsets\":[0,8]}}", 8);
        assertOneLineError(run("generate", "--model", dir.toString(), "--ids", "1"), "dim 2^62", "model.safetensors", "transformer.wte.weight");
        writeSafetensors(dir.resolve("model.safetensors"),
                "{\"transformer.wte.weight\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertOneLineError(run("generate", "--model", dir.toString(), "--ids", "1"), "dtype f32", "f32");
        writeSafetensors(dir.resolve("model.safetensors"),
                "{\"transformer.wte.weight\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8);
        assertOneLineError(run("generate", "--model", dir.toString(), "--ids", "1"), "fractional dim", "2.5");
    }

    /** A stories260K copy whose tokenizer.json is edited by {@code edit}. */
    private Path storiesWith(String name, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path src = Reference.model("models/stories260K");
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        ObjectNode tok = (ObjectNode) JSON.readTree(src.resolve("tokenizer.json").toFile());
        edit.accept(tok);
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        return dir;
    }

    @Test
    void hostileTokenizersAreOneLineNotADeadJvm() throws Exception {
        org.junit.jupiter.api.Assertions.assertTrue(Files.isDirectory(Reference.model("models/stories260K")),
                "../shared/models/stories260K missing: tests that need ../shared fail without it");
        Path undefinedSpecial = storiesWith("undefined-special", t ->
                ((ObjectNode) t.path("post_processor").path("single").get(0).path("SpecialToken")).put("id", "<zz>"));
        Path hugeId = storiesWith("huge-id", t -> ((ObjectNode) t.path("added_tokens").get(0)).put("id", 2_000_000_000L));
        // In a child JVM: before the fix the first case aborted the process from native code.
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"generate", "--model", undefinedSpecial.toString(), "--prompt", "Once", "--max-new-tokens", "2"});
        cases.add(new String[] {"generate", "--model", hugeId.toString(), "--ids", "1", "--max-new-tokens", "2"});
        for (String[] args : cases) {
            ChildJvm.Result r = ChildJvm.run(Main.class, tmp.resolve("logs"), "cli" + cases.indexOf(args), List.of(args), 120);
            assertTrue(r.exit() != 0 && r.exit() != 134, String.join(" ", args) + ": exit " + r.exit());
            List<String> lines = r.err().lines().toList();
            assertEquals(1, lines.size(), String.join(" ", args) + ": " + r.err());
            assertTrue(lines.get(0).startsWith("glassbox: error: ") && lines.get(0).contains("tokenizer.json"), lines.get(0));
        }
    }

    private static void writeSafetensors(Path file, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
    }
}
