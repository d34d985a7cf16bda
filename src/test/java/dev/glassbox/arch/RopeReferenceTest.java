package dev.glassbox.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.Reference;
import org.junit.jupiter.api.Test;

/**
 * RoPE variants (yarn with its options, longrope short and long, llama3, linear, Gemma 3's
 * per-layer-type settings), parsed from config.json in both spellings, against the inverse
 * frequencies and attention factors transformers computes (rope/rope_reference.json, written by
 * rope/make_rope_reference.py with the local transformers).
 */
class RopeReferenceTest {

    @Test
    void inverseFrequenciesAndAttentionFactorsMatchTransformers() {
        JsonNode ref = Reference.json(Reference.model("glassbox-fixtures/rope").resolve("rope_reference.json"));
        int checked = 0;
        for (JsonNode c : ref.get("cases")) {
            String what = c.get("name").asText() + " (layer " + c.get("layer").asInt() + ", seq " + c.get("seq_len").asInt() + ")";
            JsonNode config = c.get("config");
            ModelConfig cfg = Architecture.forModelType(config.get("model_type").asText(), "config.json").parseConfig(config, "config.json");
            Rope rope = cfg.layer(c.get("layer").asInt()).rope();
            float[] inv = rope.inverseFrequencies(c.get("seq_len").asInt());
            JsonNode expected = c.get("inv_freq");
            assertEquals(expected.size(), inv.length, what + ": number of frequencies");
            for (int i = 0; i < inv.length; i++) {
                double e = expected.get(i).asDouble();
                assertTrue(Math.abs(inv[i] - e) <= 2e-6 * Math.abs(e), what + " inv_freq[" + i + "]: expected " + e + " found " + inv[i]);
            }
            assertEquals(c.get("attention_factor").asDouble(), rope.attentionFactor(), 1e-12, what + ": attention factor");
            if (c.hasNonNull("original_max_position_embeddings") && rope.scaling().equals("longrope")) {
                assertEquals(c.get("original_max_position_embeddings").asInt(), rope.originalMaxPositions(), what);
            }
            checked++;
        }
        assertEquals(19, checked);
    }

    @Test
    void cosAndSinCarryTheAttentionFactor() {
        Rope plain = Rope.plain(10000.0, 8, 64);
        Rope scaled = new Rope(10000.0, 8, "yarn", 4, 16, 1, 4, 1.25, 32, 1, true, null, null);
        float[] inv = scaled.inverseFrequencies(8);
        float[][] cs = scaled.cosSin(5, 1);
        for (int i = 0; i < 4; i++) {
            float angle = 5f * inv[i];
            assertEquals((float) Math.cos(angle) * 1.25f, cs[0][i], 1e-7);
            assertEquals((float) Math.sin(angle) * 1.25f, cs[1][i + 4], 1e-7);
        }
        assertEquals(1.0, plain.attentionFactor());
    }
}
