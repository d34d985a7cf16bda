package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.LanguageModel;
import dev.glassbox.patching.ActivationPatching;
import dev.glassbox.patching.PatchGrid;
import dev.glassbox.patching.PatchResult;
import dev.glassbox.patching.PatchSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON contract of {@code glassbox patch} and its one-line errors. */
class PatchCommandTest {

    static final String GPT2 = "../shared/fixtures/gpt2-tiny";
    static final String REAL_TOKENIZER = "../shared/models/tiny-gpt2-random";

    @Test
    void jsonHasTheContractedFieldsAndTheSweepsValues() throws Exception {
        CliRun run = CliRun.of("patch", "--model", GPT2, "--clean-ids", "3,17,42,8,25,11", "--corrupt-ids", "3,29,42,8,31,11",
                "--target", "5", "--baseline", "9", "--json", "--quiet");
        assertEquals(0, run.code(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.out());
        for (String f : List.of("clean_metric", "corrupt_metric", "raw", "normalized", "layers", "positions")) {
            assertTrue(j.has(f), "missing " + f);
        }
        double clean = j.get("clean_metric").asDouble();
        double corrupt = j.get("corrupt_metric").asDouble();
        assertNotEquals(clean, corrupt);
        try (LanguageModel model = LanguageModel.load(Path.of(GPT2))) {
            PatchResult r = ActivationPatching.sweep(model,
                    PatchSpec.of(new long[] {3, 17, 42, 8, 25, 11}, new long[] {3, 29, 42, 8, 31, 11}, 5, 9));
            int layers = model.config().numLayers();
            int heads = model.config().numHeads();
            assertEquals(layers, j.get("layers").size());
            assertEquals(6, j.get("positions").size());
            for (String group : List.of("raw", "normalized")) {
                JsonNode g = j.get(group);
                assertEquals(4, g.size());
                for (PatchGrid grid : PatchGrid.values()) {
                    JsonNode v = g.get(grid.jsonName());
                    assertEquals(layers, v.size(), grid.jsonName());
                    for (int l = 0; l < layers; l++) {
                        for (int h = 0; h < (grid.perHead() ? heads : 1); h++) {
                            JsonNode row = grid.perHead() ? v.get(l).get(h) : v.get(l);
                            assertEquals(6, row.size());
                            for (int p = 0; p < 6; p++) {
                                double raw = r.grids().get(grid)[l][h][p];
                                double expected = group.equals("raw") ? raw : (raw - corrupt) / (clean - corrupt);
                                assertEquals(expected, row.get(p).asDouble(), 1e-4 * Math.max(1, Math.abs(expected)));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void attributionFillsTheSameLayout() throws Exception {
        CliRun run = CliRun.of("patch", "--model", GPT2, "--clean-ids", "3,17,42", "--corrupt-ids", "3,29,42",
                "--target", "5", "--baseline", "9", "--method", "attribution", "--what", "resid_pre,head_out", "--json");
        assertEquals(0, run.code(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertEquals(2, j.get("raw").size());
        assertEquals(3, j.get("raw").get("resid_pre").get(0).size());
        assertTrue(j.get("normalized").get("attn_head_out_by_pos").get(0).get(0).isArray());
    }

    @Test
    void htmlIsOnePageWithEveryGrid(@TempDir Path tmp) throws Exception {
        Path page = tmp.resolve("patch.html");
        CliRun run = CliRun.of("patch", "--model", REAL_TOKENIZER, "--clean", "The capital of France is",
                "--corrupt", "The capital of Italy is", "--target", " Paris", "--baseline", " Rome", "--format", "html",
                "--out", page.toString(), "--quiet");
        assertEquals(0, run.code(), run.err());
        String html = Files.readString(page);
        for (PatchGrid g : PatchGrid.values()) {
            assertTrue(html.contains("<h2>" + g.jsonName() + "</h2>"), g.jsonName());
        }
        assertTrue(html.contains(" Italy") && html.contains("normalized"));
        assertFalse(html.contains("src=") || html.contains("href="), "a self-contained page fetches nothing");
    }

    @Test
    void unequalLengthsAreOneLineError() {
        CliRun run = CliRun.of("patch", "--model", GPT2, "--clean-ids", "3,17,42", "--corrupt-ids", "3,29",
                "--target", "5", "--baseline", "9", "--json");
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertNotEquals(0, run.code());
        assertTrue(run.err().startsWith("glassbox: error: ") && run.err().contains("same number of tokens"), run.err());
    }

    @Test
    void multiTokenTargetIsOneLineError() {
        CliRun run = CliRun.of("patch", "--model", REAL_TOKENIZER, "--clean", "Hello world", "--corrupt", "Hello there",
                "--target", "Hello world", "--baseline", " Rome");
        assertNotEquals(0, run.code());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("glassbox: error: --target 'Hello world' is 2 tokens"), run.err());
    }
}
