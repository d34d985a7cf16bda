package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * OLMo-2: Llama with the norms moved after the sublayers (x + norm(attn(x)), then
 * + norm(mlp(·)); no input norm) and RMSNorm of q and k over the whole projection, all heads
 * together, before rotary.
 */
final class Olmo2 extends Llama {

    Olmo2() {
        super("olmo2");
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        return base(r, file)
                .normEps(r.number("rms_norm_eps", 1e-5, 0, 1)) // Olmo2Config's default
                .normPlacement(ModelConfig.NormPlacement.POST)
                .qkNorm(ModelConfig.QkNorm.WHOLE)
                .build();
    }

    @Override
    boolean mlpBias(JsonNode raw) {
        return false;
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String p = "model.layers." + i + ".";
        return super.layer(i, cfg).toBuilder()
                .norm1Weight(null)
                .norm2Weight(null)
                .postAttnNormWeight(p + "post_attention_layernorm.weight")
                .postMlpNormWeight(p + "post_feedforward_layernorm.weight")
                .qNormWeight(p + "self_attn.q_norm.weight")
                .kNormWeight(p + "self_attn.k_norm.weight")
                .build();
    }
}
