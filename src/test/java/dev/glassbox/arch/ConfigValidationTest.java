package dev.glassbox.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strict config parsing: a value that is present but invalid is an error naming the key, the value
 * and what is expected; only an absent key takes the default; a config claiming more layers than
 * the checkpoint holds fails at once, naming the missing tensor.
 */
class ConfigValidationTest {

    static final ObjectMapper OM = new ObjectMapper();

    @TempDir
    Path tmp;

    static ObjectNode config(String dir) {
        try {
            return (ObjectNode) OM.readTree(Reference.model(dir).resolve("config.json").toFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static ModelConfig parse(ObjectNode c) {
        return Architecture.forModelType(c.get("model_type").asText(), "config.json").parseConfig(c, "config.json");
    }

    /** The one-line error for {@code c}, which must name every fragment. */
    static void refused(ObjectNode c, String... fragments) {
        GlassboxException e = assertThrows(GlassboxException.class, () -> parse(c));
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void fractionalAndNonNumericSizesAreRefused() {
        ObjectNode c = config("fixtures/llama-gqa");
        refused(c.deepCopy().put("hidden_size", 64.5), "'hidden_size'", "64.5", "integer");
        refused(c.deepCopy().put("num_attention_heads", "8"), "'num_attention_heads'", "\"8\"", "integer");
        refused(c.deepCopy().put("vocab_size", -3), "'vocab_size'", "-3");
        refused(c.deepCopy().put("intermediate_size", 1L << 40), "'intermediate_size'");
        refused(config("fixtures/gpt2-tiny").put("n_embd", 32.5), "'n_embd'", "32.5");
        refused(config("fixtures/gpt2-tiny").put("n_inner", 1.5), "'n_inner'", "1.5");
    }

    @Test
    void junkEpsilonsAndRopeThetaAreRefused() {
        refused(config("fixtures/llama-gqa").put("rms_norm_eps", "abc"), "'rms_norm_eps'", "\"abc\"", "number");
        refused(config("fixtures/llama-gqa").put("rms_norm_eps", 0), "'rms_norm_eps'", "0");
        refused(config("fixtures/gpt2-tiny").put("layer_norm_epsilon", 0), "'layer_norm_epsilon'", "0");
        refused(config("fixtures/llama-gqa").put("rope_theta", "abc"), "'rope_theta'", "\"abc\"");
        ObjectNode v5 = config("fixtures/qwen3-tiny");
        ((ObjectNode) v5.get("rope_parameters")).put("rope_theta", "abc");
        refused(v5, "'rope_parameters.rope_theta'", "\"abc\"");
        refused(config("fixtures/llama-gqa").put("tie_word_embeddings", "yes"), "'tie_word_embeddings'", "true or false");
    }

    @Test
    void junkRopeScalingFactorsAreRefused() {
        for (Object bad : new Object[] {"4", -2.0, 0, 1e308}) {
            ObjectNode c = config("fixtures/llama31-rope");
            ObjectNode s = (ObjectNode) c.get("rope_scaling");
            if (bad instanceof String str) {
                s.put("factor", str);
            } else if (bad instanceof Integer i) {
                s.put("factor", i);
            } else {
                s.put("factor", (Double) bad);
            }
            refused(c, "'rope_scaling.factor'", "expected");
        }
        ObjectNode y = config("fixtures/llama-yarn-tiny");
        ((ObjectNode) y.get("rope_parameters")).put("beta_fast", "fast");
        refused(y, "'rope_parameters.beta_fast'", "\"fast\"");
        ObjectNode lr = config("fixtures/phi3-longrope-tiny");
        ((ObjectNode) lr.get("rope_parameters")).putArray("short_factor").add(1.0).add(2.0);
        refused(lr, "'rope_parameters.short_factor'", "6 numbers");
        ObjectNode unknown = config("fixtures/llama-gqa");
        unknown.putObject("rope_scaling").put("rope_type", "magic").put("factor", 2.0);
        refused(unknown, "magic", "not supported");
    }

    @Test
    void absentKeysTakeTheDefaultsNullSoftcapsAreNone() {
        ObjectNode c = config("fixtures/llama-gqa");
        c.remove("rms_norm_eps");
        assertEquals(1e-6, parse(c).normEps());
        ObjectNode g = config("fixtures/gemma2-tiny");
        g.remove("attn_logit_softcapping");
        g.putNull("final_logit_softcapping");
        ModelConfig m = parse(g);
        assertEquals(50.0, m.attnLogitSoftcap()); // Gemma2Config's default
        assertEquals(null, m.finalLogitSoftcap());
        ObjectNode q = config("fixtures/qwen3-tiny");
        q.remove("layer_types");
        q.put("use_sliding_window", true).put("sliding_window", 16).put("max_window_layers", 1);
        ModelConfig qm = parse(q);
        assertEquals(null, qm.layer(0).window());
        assertEquals(16, qm.layer(1).window());
    }

    @Test
    void slidingLayersWithoutAWindowAreRefused() {
        ObjectNode q = config("fixtures/qwen3-tiny"); // use_sliding_window false: no window at all
        q.putArray("layer_types").add("sliding_attention").add("full_attention");
        refused(q, "sliding_attention", "sliding_window");
        ObjectNode g = config("fixtures/gemma2-tiny");
        g.putArray("layer_types").add("sliding_attention");
        refused(g, "'layer_types'", "2");
    }

    Path withConfig(String dir, Consumer<ObjectNode> edit) throws IOException {
        Path src = Reference.model(dir);
        Path dst = Files.createDirectories(tmp.resolve(src.getFileName()));
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        ObjectNode c = config(dir);
        edit.accept(c);
        OM.writeValue(dst.resolve("config.json").toFile(), c);
        return dst;
    }

    @Test
    void hugeLayerCountsFailAtOnceNamingTheMissingTensor() throws IOException {
        Object[][] cases = {
            {"fixtures/gpt2-tiny", "n_layer", "transformer.h.2147483646."},
            {"fixtures/llama-gqa", "num_hidden_layers", "model.layers.2147483646."},
            {"fixtures/gemma3-tiny", "num_hidden_layers", null}, // layer_types lists 3: refused as a mismatch
        };
        for (Object[] k : cases) {
            Path p = withConfig((String) k[0], c -> c.put((String) k[1], Integer.MAX_VALUE));
            long start = System.nanoTime();
            GlassboxException e = assertThrows(GlassboxException.class, () -> LanguageModel.load(p).close());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 10, k[0] + " took " + seconds + " s");
            String expected = k[2] == null ? "'layer_types'" : "missing tensor '" + k[2];
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }
}
