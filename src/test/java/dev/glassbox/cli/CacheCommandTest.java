package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.export.ActivationShards;
import dev.glassbox.hooks.ActivationCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code glassbox cache}: what it exports, read back through {@link ActivationShards}, equals
 * {@link LanguageModel#runWithCache} run on each document alone (the export runs left-padded
 * batches of three), for every position and for the last, across shard boundaries; bad input is
 * one error line.
 */
class CacheCommandTest {

    static final Path MODEL = Reference.model("fixtures/gpt2-tiny");
    static final List<String> HOOKS = List.of("blocks.1.resid_post", "blocks.0.attn.z", "ln_final");
    static final List<String> PROMPTS = List.of(
            "In the beginning God created the heaven and the earth.",
            "And the earth was without form, and void",
            "Light",
            "And God said, Let there be light: and there was light. And God saw the light, that it was good.");
    static final long[] IDS = {5, 17, 300, 999, 42, 7};

    static LanguageModel model;

    @TempDir Path tmp;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(MODEL);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    Path corpus() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < PROMPTS.size(); i++) {
            b.append("{\"id\": \"p").append(i).append("\", \"prompt\": \"").append(PROMPTS.get(i)).append("\"}\n");
            if (i == 1) {
                b.append("\n{\"ids\": ").append(Arrays.toString(IDS)).append(", \"id\": 77}\n");
            }
        }
        return Files.writeString(tmp.resolve("corpus.jsonl"), b.toString());
    }

    long[] ids(int doc) {
        if (doc == 2) {
            return IDS;
        }
        return model.toTokens(PROMPTS.get(doc < 2 ? doc : doc - 1));
    }

    CliRun cache(Path input, Path out, String positions, String hooks) {
        // three documents of mixed lengths per left-padded forward pass;
        // 0.01 MiB holds 13 rows of these hooks (64 + 64 + 64 floats): the corpus spans several shards
        return CliRun.of("cache", "--model", MODEL.toString(), "--input", input.toString(), "--hooks", hooks,
                "--positions", positions, "--out", out.toString(), "--shard-size", "0.01", "--batch-size", "3", "--quiet");
    }

    @Test
    void everyPositionEqualsRunWithCacheAcrossShards() throws IOException {
        Path out = tmp.resolve("acts");
        CliRun r = cache(corpus(), out, "all", String.join(",", HOOKS));
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(tmp.resolve("acts.partial")));
        ActivationShards ex = ActivationShards.open(out);
        assertEquals(5, ex.documentCount());
        assertTrue(ex.shardCount() >= 3, "shards: " + ex.shardCount());
        assertArrayEquals(new long[] {4, 16}, ex.hooks().get("blocks.0.attn.z"));
        long rows = 0;
        for (int d = 0; d < 5; d++) {
            long[] ids = ids(d);
            ActivationShards.Document doc = ex.documents().get(d);
            assertEquals(ids.length, doc.tokens());
            assertEquals(ids.length, doc.rows());
            assertEquals(rows, doc.row());
            rows += ids.length;
            try (ActivationCache c = model.runWithCache(ids, HOOKS.toArray(String[]::new))) {
                for (String h : HOOKS) {
                    float[] expected = c.floats(h);
                    float[][] got = ex.document(d, h);
                    int width = expected.length / ids.length;
                    for (int t = 0; t < ids.length; t++) {
                        assertArrayEquals(Arrays.copyOfRange(expected, t * width, (t + 1) * width), got[t], 1e-5f,
                                "doc " + d + " " + h + " position " + t);
                    }
                }
            }
        }
        assertEquals(rows, ex.rows());
        assertEquals("p0", ex.documents().get(0).extra().get("id").asText());
        assertEquals(77, ex.documents().get(2).extra().get("id").asInt());
        assertEquals(4, ex.documents().get(2).line()); // after a blank line
        // the per-row columns of every shard agree with the documents' entries
        long seen = 0;
        for (int s = 0; s < ex.shardCount(); s++) {
            ActivationShards.Shard shard = ex.shard(s);
            for (int i = 0; i < shard.rows(); i++) {
                ActivationShards.Document doc = ex.documents().get((int) shard.doc()[i]);
                assertEquals(s, doc.shard());
                assertEquals(seen - doc.row(), shard.pos()[i]);
                assertEquals(doc.line(), shard.line()[i]);
                seen++;
            }
        }
        assertEquals(rows, seen);
    }

    @Test
    void lastPositionEqualsRunWithCache() throws IOException {
        Path out = tmp.resolve("last");
        CliRun r = cache(corpus(), out, "last", "blocks.2.mlp.post,embed");
        assertEquals(0, r.code(), r.err());
        ActivationShards ex = ActivationShards.open(out);
        assertEquals(5, ex.rows());
        for (int d = 0; d < 5; d++) {
            long[] ids = ids(d);
            try (ActivationCache c = model.runWithCache(ids, "blocks.2.mlp.post", "embed")) {
                for (String h : List.of("blocks.2.mlp.post", "embed")) {
                    float[] all = c.floats(h);
                    int width = all.length / ids.length;
                    float[][] got = ex.document(d, h);
                    assertEquals(1, got.length);
                    assertArrayEquals(Arrays.copyOfRange(all, all.length - width, all.length), got[0], 1e-5f, "doc " + d + " " + h);
                }
            }
        }
        // one row per document, in order, at its last position
        List<Long> positions = new java.util.ArrayList<>();
        for (int s = 0; s < ex.shardCount(); s++) {
            Arrays.stream(ex.shard(s).pos()).forEach(positions::add);
        }
        for (int d = 0; d < 5; d++) {
            assertEquals(ids(d).length - 1, positions.get(d));
        }
    }

    @Test
    void badHookIsOneLineListingTheValidForms() throws IOException {
        CliRun r = cache(corpus(), tmp.resolve("x"), "all", "blocks.1.resid_post,blocks.7.resid_post");
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("glassbox: error: --hooks: unknown hook 'blocks.7.resid_post'"), lines[0]);
        assertTrue(lines[0].contains("blocks.{0..2}.{resid_pre, ln1, attn.q"), lines[0]);
        assertFalse(Files.exists(tmp.resolve("x")));

        CliRun pattern = cache(corpus(), tmp.resolve("x"), "all", "blocks.0.attn.pattern");
        assertEquals(2, pattern.code());
        assertTrue(pattern.err().startsWith("glassbox: error: --hooks: blocks.0.attn.pattern is [B, H, T, S]"), pattern.err());
    }

    @Test
    void badLineIsOneLineNamingIt() throws IOException {
        Path input = Files.writeString(tmp.resolve("bad.jsonl"), "{\"prompt\": \"fine\"}\n{\"ids\": [1, 2]}\n{\"text\": \"no prompt\"}\n");
        CliRun r = cache(input, tmp.resolve("y"), "all", "ln_final");
        assertEquals(2, r.code());
        assertEquals("glassbox: error: --input " + input + " line 3: give exactly one of \"prompt\" and \"ids\"", r.err().strip());
        assertFalse(Files.exists(tmp.resolve("y")));
        assertFalse(Files.exists(tmp.resolve("y.partial")), "the partial export is removed");

        Path big = Files.writeString(tmp.resolve("big.jsonl"), "{\"ids\": [1, 2000]}\n");
        CliRun v = cache(big, tmp.resolve("z"), "all", "ln_final");
        assertEquals("glassbox: error: --input " + big + " line 1: token id 2000 is outside the vocabulary [0, 1000)", v.err().strip());

        Files.createDirectories(tmp.resolve("full"));
        Files.writeString(tmp.resolve("full/keep.txt"), "mine");
        CliRun full = cache(corpus(), tmp.resolve("full"), "all", "ln_final");
        assertEquals(2, full.code());
        assertTrue(full.err().contains("exists and is not empty"), full.err());
        CliRun pos = cache(corpus(), tmp.resolve("w"), "first", "ln_final");
        assertEquals("glassbox: error: --positions must be all or last, found 'first'", pos.err().strip());
    }
}
