package dev.glassbox.checkpoint.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.RawTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared fixture llama-pickle-bin: a LlamaForCausalLM written by transformers 4.44 /
 * torch 1.13 with save_pretrained(safe_serialization=False).
 */
class TorchPickleFixtureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path dir;
    private static JsonNode config;

    @BeforeAll
    static void locate() throws IOException {
        dir = Path.of(System.getProperty("glassbox.shared", "../shared"), "fixtures", "llama-pickle-bin");
        assertTrue(Files.isRegularFile(dir.resolve("pytorch_model.bin")), "shared fixtures missing: tests that need ../shared fail without it (see ../shared/README.md)");
        config = JSON.readTree(dir.resolve("config.json").toFile());
    }

    /** Every tensor a LlamaForCausalLM state dict holds, with the shape config.json implies. */
    private static Map<String, long[]> expectedShapes() {
        long hidden = config.get("hidden_size").asLong();
        long inter = config.get("intermediate_size").asLong();
        long vocab = config.get("vocab_size").asLong();
        long heads = config.get("num_attention_heads").asLong();
        long kvHeads = config.get("num_key_value_heads").asLong();
        long headDim = hidden / heads;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, hidden});
        for (int l = 0; l < config.get("num_hidden_layers").asInt(); l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "self_attn.q_proj.weight", new long[] {heads * headDim, hidden});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kvHeads * headDim, hidden});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kvHeads * headDim, hidden});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {hidden, heads * headDim});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {inter, hidden});
            shapes.put(p + "mlp.up_proj.weight", new long[] {inter, hidden});
            shapes.put(p + "mlp.down_proj.weight", new long[] {hidden, inter});
            shapes.put(p + "input_layernorm.weight", new long[] {hidden});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {hidden});
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (!config.path("tie_word_embeddings").asBoolean(false)) {
            shapes.put("lm_head.weight", new long[] {vocab, hidden});
        }
        return shapes;
    }

    @Test
    void namesDtypesAndShapesMatchConfig() {
        Map<String, long[]> expected = expectedShapes();
        try (TorchPickleCheckpoint ckpt = TorchPickleCheckpoint.open(dir.resolve("pytorch_model.bin"))) {
            assertEquals(expected.keySet(), ckpt.names());
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                RawTensor t = ckpt.get(e.getKey());
                assertEquals(e.getKey(), t.name());
                assertEquals(DType.F32, t.dtype(), e.getKey());
                assertEquals(Arrays.toString(e.getValue()), t.shapeString(), e.getKey());
                assertEquals(t.numel() * 4, t.data().remaining(), e.getKey());
                assertTrue(t.data().isDirect(), "mapped, not copied onto the heap");
                assertEquals(ByteOrder.LITTLE_ENDIAN, t.data().order());
            }
        }
    }

    @Test
    void valuesAreSane() {
        try (TorchPickleCheckpoint ckpt = TorchPickleCheckpoint.open(dir.resolve("pytorch_model.bin"))) {
            for (String name : ckpt.names()) {
                float[] v = floats(ckpt.get(name));
                double sumSq = 0;
                for (float x : v) {
                    assertTrue(Float.isFinite(x), name + " holds a non-finite value");
                    sumSq += x * x;
                }
                assertTrue(sumSq > 0, name + " is all zeros");
            }
            // Distinct storages must give distinct tensors (catches reading the wrong entry).
            assertFalse(Arrays.equals(floats(ckpt.get("model.embed_tokens.weight")),
                    floats(ckpt.get("lm_head.weight"))));
        }
    }

    /**
     * reference.json (from transformers itself) pins actual values: hidden_states_last[0] is the
     * embedding row of the last input id, and last_logits = lm_head · (final normed hidden state).
     */
    @Test
    void valuesMatchTransformersReference() throws IOException {
        JsonNode ref = JSON.readTree(dir.resolve("reference.json").toFile());
        try (TorchPickleCheckpoint ckpt = TorchPickleCheckpoint.open(dir.resolve("pytorch_model.bin"))) {
            RawTensor embed = ckpt.get("model.embed_tokens.weight");
            RawTensor head = ckpt.get("lm_head.weight");
            int hidden = (int) embed.shape()[1];
            float[] e = floats(embed);
            float[] w = floats(head);
            for (JsonNode result : ref.get("results")) {
                JsonNode ids = result.get("input_ids");
                int last = ids.get(ids.size() - 1).asInt();
                JsonNode hs = result.get("hidden_states_last");
                JsonNode h0 = hs.get(0);
                for (int j = 0; j < hidden; j++) {
                    assertEquals((float) h0.get(j).asDouble(), e[last * hidden + j], 1e-6f, "embedding row " + last);
                }
                JsonNode hN = hs.get(hs.size() - 1);
                JsonNode logits = result.get("last_logits");
                for (int i = 0; i < head.shape()[0]; i++) {
                    double dot = 0;
                    for (int j = 0; j < hidden; j++) {
                        dot += (double) w[i * hidden + j] * (float) hN.get(j).asDouble();
                    }
                    double want = logits.get(i).asDouble();
                    assertEquals(want, dot, 1e-4 * Math.max(1, Math.abs(want)), "logit " + i);
                }
            }
        }
    }

    static float[] floats(RawTensor t) {
        ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
