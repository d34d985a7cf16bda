package dev.glassbox.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.ChildJvm;
import dev.glassbox.GlassboxException;
import dev.glassbox.Reference;
import dev.glassbox.arch.Architecture;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.SafetensorsFile;
import dev.glassbox.checkpoint.pickle.TorchPickleCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fixed-seed corpus of damaged inputs for every parser of untrusted files. Each case must end in
 * a parsed object or a GlassboxException with a one-line message: never another Throwable, a hang
 * (each test is timed) or a dead JVM (the tokenizer cases, which reach native code, run in a child
 * process that reports each case before trying it).
 */
class FuzzTest {

    @TempDir
    Path tmp;

    /** Failures collected over a corpus, so one run shows them all. */
    private final List<String> failures = new ArrayList<>();
    private int parsed;
    private int refused;

    private void attempt(String what, Runnable r) {
        try {
            r.run();
            parsed++;
        } catch (GlassboxException e) {
            refused++;
            if (e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")) {
                failures.add(what + ": message not one line: " + e.getMessage());
            }
        } catch (Throwable t) {
            failures.add(what + ": " + t);
        }
    }

    private void report(int cases) {
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases failed, e.g. "
                + failures.subList(0, Math.min(10, failures.size())));
        assertEquals(cases, parsed + refused);
        assertTrue(refused > 0, "the corpus refused nothing: it is not hostile");
    }

    // ---- safetensors ----

    private static byte[] safetensors(byte[] header, byte[] data, long declaredLength) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        return b.array();
    }

    @Test
    @Timeout(60)
    void safetensorsHeaders() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[32,36]}}";
        JsonNode tree = Mutator.JSON.readTree(header);
        byte[] data = new byte[36];
        Mutator m = new Mutator(13);
        Path file = tmp.resolve("model.safetensors");
        int cases = 2500;
        for (int i = 0; i < cases; i++) {
            byte[] h = Mutator.JSON.writeValueAsBytes(m.mutate(tree));
            byte[] d = data;
            long declared = h.length;
            int kind = m.random().nextInt(10);
            if (kind < 2) {
                h = m.damageText(header.getBytes(StandardCharsets.UTF_8));
                declared = h.length;
            } else if (kind == 2) {
                declared = m.random().nextBoolean() ? m.random().nextLong() : h.length + m.random().nextInt(64) - 32;
            } else if (kind == 3) {
                d = java.util.Arrays.copyOf(data, m.random().nextInt(48));
            }
            Files.write(file, safetensors(h, d, declared));
            int n = i;
            attempt("safetensors case " + n + " " + new String(h, StandardCharsets.UTF_8), () -> {
                try (SafetensorsFile sf = SafetensorsFile.open(file)) {
                    for (String name : sf.names()) {
                        RawTensor t = sf.get(name);
                        if (t.data().remaining() != t.numel() * t.dtype().bytes()) {
                            throw new AssertionError("tensor " + name + " holds " + t.data().remaining() + " bytes for " + t.numel());
                        }
                        t.release();
                    }
                }
            });
        }
        report(cases);
    }

    // ---- config.json (the parser is being made strict elsewhere; here only: no other Throwable) ----

    @Test
    @Timeout(60)
    void configs() throws IOException {
        List<JsonNode> bases = new ArrayList<>();
        for (String model : List.of("stories260K", "tiny-gpt2-random", "capp-gpt2-tiny")) {
            Path f = Reference.model("models/" + model).resolve("config.json");
            if (Files.isRegularFile(f)) {
                bases.add(Mutator.JSON.readTree(f.toFile()));
            }
        }
        Path pickleConfig = Reference.shared().resolve("fixtures/llama-pickle-bin/config.json");
        if (Files.isRegularFile(pickleConfig)) {
            bases.add(Mutator.JSON.readTree(pickleConfig.toFile()));
        }
        assertTrue(!bases.isEmpty(), "shared models missing: tests that need ../shared fail without it (see ../shared/README.md)");
        Mutator m = new Mutator(17);
        int cases = 1500;
        for (int i = 0; i < cases; i++) {
            JsonNode cfg = m.mutate(bases.get(i % bases.size()));
            attempt("config case " + i + " " + cfg, () -> {
                Architecture a = Architecture.forModelType(cfg.path("model_type").asText(), "config.json");
                a.parseConfig(cfg, "config.json");
            });
        }
        report(cases);
    }

    // ---- pytorch_model.bin ----

    @Test
    @Timeout(60)
    void pickles() throws IOException {
        Path source = Reference.shared().resolve("fixtures/llama-pickle-bin/pytorch_model.bin");
        assertTrue(Files.isRegularFile(source), "shared fixtures missing: tests that need ../shared fail without it (see ../shared/README.md)");
        byte[] base = Files.readAllBytes(source);
        int pkl = indexOf(base, "data.pkl".getBytes(StandardCharsets.US_ASCII));
        assertTrue(pkl > 0);
        Mutator m = new Mutator(19);
        Path file = tmp.resolve("pytorch_model.bin");
        int cases = 500;
        for (int i = 0; i < cases; i++) {
            byte[] b = switch (m.random().nextInt(4)) {
                case 0, 1 -> m.flipBytes(base, pkl, Math.min(base.length, pkl + 6000)); // the pickle program
                case 2 -> m.flipBytes(base, Math.max(0, base.length - 4000), base.length); // the zip directory
                default -> java.util.Arrays.copyOf(base, m.random().nextInt(base.length));
            };
            Files.write(file, b);
            attempt("pickle case " + i, () -> {
                try (TorchPickleCheckpoint ckpt = TorchPickleCheckpoint.open(file)) {
                    for (String name : ckpt.names()) {
                        ckpt.get(name).release();
                    }
                }
            });
        }
        report(cases);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ---- tokenizer files, in a child JVM: the native tokenizers library can abort a process ----

    @Test
    @Timeout(180)
    void tokenizerLoadersInAChildProcess() throws Exception {
        Path stories = Reference.model("models/stories260K").resolve("tokenizer.json");
        Path gpt2 = Reference.model("models/tiny-gpt2-random");
        Path capp = Reference.model("models/capp-gpt2-tiny").resolve("token_mappings.json");
        assertTrue(Files.isRegularFile(stories) && Files.isRegularFile(capp), "shared models missing: tests that need ../shared fail without it (see ../shared/README.md)");
        Mutator m = new Mutator(23);
        Path root = tmp.resolve("cases");
        int count = 0;

        JsonNode tok = Mutator.JSON.readTree(stories.toFile());
        for (int i = 0; i < 450; i++, count++) {
            Path dir = Files.createDirectories(root.resolve(String.format("%04d-tokenizer", count)));
            // Aim most mutations at the parts outside the vocabulary: post-processor, added tokens, model.
            JsonNode doc = tok.deepCopy();
            String part = List.of("post_processor", "added_tokens", "model", "normalizer", "decoder", "").get(i % 6);
            if (!part.isEmpty() && doc.has(part) && doc.get(part).isContainerNode()) {
                ((ObjectNode) doc).set(part, m.mutate(doc.get(part)));
            } else {
                doc = m.mutate(doc);
            }
            byte[] bytes = Mutator.JSON.writeValueAsBytes(doc);
            Files.write(dir.resolve("tokenizer.json"), i % 10 == 9 ? m.damageText(bytes) : bytes);
        }

        // A small GPT-2 vocab.json + merges.txt: byte-level tokens with ids below 400 and the merges among them.
        ObjectNode vocab = Mutator.JSON.createObjectNode();
        JsonNode fullVocab = Mutator.JSON.readTree(gpt2.resolve("vocab.json").toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = fullVocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asInt() < 400) {
                vocab.set(e.getKey(), e.getValue());
            }
        }
        List<String> merges = new ArrayList<>(List.of("#version: 0.2"));
        for (String line : Files.readAllLines(gpt2.resolve("merges.txt"))) {
            String[] p = line.split(" ");
            if (p.length == 2 && vocab.has(p[0]) && vocab.has(p[1]) && vocab.has(p[0] + p[1])) {
                merges.add(line);
            }
        }
        for (int i = 0; i < 120; i++, count++) {
            Path dir = Files.createDirectories(root.resolve(String.format("%04d-vocab", count)));
            JsonNode v = i % 3 == 2 ? vocab : m.mutate(vocab);
            Files.write(dir.resolve("vocab.json"), Mutator.JSON.writeValueAsBytes(v));
            List<String> mg = new ArrayList<>(merges);
            if (i % 3 == 2) {
                int at = 1 + m.random().nextInt(mg.size() - 1);
                mg.set(at, List.of("", "a", "a b c", "\u0120zz \u0120qq", mg.get(at) + " ").get(m.random().nextInt(5)));
            }
            Files.write(dir.resolve("merges.txt"), mg);
            if (i % 4 == 0) {
                Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\":true,\"bos_token\":"
                        + m.oddValue() + ",\"added_tokens_decoder\":{\"" + List.of("5", "-3", "2000000000", "x").get(i / 4 % 4)
                        + "\":{\"content\":\"<q>\",\"special\":true}}}");
            }
        }

        JsonNode mappings = Mutator.JSON.readTree(capp.toFile());
        for (int i = 0; i < 120; i++, count++) {
            Path dir = Files.createDirectories(root.resolve(String.format("%04d-mappings", count)));
            Files.write(dir.resolve("token_mappings.json"), Mutator.JSON.writeValueAsBytes(m.mutate(mappings)));
        }

        ChildJvm.Result r = ChildJvm.run(TokenizerFuzzChild.class, tmp.resolve("logs"), "tokenizers", List.of(root.toString()), 150);
        List<String> lines = r.out().lines().toList();
        String lastCase = lines.stream().filter(l -> l.startsWith("CASE ")).reduce((a, b) -> b).orElse("(none)");
        assertEquals(0, r.exit(), "the child died (exit " + r.exit() + ") at " + lastCase + "; stderr tail: "
                + tail(r.err()));
        List<String> bad = lines.stream().filter(l -> l.startsWith("BAD ")).toList();
        assertTrue(bad.isEmpty(), bad.size() + " bad outcomes, e.g. " + bad.subList(0, Math.min(10, bad.size())));
        long ok = lines.stream().filter(l -> l.startsWith("OK ")).count();
        long ge = lines.stream().filter(l -> l.startsWith("GE ")).count();
        assertEquals(count, ok + ge, "every case reports an outcome");
        assertTrue(ge > 0 && ok > 0, "ok " + ok + ", refused " + ge);
    }

    private static String tail(String s) {
        return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    }
}
