package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code score --input} and {@code generate --input}: one output line per input line, in order, with
 * exactly the single-input {@code --json} fields plus the line's own, the same values as the single
 * runs; a bad line is one error naming its line; {@code --out} appears only when the run completes.
 */
class BatchInputCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = Reference.model("fixtures/gpt2-tiny").toString();

    @TempDir
    Path tmp;

    private Path input(String... lines) throws Exception {
        Path f = tmp.resolve("in.jsonl");
        Files.write(f, List.of(lines));
        return f;
    }

    private static List<JsonNode> jsonl(String text) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            if (!l.isBlank()) {
                out.add(JSON.readTree(l));
            }
        }
        return out;
    }

    private static Set<String> fields(JsonNode n) {
        Set<String> s = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            s.add(it.next());
        }
        return s;
    }

    @Test
    void scoreInputEqualsSingleRunsInOrder() throws Exception {
        Path in = input("{\"id\": \"a\", \"ids\": [5, 17, 300, 2, 41]}", "", "{\"id\": 7, \"ids\": [9]}",
                "{\"ids\": [400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411], \"tag\": [1]}");
        CliRun batch = CliRun.of("score", "--model", MODEL, "--input", in.toString(), "--batch-size", "2");
        assertEquals(0, batch.code(), batch.err());
        List<JsonNode> lines = jsonl(batch.out());
        assertEquals(3, lines.size());
        String[] ids = {"5,17,300,2,41", "9", "400,401,402,403,404,405,406,407,408,409,410,411"};
        for (int i = 0; i < 3; i++) {
            CliRun one = CliRun.of("score", "--model", MODEL, "--ids", ids[i], "--json");
            JsonNode single = JSON.readTree(one.out());
            Set<String> expected = fields(single);
            expected.addAll(i == 2 ? Set.of("tag") : Set.of("id"));
            assertEquals(expected, fields(lines.get(i)), "line " + i);
            assertEquals(single.get("input_ids"), lines.get(i).get("input_ids"));
            for (int k = 0; k < single.get("next_token_logprobs").size(); k++) {
                assertEquals(single.get("next_token_logprobs").get(k).asDouble(), lines.get(i).get("next_token_logprobs").get(k).asDouble(), 1e-4);
            }
        }
        assertEquals("a", lines.get(0).get("id").asText());
        assertEquals(7, lines.get(1).get("id").asInt());
    }

    @Test
    void generateInputWritesOutFileWithSingleRunFields() throws Exception {
        Path in = input("{\"id\": 1, \"ids\": [5, 17, 300]}", "{\"id\": 2, \"ids\": [9, 8, 7, 6, 5, 4, 3, 2, 1, 10]}");
        Path out = tmp.resolve("out/gen.jsonl");
        CliRun batch = CliRun.of("generate", "--model", MODEL, "--input", in.toString(), "--out", out.toString(),
                "--max-new-tokens", "6", "--no-eos");
        assertEquals(0, batch.code(), batch.err());
        assertEquals("", batch.out());
        List<JsonNode> lines = jsonl(Files.readString(out));
        assertEquals(2, lines.size());
        String[] ids = {"5,17,300", "9,8,7,6,5,4,3,2,1,10"};
        for (int i = 0; i < 2; i++) {
            JsonNode single = JSON.readTree(CliRun.of("generate", "--model", MODEL, "--ids", ids[i], "--json",
                    "--max-new-tokens", "6", "--no-eos").out());
            Set<String> expected = fields(single);
            expected.add("id");
            assertEquals(expected, fields(lines.get(i)));
            assertEquals(single.get("ids"), lines.get(i).get("ids"));
            assertEquals(i + 1, lines.get(i).get("id").asInt());
        }
        try (var files = Files.list(out.getParent())) {
            assertEquals(1, files.count(), "no temporary file left beside the output");
        }
    }

    @Test
    void aBadLineIsOneErrorNamingItAndLeavesNoOutFile() throws Exception {
        Path out = tmp.resolve("never.jsonl");
        String[][] bad = {
            {"{\"ids\": [1, 2]}", "{\"ids\": [1, \"x\"]}"},
            {"{\"ids\": [1, 2]}", "not json"},
            {"{\"ids\": [1, 2]}", "{\"prompt\": \"a\", \"ids\": [1]}"},
            {"{\"ids\": [1, 2]}", "{\"ids\": [1, 99999]}"},
        };
        for (String[] lines : bad) {
            CliRun r = CliRun.of("score", "--model", MODEL, "--input", input(lines).toString(), "--out", out.toString());
            CliErrorTest.assertOneLineError(r, lines[1], "line 2");
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void summaryGivesPerDocumentAndCorpusTotals() throws Exception {
        Path txt = tmp.resolve("corpus.txt");
        Files.writeString(txt, "hello world, this is a test.\nsecond line of it.\n\n\nanother document here\n");
        CliRun r = CliRun.of("score", "--model", MODEL, "--input", txt.toString(), "--summary");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = jsonl(r.out());
        assertEquals(3, lines.size());
        assertEquals(1, lines.get(0).get("line").asInt());
        assertEquals(5, lines.get(1).get("line").asInt());
        JsonNode corpus = lines.get(2).get("corpus");
        long tokens = lines.get(0).get("tokens").asLong() + lines.get(1).get("tokens").asLong();
        assertEquals(tokens, corpus.get("tokens").asLong());
        double sum = lines.get(0).get("sum_logprob").asDouble() + lines.get(1).get("sum_logprob").asDouble();
        assertEquals(Math.exp(-sum / tokens), corpus.get("perplexity").asDouble(), 1e-9 * corpus.get("perplexity").asDouble());
        long bytes = "hello world, this is a test.\nsecond line of it.".length() + "another document here".length();
        assertEquals(-sum / Math.log(2) / bytes, corpus.get("bits_per_byte").asDouble(), 1e-9);
        assertTrue(CliRun.of("score", "--help").out().contains("--stride"));
    }
}
