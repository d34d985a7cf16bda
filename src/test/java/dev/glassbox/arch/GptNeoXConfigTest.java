package dev.glassbox.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import org.junit.jupiter.api.Test;

/** GPT-NeoX config keys: the Hub's (Pythia) and transformers 5's rope_parameters mean the same. */
class GptNeoXConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode pythia() {
        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "gpt_neox");
        c.put("vocab_size", 50304);
        c.put("hidden_size", 512);
        c.put("num_attention_heads", 8);
        c.put("num_hidden_layers", 6);
        c.put("intermediate_size", 2048);
        c.put("max_position_embeddings", 2048);
        c.put("rotary_pct", 0.25);
        c.put("rotary_emb_base", 10000);
        c.put("hidden_act", "gelu");
        c.put("use_parallel_residual", true);
        return c;
    }

    private static ModelConfig parse(ObjectNode c) {
        return Architecture.forModelType("gpt_neox", "config.json").parseConfig(c, "config.json");
    }

    @Test
    void pythiaKeys() {
        ModelConfig m = parse(pythia());
        assertEquals(64, m.headDim());
        assertEquals(16, m.rope().rotaryDim()); // a quarter of each 64-wide head
        assertEquals(10000.0, m.rope().theta());
        assertTrue(m.parallelResidual());
        assertFalse(m.tieWordEmbeddings());
        assertEquals(ModelConfig.Activation.GELU, m.activation());
        assertEquals(ModelConfig.NormKind.LAYER_NORM, m.norm());
    }

    @Test
    void transformers5RopeParametersMeanTheSame() {
        ObjectNode c = pythia();
        c.remove("rotary_pct");
        c.remove("rotary_emb_base");
        ObjectNode rp = c.putObject("rope_parameters");
        rp.put("rope_type", "default");
        rp.put("rope_theta", 10000.0);
        rp.put("partial_rotary_factor", 0.25);
        assertEquals(parse(pythia()).rope(), parse(c).rope());
    }

    @Test
    void aRotaryFractionThatLeavesAnOddWidthIsRefused() {
        ObjectNode c = pythia();
        c.put("rotary_pct", 0.3); // int(64 * 0.3) = 19
        GlassboxException e = assertThrows(GlassboxException.class, () -> parse(c));
        assertTrue(e.getMessage().contains("config.json: rotary_pct 0.3 gives 19 rotary dimensions"), e.getMessage());
    }

    @Test
    void outputProjectionAlsoFoundUnderTransformers5Name() {
        Architecture a = Architecture.forModelType("gpt_neox", "config.json");
        assertEquals("embed_out.weight", a.lmHeadName());
        assertEquals(java.util.List.of("lm_head.weight"), a.aliases("embed_out.weight"));
    }
}
