package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/** Phi-3: Llama's math with a fused {@code qkv_proj} and a fused {@code gate_up_proj}. */
final class Phi3 extends Llama {

    Phi3() {
        super("phi3");
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String p = "model.layers." + i + ".";
        return new LayerNames(
                p + "input_layernorm.weight", null,
                p + "self_attn.qkv_proj.weight", null,
                null, null, null, null, null, null,
                p + "self_attn.o_proj.weight", null,
                p + "post_attention_layernorm.weight", null,
                p + "mlp.gate_up_proj.weight",
                null, null, null, null,
                p + "mlp.down_proj.weight", null);
    }

    @Override
    boolean qkvBias(JsonNode raw) {
        return false;
    }
}
