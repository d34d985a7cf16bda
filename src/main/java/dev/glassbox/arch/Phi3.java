package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Phi-3 (and Phi-3.5 / Phi-4-mini): Llama's math with a fused {@code qkv_proj} and a fused
 * {@code gate_up_proj}, rotary on the first {@code partial_rotary_factor} of each head, optional
 * {@code longrope} scaling ({@code su} and {@code yarn} are its old names here) and a sliding
 * window on every layer when {@code sliding_window} is set.
 */
final class Phi3 extends Llama {

    Phi3() {
        super("phi3");
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        return base(r, file).slidingWindow(r.optSize("sliding_window")).build();
    }

    @Override
    Rope rope(ConfigReader r, int headDim, int positions, String file) {
        ConfigReader params = Rope.params(r);
        double prf = params != null && params.has("partial_rotary_factor")
                ? params.number("partial_rotary_factor", 0, 1)
                : r.number("partial_rotary_factor", 1.0, 0, 1);
        int rotaryDim = (int) (headDim * prf); // int(head_dim * partial_rotary_factor), as transformers
        Rope.checkDim(rotaryDim, headDim, file);
        String type = Rope.type(params);
        // Phi3Config's own original_max_position_embeddings (default 4096) wins over the rope
        // settings' one (transformers standardises the settings again once su is renamed longrope).
        Integer orig = r.intIn("original_max_position_embeddings", 1, ConfigReader.MAX_POSITIONS, 4096);
        if (type.equals("su") && !params.has("original_max_position_embeddings")) {
            // transformers' validation runs before the rename and requires it
            throw r.error("rope type 'su' needs original_max_position_embeddings in its settings");
        }
        if (type.equals("su") || type.equals("yarn")) {
            type = "longrope";
        }
        if (!type.equals("default") && !type.equals("longrope")) {
            throw r.error("rope type '" + type + "' is not supported for phi3 (transformers allows default and longrope)");
        }
        return Rope.parse(params, type, Rope.theta(params, r, 10000.0), rotaryDim, positions, orig);
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String p = "model.layers." + i + ".";
        return LayerNames.builder()
                .norm1Weight(p + "input_layernorm.weight")
                .qkvWeight(p + "self_attn.qkv_proj.weight")
                .oWeight(p + "self_attn.o_proj.weight")
                .norm2Weight(p + "post_attention_layernorm.weight")
                .gateUpWeight(p + "mlp.gate_up_proj.weight")
                .downWeight(p + "mlp.down_proj.weight")
                .build();
    }

    @Override
    boolean qkvBias(JsonNode raw) {
        return false;
    }
}
