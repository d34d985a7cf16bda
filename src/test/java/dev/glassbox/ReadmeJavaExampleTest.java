package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java example, run as written: its first {@code java} snippet block (not the complete program) under "## Java API" is
 * cut out of README.md, compiled with the JDK's compiler against the test classpath and run on
 * ../shared/models/stories260K, with a config that names no EOS ids: the generation must know the
 * checkpoint's EOS id (2) all the same. (stories260K, a llama2.c model, ends its stories with BOS
 * rather than EOS, so the stop itself is shown on capp-gpt2-tiny, whose greedy continuation
 * reaches its EOS: {@link #javaApiTranslatorAndCliStopAtTheCheckpointsEos}.)
 */
class ReadmeJavaExampleTest {

    @Test
    void readmeJavaExampleRunsAndStopsAtEos(@TempDir Path tmp) throws Exception {
        assertTrue(Files.isDirectory(Path.of("../shared/models/stories260K")), "the README's path, from the project folder");
        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : snippet(Files.readString(Path.of("README.md")))) {
            if (line.startsWith("import ")) {
                imports.add(line);
            } else {
                body.append(line).append('\n');
            }
        }
        String source = "package readme;\n" + String.join("\n", imports)
                + "\npublic class Snippet {\n    public static void run() throws Exception {\n" + body + "    }\n}\n";
        Path src = tmp.resolve("readme/Snippet.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests need a JDK (javac)");
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, null, diagnostics, "-proc:none", "-cp", System.getProperty("java.class.path"),
                "-d", tmp.toString(), src.toString());
        assertEquals(0, rc, "the README's Java example does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass("readme.Snippet").getMethod("run").invoke(null);
        } finally {
            System.setOut(stdout);
        }
        String out = printed.toString(StandardCharsets.UTF_8).strip();
        String last = out.substring(out.lastIndexOf('\n') + 1);
        assertTrue(last.matches("stop: (eos|max_new_tokens), eos ids \\[2\\]"), "the README's generation:\n" + out);
        assertTrue(out.length() > last.length() + 20, "it generated a story first:\n" + out);
    }

    /**
     * transformers' greedy continuation of capp-gpt2-tiny's first reference prompt reaches the
     * checkpoint's EOS (51, from generation_config.json) at step 4; configs that name no EOS ids stop
     * right there, in the Java API, the DJL translator and the CLI alike.
     */
    @Test
    void javaApiTranslatorAndCliStopAtTheCheckpointsEos() throws Exception {
        Path dir = Reference.model("models/capp-gpt2-tiny");
        com.fasterxml.jackson.databind.JsonNode r = Reference.reference("models/capp-gpt2-tiny").get("results").get(0);
        long[] prompt = Reference.longs(r.get("input_ids"));
        long[] reference = Reference.longs(r.get("generate").get("ids"));
        assertEquals(51, reference[4], "the reference reaches EOS 51 at step 4");
        long[] expected = java.util.Arrays.copyOf(reference, 5);
        dev.glassbox.generate.SamplingConfig greedy = dev.glassbox.generate.SamplingConfig.builder().greedy(true).maxNewTokens(20).build();
        try (LanguageModel model = LanguageModel.load(dir)) {
            dev.glassbox.generate.GenerationResult res = model.generate(prompt, greedy);
            assertArrayEquals(expected, res.ids());
            assertEquals(dev.glassbox.generate.StopReason.EOS, res.stopReason());
            // Nothing given at all: the checkpoint's defaults alone (greedy, EOS 51).
            res = model.generate(prompt, null);
            assertArrayEquals(expected, res.ids());
            assertEquals(dev.glassbox.generate.StopReason.EOS, res.stopReason());
        }
        try (ai.djl.repository.zoo.ZooModel<dev.glassbox.djl.GenerationRequest, dev.glassbox.generate.GenerationResult> zoo =
                        dev.glassbox.djl.GlassboxCriteria.forGeneration(dir).loadModel();
                ai.djl.inference.Predictor<dev.glassbox.djl.GenerationRequest, dev.glassbox.generate.GenerationResult> p = zoo.newPredictor()) {
            dev.glassbox.generate.GenerationResult res = p.predict(dev.glassbox.djl.GenerationRequest.ofIds(prompt, greedy));
            assertArrayEquals(expected, res.ids());
            assertEquals(dev.glassbox.generate.StopReason.EOS, res.stopReason());
        }
        String ids = java.util.Arrays.stream(prompt).mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(","));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            rc = dev.glassbox.cli.Main.run("generate", "--model", dir.toString(), "--ids", ids, "--greedy", "--json", "--quiet");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, rc);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(printed.toString(StandardCharsets.UTF_8));
        assertEquals("eos", json.get("stop_reason").asText());
        assertArrayEquals(expected, Reference.longs(json.get("ids")));
        // Greedy output reports no sampling parameters it did not use.
        assertEquals(java.util.Set.of("greedy", "repetition_penalty"), fieldNames(json.get("sampling")));
        assertTrue(!json.get("tokens").get(0).has("sampled_prob") && !json.get("tokens").get(0).has("kept"));
    }

    private static java.util.Set<String> fieldNames(com.fasterxml.jackson.databind.JsonNode n) {
        java.util.Set<String> out = new java.util.HashSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The lines of the first ```java block after the heading "## Java API". */
    static List<String> snippet(String readme) {
        int section = readme.indexOf("\n## Java API\n");
        assertTrue(section >= 0, "README.md has a \"## Java API\" section");
        // the first block that is a snippet, not the complete program (.ci/consumer runs that one)
        for (int start = readme.indexOf("```java\n", section); start >= 0; start = readme.indexOf("```java\n", start + 8)) {
            int end = readme.indexOf("\n```", start + 8);
            assertTrue(end > start, "an unclosed java code block");
            String block = readme.substring(start + 8, end);
            if (!block.contains("public class ")) {
                return block.lines().toList();
            }
        }
        throw new AssertionError("the Java API section has no java snippet block");
    }
}
