package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTML report is one self-contained page that a real browser renders without script errors. */
class JourneyHtmlTest {

    static JourneyReport report;
    static String html;
    static int heatmaps;

    @BeforeAll
    static void render() {
        try (LanguageModel model = LanguageModel.load(Reference.model("models/stories260K"))) {
            String prompt = "Once upon a time";
            report = Journey.run(model, model.tokenizer().encode(prompt), prompt, Journey.Options.defaults().withSteps(3));
            html = JourneyHtml.render(report);
            heatmaps = model.config().numLayers() * model.config().numHeads();
        }
    }

    @Test
    void isSelfContained() {
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(Pattern.compile("<script[^>]*\\ssrc\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "external script");
        assertFalse(html.toLowerCase().contains("<link"), "external stylesheet or font");
        assertFalse(html.contains("http://") || html.contains("https://"), "a network address");
        assertFalse(html.contains("url(") || html.contains("@import") || html.contains("@font-face"), "a CSS resource");
        // (links within the page, href="#…", are how the step picker works)
        assertFalse(Pattern.compile("\\s(src\\s*=|href\\s*=\\s*\"(?!#))").matcher(html).find(), "a linked resource");
        assertTrue(html.contains("Content-Security-Policy"));
        // the walkthrough, the lens grid, the bars and the data for the heatmaps are all there
        assertTrue(html.contains("Logit lens") && html.contains("Attention patterns") && html.contains("Walkthrough"));
        assertTrue(html.contains("id=\"gb-data\""));
        assertEquals(1, count(html, "<script type=\"application/json\""));
        // the data block cannot be closed early by a token's text
        String data = html.substring(html.indexOf("id=\"gb-data\">"), html.indexOf("</script>", html.indexOf("id=\"gb-data\">")));
        assertFalse(data.contains("</"));
    }

    @Test
    void everyStepHasItsOwnSections() {
        // one block per step, the first shown and the others hidden until chosen
        for (JourneyReport.Step s : report.steps()) {
            String block = stepBlock(html, s.step());
            assertTrue(block.startsWith("<div class=\"gb-step\" id=\"gb-step-" + s.step() + "\" data-step=\"" + s.step() + "\""
                    + (s.step() == 0 ? ">" : " hidden>")), block.substring(0, 80));
            String tok = JourneyHtml.vis(s.appended().text());
            assertTrue(block.contains("<h2>Step " + (s.step() + 1) + ": after"), "choice of step " + s.step());
            assertTrue(block.contains("comes <b class=\"tok\">" + tok + "</b></h2>"), "chosen token of step " + s.step());
            // the lens of this step follows this step's token, over this step's context
            assertEquals(s.appended().id(), s.lens().targetId());
            assertTrue(block.contains("<th class=\"tgt\">p(" + tok + ")</th>"), "lens target of step " + s.step());
            assertEquals(s.contextIds().length, s.attention().tokens().size());
            assertTrue(block.contains("id=\"gb-heatmaps-" + s.step() + "\""));
            assertTrue(block.contains("Walkthrough of step " + (s.step() + 1)));
            // a picker link per step
            assertTrue(html.contains("<a href=\"#step=" + (s.step() + 1) + "\" data-step=\"" + s.step() + "\""));
        }
        // the steps differ: the context grows by one token per step
        assertEquals(report.steps().get(0).contextIds().length + 1, report.steps().get(1).contextIds().length);
        // every heatmap and the lens grid have a colour scale and a legend
        assertEquals(2 * report.steps().size(), count(html, "<div class=\"scale\">"));
    }

    @Test
    void rendersInHeadlessChromium(@TempDir Path tmp) throws Exception {
        String chromium = findChromium();
        Assumptions.assumeTrue(chromium != null, "no chromium binary on PATH; CI installs it (apt-get install chromium)");
        Path page = tmp.resolve("journey.html");
        Files.writeString(page, html, StandardCharsets.UTF_8);
        String url = page.toUri().toString();
        Path keep = Paths.get("target", "journey-html");
        Files.createDirectories(keep);
        Files.copy(page, keep.resolve("journey.html"), StandardCopyOption.REPLACE_EXISTING);

        // default: the first step (the answer to the prompt), at a narrow and a wide window
        for (int width : new int[] {800, 1280}) {
            Result dom = runChromium(chromium, tmp, List.of("--window-size=" + width + ",1600", "--dump-dom", url));
            assertEquals(0, dom.code, "chromium --dump-dom failed: " + dom.err);
            String body = bodyTag(dom.out);
            assertFalse(body.contains("data-gb-error"), "script error: " + body);
            assertEquals("0", attr(body, "data-gb-step"));
            assertEquals(heatmaps, Integer.parseInt(attr(body, "data-gb-ready")), "heatmaps drawn");
            assertTrue(dom.out.contains("step 1 of " + report.steps().size() + ": rendered " + heatmaps + " attention heatmaps"));
            // the probability bars keep a readable track at either width
            int barMin = Integer.parseInt(attr(body, "data-gb-bar-min"));
            assertTrue(barMin >= 100, "narrowest probability bar at " + width + " px: " + barMin + " px");
            assertEquals(List.of(0), visibleSteps(dom.out));

            Path png = tmp.resolve("journey-" + width + ".png");
            Result shot = runChromium(chromium, tmp, List.of("--enable-logging=stderr", "--v=0", "--screenshot=" + png,
                    "--window-size=" + width + ",2400", url));
            assertEquals(0, shot.code, "chromium --screenshot failed: " + shot.err);
            assertNoScriptErrors(shot.err);
            assertNotBlank(png, width);
            Files.copy(png, keep.resolve("journey-" + width + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void choosingAStepSwitchesEverySection(@TempDir Path tmp) throws Exception {
        String chromium = findChromium();
        Assumptions.assumeTrue(chromium != null, "no chromium binary on PATH; CI installs it (apt-get install chromium)");
        Path page = tmp.resolve("journey.html");
        Files.writeString(page, html, StandardCharsets.UTF_8);
        // the picker's links set #step=N; the page shows that step only (as when one is clicked)
        for (int k = 1; k < report.steps().size(); k++) {
            String url = page.toUri() + "#step=" + (k + 1);
            Result dom = runChromium(chromium, tmp, List.of("--enable-logging=stderr", "--v=0", "--window-size=1000,1600", "--dump-dom", url));
            assertEquals(0, dom.code, "chromium --dump-dom failed: " + dom.err);
            assertNoScriptErrors(dom.err);
            String body = bodyTag(dom.out);
            assertFalse(body.contains("data-gb-error"), "script error: " + body);
            assertEquals(String.valueOf(k), attr(body, "data-gb-step"));
            assertEquals(List.of(k), visibleSteps(dom.out), "only step " + k + "'s sections are shown");
            assertEquals(heatmaps, Integer.parseInt(attr(body, "data-gb-ready")), "heatmaps drawn for step " + k);
            assertTrue(dom.out.contains("step " + (k + 1) + " of " + report.steps().size() + ": rendered " + heatmaps + " attention heatmaps"));
            // the picker marks the step, and the token strip marks the token this step predicts
            Matcher on = Pattern.compile("<a href=\"#step=(\\d+)\"[^>]*class=\"on\"").matcher(dom.out);
            assertTrue(on.find());
            assertEquals(String.valueOf(k + 1), on.group(1));
            int predicted = report.steps().get(k).appended().position();
            assertTrue(Pattern.compile("<span class=\"chip gen pred\" data-pos=\"" + predicted + "\"").matcher(dom.out).find(),
                    "predicted chip of step " + k);
            // the detail heatmap of this step was drawn (its canvas was resized from 10x10)
            Matcher canvas = Pattern.compile("<canvas id=\"gb-detail-canvas-" + k + "\" width=\"(\\d+)\"").matcher(dom.out);
            assertTrue(canvas.find());
            assertTrue(Integer.parseInt(canvas.group(1)) > 10, "detail canvas of step " + k + " not drawn");
        }
    }

    /** The step blocks the browser shows (those without the hidden attribute). */
    static List<Integer> visibleSteps(String dom) {
        List<Integer> shown = new ArrayList<>();
        Matcher m = Pattern.compile("<div class=\"gb-step\" id=\"gb-step-(\\d+)\"[^>]*>").matcher(dom);
        while (m.find()) {
            if (!m.group().contains("hidden")) {
                shown.add(Integer.parseInt(m.group(1)));
            }
        }
        return shown;
    }

    static String stepBlock(String page, int k) {
        int a = page.indexOf("<div class=\"gb-step\" id=\"gb-step-" + k + "\"");
        int b = page.indexOf("<div class=\"gb-step\" id=\"gb-step-" + (k + 1) + "\"");
        return page.substring(a, b < 0 ? page.indexOf("<footer") : b);
    }

    static String bodyTag(String dom) {
        Matcher body = Pattern.compile("<body[^>]*>").matcher(dom);
        assertTrue(body.find(), "no body in the DOM");
        return body.group();
    }

    static String attr(String tag, String name) {
        Matcher m = Pattern.compile("\\s" + name + "=\"([^\"]*)\"").matcher(tag);
        assertTrue(m.find(), "no " + name + " in " + tag);
        return m.group(1);
    }

    /** Chromium logs uncaught exceptions and console errors of the page on stderr. */
    static void assertNoScriptErrors(String stderr) {
        for (String line : stderr.split("\n")) {
            assertFalse(line.contains("Uncaught") || line.contains(":CONSOLE") && line.contains("ERROR"), "script error: " + line);
        }
    }

    static void assertNotBlank(Path png, int width) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "the screenshot is not a PNG");
        assertEquals(width, img.getWidth());
        Set<Integer> colours = new HashSet<>();
        long nonWhite = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb != 0xFFFFFF) {
                    nonWhite++;
                }
            }
        }
        long samples = (long) (img.getHeight() / 2) * (img.getWidth() / 2);
        assertTrue(colours.size() > 100, "only " + colours.size() + " colours at " + width + " px: a blank page?");
        assertTrue(nonWhite > samples / 10, "mostly white at " + width + " px: " + nonWhite + " of " + samples);
    }

    record Result(int code, String out, String err) {}

    static Result runChromium(String chromium, Path tmp, List<String> args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(tmp, "profile");
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile));
        cmd.addAll(args);
        Path out = tmp.resolve("out-" + System.nanoTime());
        Path err = tmp.resolve("err-" + System.nanoTime());
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 180 s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** The chromium binary on PATH (Debian's package installs /usr/bin/chromium), or null. */
    static String findChromium() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, name);
                if (f.isFile() && f.canExecute()) {
                    return f.getAbsolutePath();
                }
            }
        }
        return null;
    }

    static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
            n++;
        }
        return n;
    }
}
