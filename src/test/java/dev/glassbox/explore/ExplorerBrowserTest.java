package dev.glassbox.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code glassbox explore} end to end in headless Chromium: the server runs in this JVM on a free
 * port, and a Playwright script ({@code src/test/playwright/explore.spec.mjs}, driven by node with
 * Debian's chromium) types a prompt, sees the top token, moves the top-k slider (the survivors
 * change), clicks a head (its labelled pattern is drawn), runs a patching sweep (four grids), and finds
 * no script errors. Needs node,
 * {@code npm ci} in src/test/playwright, and chromium; fails, naming what to install, without them.
 */
class ExplorerBrowserTest {

    static final Path PLAYWRIGHT = Paths.get("src", "test", "playwright");

    @Test
    void aPersonTypesAPromptMovesASliderAndClicksAHead() throws Exception {
        String node = onPath("node");
        if (node == null) {
            fail("node is not installed: this test drives Chromium with Playwright from npm "
                    + "(Debian: apt-get install nodejs npm; then run 'npm ci' in src/test/playwright)");
        }
        if (!Files.isDirectory(PLAYWRIGHT.resolve("node_modules").resolve("playwright-core"))) {
            fail("Playwright is missing: run 'npm ci' in src/test/playwright (it installs playwright-core, no browsers; needs npm)");
        }
        String chromium = onPath("chromium");
        if (chromium == null) {
            fail("chromium is not installed (Debian: apt-get install chromium)");
        }
        Path out = Paths.get("target", "explore-e2e").toAbsolutePath();
        Files.createDirectories(out);
        try (LanguageModel model = LanguageModel.load(Reference.model("models/stories260K"));
                ExplorerServer server = ExplorerServer.start(new ExplorerApi(model), 0)) {
            float[] next = lastRow(model.logits(model.toTokens("Once upon a time")));
            int top = 0;
            for (int i = 1; i < next.length; i++) {
                top = next[i] > next[top] ? i : top; // first index on ties, as the page lists them
            }
            ProcessBuilder pb = new ProcessBuilder(node, "explore.spec.mjs", server.url(), String.valueOf(top), out.toString())
                    .directory(PLAYWRIGHT.toFile());
            pb.environment().put("CHROMIUM", chromium);
            Path log = out.resolve("node.log");
            Path err = out.resolve("node.err");
            Process p = pb.redirectOutput(log.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the Playwright script did not finish in 120 s: " + Files.readString(err));
            }
            String stdout = Files.readString(log, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), "Playwright script failed: " + stderr + stdout);
            JsonNode found = new ObjectMapper().readTree(stdout.strip().lines().reduce((a, b) -> b).orElse("{}"));
            int layers = model.config().numLayers();
            assertEquals(String.valueOf(top), found.get("top").asText());
            assertEquals(model.toTokens("Once upon a time").length, found.get("tokens").asInt());
            assertEquals(20, found.get("keptBefore").asInt(), "greedy (the checkpoint's default) keeps every listed token");
            assertEquals(3, found.get("keptAfter").asInt());
            assertEquals(17, found.get("removed").asInt());
            assertTrue(found.get("headTitle").asText().startsWith("Layer 1, head 2"), found.toString());
            assertEquals(layers + 1, found.get("lensStages").asInt());
            assertEquals(layers + 1, found.get("lensRows").asInt());
            assertEquals(1 + 2 * layers, found.get("dlaBars").asInt());
            assertEquals(4, found.get("legends").asInt(), "a legend for attention, lens, attribution and patching");
            assertEquals(4, found.get("patchGrids").asInt(), "resid_pre, attn_out, mlp_out and per-head grids");
            assertTrue(found.get("patchSummary").asText().startsWith("metric logit("), found.toString());
            long[] clean = model.toTokens("Once upon a time, there was a little girl. The little");
            assertEquals(clean.length + 1, found.get("patchHeaders").asInt(), "a column per position, labelled");
            assertTrue(Files.size(out.resolve("explore-800.png")) > 10_000, "screenshot at 800 px");
            assertTrue(Files.size(out.resolve("explore-1280.png")) > 10_000, "screenshot at 1280 px");
        }
    }

    static float[] lastRow(float[][] logits) {
        return logits[logits.length - 1];
    }

    static String onPath(String name) {
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.isFile() && f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return List.of("/usr/bin/" + name).stream().filter(s -> new File(s).canExecute()).findFirst().orElse(null);
    }
}
