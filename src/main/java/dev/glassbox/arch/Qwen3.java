package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Qwen3: Llama with per-head RMSNorm of q and k ({@code q_norm}, {@code k_norm}, over head_dim)
 * before rotary, an explicit head_dim (default 128), attention_bias on q, k, v and o, and Qwen2's
 * sliding-window rule ({@code use_sliding_window}, {@code max_window_layers}, {@code layer_types}).
 */
final class Qwen3 extends Llama {

    Qwen3() {
        super("qwen3");
    }

    @Override
    int defaultHeadDim(int hidden, int heads) {
        return 128; // Qwen3Config's default
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        ModelConfig.Builder b = base(r, file).qkNorm(ModelConfig.QkNorm.PER_HEAD);
        qwenWindows(b, r, b.build());
        return b.build();
    }

    @Override
    boolean qkvBias(JsonNode raw) {
        return raw.path("attention_bias").asBoolean(false);
    }

    @Override
    boolean oBias(JsonNode raw) {
        return raw.path("attention_bias").asBoolean(false);
    }

    @Override
    boolean mlpBias(JsonNode raw) {
        return false;
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String a = "model.layers." + i + ".self_attn.";
        return super.layer(i, cfg).toBuilder().qNormWeight(a + "q_norm.weight").kNormWeight(a + "k_norm.weight").build();
    }
}
