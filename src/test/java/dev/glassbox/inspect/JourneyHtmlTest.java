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
        assertFalse(Pattern.compile("\\s(src|href)\\s*=").matcher(html).find(), "a linked resource");
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
    void rendersInHeadlessChromium(@TempDir Path tmp) throws Exception {
        String chromium = findChromium();
        Assumptions.assumeTrue(chromium != null, "no chromium binary on PATH; CI installs it (apt-get install chromium)");
        Path page = tmp.resolve("journey.html");
        Files.writeString(page, html, StandardCharsets.UTF_8);
        String url = page.toUri().toString();

        Result dom = runChromium(chromium, tmp, List.of("--dump-dom", url));
        assertEquals(0, dom.code, "chromium --dump-dom failed: " + dom.err);
        Matcher ready = Pattern.compile("<body[^>]*data-gb-ready=\"(\\d+)\"").matcher(dom.out);
        assertTrue(ready.find(), "no body marker in the DOM");
        Matcher body = Pattern.compile("<body[^>]*>").matcher(dom.out);
        assertTrue(body.find());
        assertFalse(body.group().contains("data-gb-error"), "script error: " + body.group());
        assertEquals(heatmaps, Integer.parseInt(ready.group(1)), "heatmaps drawn");
        assertTrue(dom.out.contains("rendered " + heatmaps + " attention heatmaps"));

        Path png = tmp.resolve("journey.png");
        Result shot = runChromium(chromium, tmp, List.of("--enable-logging=stderr", "--v=0", "--screenshot=" + png,
                "--window-size=1200,2000", url));
        assertEquals(0, shot.code, "chromium --screenshot failed: " + shot.err);
        assertFalse(shot.err.contains("Uncaught"), "script error: " + shot.err);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "the screenshot is not a PNG");
        assertEquals(1200, img.getWidth());
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
        assertTrue(colours.size() > 100, "only " + colours.size() + " colours: a blank page?");
        assertTrue(nonWhite > samples / 10, "mostly white: " + nonWhite + " of " + samples);
        // kept for a human look: target/journey-html/
        Path keep = Paths.get("target", "journey-html");
        Files.createDirectories(keep);
        Files.copy(png, keep.resolve("journey.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(page, keep.resolve("journey.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
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
