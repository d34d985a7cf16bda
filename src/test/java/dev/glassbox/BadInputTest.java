package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.checkpoint.RandomCheckpoint;
import dev.glassbox.cli.Main;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input gets a clear one-line error, never a crash or a silent wrong answer. */
class BadInputTest {

    @TempDir
    Path tmp;

    private Path tinyGpt2() {
        Path dir = tmp.resolve("ckpt");
        RandomCheckpoint.writeGpt2(new RandomCheckpoint.Gpt2Shape(2, 16, 2, 50, 32), 7, dir);
        return dir;
    }

    private static String error(Path dir) {
        GlassboxException e = assertThrows(GlassboxException.class, () -> LanguageModel.load(dir).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    /** Writes a safetensors file from a raw header string and data length. */
    private static void writeSafetensors(Path file, String header, int dataBytes, long declaredHeaderLen) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLen < 0 ? h.length : declaredHeaderLen);
        b.put(h);
        Files.write(file, b.array());
    }

    private Path withSafetensors(String header, int dataBytes, long declaredHeaderLen) throws IOException {
        Path dir = tinyGpt2();
        writeSafetensors(dir.resolve("model.safetensors"), header, dataBytes, declaredHeaderLen);
        return dir;
    }

    @Test
    void missingConfig() throws IOException {
        Path dir = tinyGpt2();
        Files.delete(dir.resolve("config.json"));
        assertTrue(error(dir).contains("config.json"));
    }

    @Test
    void malformedConfig() throws IOException {
        Path dir = tinyGpt2();
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", ");
        String m = error(dir);
        assertTrue(m.contains("config.json") && m.contains("malformed"), m);
    }

    @Test
    void configMissingAKey() throws IOException {
        Path dir = tinyGpt2();
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        cfg.remove("n_head");
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), cfg);
        assertTrue(error(dir).contains("n_head"));
    }

    @Test
    void unknownModelTypeListsSupported() throws IOException {
        Path dir = tinyGpt2();
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mamba\"}");
        String m = error(dir);
        assertTrue(m.contains("mamba") && m.contains("gpt2") && m.contains("llama") && m.contains("gemma"), m);
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        String m = error(withSafetensors("{}", 0, 1_000_000));
        assertTrue(m.contains("model.safetensors") && m.contains("truncated"), m);
    }

    @Test
    void headerNotJson() throws IOException {
        String m = error(withSafetensors("this is not json", 0, -1));
        assertTrue(m.contains("not valid JSON"), m);
    }

    @Test
    void offsetsOutsideData() throws IOException {
        String m = error(withSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, -1));
        assertTrue(m.contains("'a'") && m.contains("outside the data"), m);
    }

    @Test
    void overlappingTensors() throws IOException {
        String m = error(withSafetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, -1));
        assertTrue(m.contains("overlap"), m);
    }

    @Test
    void shapeTimesDtypeDiffersFromByteLength() throws IOException {
        String m = error(withSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, -1));
        assertTrue(m.contains("'a'") && m.contains("needs 12 bytes") && m.contains("span 8"), m);
    }

    @Test
    void unknownDtype() throws IOException {
        String m = error(withSafetensors("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, -1));
        assertTrue(m.contains("F8_E4M3") && m.contains("unsupported dtype"), m);
    }

    @Test
    void truncatedFile() throws IOException {
        Path dir = tinyGpt2();
        Path f = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 100));
        String m = error(dir);
        assertTrue(m.contains("outside the data") || m.contains("truncated"), m);
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = tinyGpt2();
        // A valid file that lacks one tensor: rewrite the header without ln_f.bias.
        Path f = dir.resolve("model.safetensors");
        dev.glassbox.checkpoint.SafetensorsFile sf = dev.glassbox.checkpoint.SafetensorsFile.open(f);
        java.util.List<dev.glassbox.checkpoint.SafetensorsWriter.Spec> specs = new java.util.ArrayList<>();
        for (String name : sf.names()) {
            if (name.equals("transformer.ln_f.bias")) {
                continue;
            }
            dev.glassbox.checkpoint.RawTensor t = sf.get(name);
            specs.add(new dev.glassbox.checkpoint.SafetensorsWriter.Spec(name, t.dtype(), t.shape(), b -> b.put(t.data().duplicate())));
        }
        Path out = tmp.resolve("out.safetensors");
        dev.glassbox.checkpoint.SafetensorsWriter.write(out, specs, null);
        sf.close();
        Files.move(out, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String m = error(dir);
        assertTrue(m.contains("missing tensor 'transformer.ln_f.bias'"), m);
    }

    @Test
    void shapeMismatchNamesTensorExpectedAndFound() throws IOException {
        Path dir = tinyGpt2();
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        cfg.put("vocab_size", 60);
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), cfg);
        String m = error(dir);
        assertTrue(m.contains("transformer.wte.weight") && m.contains("(50, 16)") && m.contains("(60, 16)"), m);
    }

    @Test
    void integerWeightsAreRefused() throws IOException {
        // A complete checkpoint whose embedding is stored as I32 (4 bytes an element, as F32): only
        // the dtype is wrong, so the refusal must name it, not a missing tensor.
        Path dir = tinyGpt2();
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        long headerLen = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) new ObjectMapper().readTree(new String(bytes, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8));
        ((ObjectNode) header.get("transformer.wte.weight")).put("dtype", "I32");
        byte[] h = new ObjectMapper().writeValueAsBytes(header);
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            out.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            out.write(h);
            out.write(bytes, (int) (8 + headerLen), (int) (bytes.length - 8 - headerLen));
        }
        String m = error(dir);
        assertTrue(m.contains("I32") && m.contains("transformer.wte.weight"), m);
    }

    @Test
    void noWeightsAtAll() throws IOException {
        Path dir = tinyGpt2();
        Files.delete(dir.resolve("model.safetensors"));
        assertTrue(error(dir).contains("no weights found"));
    }

    @Test
    void promptLongerThanContextAndEmptyPrompt() {
        try (LanguageModel model = LanguageModel.load(tinyGpt2())) {
            Generator g = new Generator(model);
            SamplingConfig cfg = SamplingConfig.builder().greedy(true).maxNewTokens(4).build();
            GlassboxException tooLong = assertThrows(GlassboxException.class, () -> g.generate(new long[40], cfg));
            assertTrue(tooLong.getMessage().contains("40 tokens") && tooLong.getMessage().contains("32"), tooLong.getMessage());
            assertThrows(GlassboxException.class, () -> g.generate(new long[0], cfg));
            // A prompt that fits but whose continuation would not: generation stops at the context.
            GenerationResult r = g.generate(new long[30], SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(10).build());
            assertEquals(dev.glassbox.generate.StopReason.CONTEXT_FULL, r.stopReason());
            assertEquals(3, r.ids().length);
            GlassboxException badId = assertThrows(GlassboxException.class, () -> model.logits(new long[] {1, 99}));
            assertTrue(badId.getMessage().contains("99"), badId.getMessage());
        }
    }

    @Test
    void invalidSamplingParameters() {
        assertThrows(GlassboxException.class, () -> SamplingConfig.builder().temperature(-1).build().validate());
        assertThrows(GlassboxException.class, () -> SamplingConfig.builder().topP(0).build().validate());
        assertThrows(GlassboxException.class, () -> SamplingConfig.builder().topP(1.5).build().validate());
        assertThrows(GlassboxException.class, () -> SamplingConfig.builder().topK(-1).build().validate());
    }

    /** The CLI turns each of these into one line on stderr and a non-zero exit. */
    @Test
    void cliErrorsAreOneLineAndNonZero() throws IOException {
        Path dir = tinyGpt2();
        String[][] cases = {
            {"generate", "--model", dir.toString(), "--ids", "1,2", "--temperature", "-1"},
            {"generate", "--model", dir.toString(), "--ids", "1,2", "--top-p", "1.5"},
            {"generate", "--model", dir.toString(), "--ids", "1,2", "--top-k", "-3"},
            {"generate", "--model", dir.toString(), "--prompt", "hello"},
            {"score", "--model", dir.toString(), "--ids", "1,2,500"},
            {"generate", "--model", tmp.resolve("nope").toString(), "--ids", "1"},
        };
        for (String[] args : cases) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream old = System.err;
            int code;
            try {
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                code = Main.run(args);
            } finally {
                System.setErr(old);
            }
            String msg = err.toString(StandardCharsets.UTF_8).trim();
            assertTrue(code != 0, String.join(" ", args));
            assertTrue(msg.startsWith("glassbox: error: ") && !msg.contains("\n") && !msg.contains("Exception"),
                    String.join(" ", args) + " -> " + msg);
        }
    }
}
