package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Gemma 2: Gemma with norms before and after both sublayers, q·k scaled by
 * query_pre_attn_scalar^-½, attention-logit and final-logit softcapping (c·tanh(x/c)), and a
 * sliding window on the layers {@code layer_types} names (by default every other one, from the first).
 */
final class Gemma2 extends Gemma {

    Gemma2() {
        super("gemma2");
    }

    @Override
    int defaultHeadDim(int hidden, int heads) {
        return 256; // Gemma2Config's default
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        refuseBidirectional(r);
        ModelConfig.Builder b = gemma(r, file)
                .tieWordEmbeddings(r.bool("tie_word_embeddings", true))
                .normPlacement(ModelConfig.NormPlacement.PRE_AND_POST)
                .attentionScale(Math.pow(r.number("query_pre_attn_scalar", 256, 0, Double.MAX_VALUE), -0.5))
                .attnLogitSoftcap(softcap(r, "attn_logit_softcapping", 50.0))
                .finalLogitSoftcap(softcap(r, "final_logit_softcapping", 30.0));
        Integer window = r.isNull("sliding_window") ? null : r.size("sliding_window", 4096);
        ModelConfig partial = b.build();
        b.slidingWindow(window);
        return b.layers(layerSpecs(r, partial, window, i -> (i + 1) % 2 != 0, i -> partial.rope())).build();
    }

    @Override
    boolean mlpBias(JsonNode raw) {
        return false;
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String p = "model.layers." + i + ".";
        return super.layer(i, cfg).toBuilder()
                .norm2Weight(p + "pre_feedforward_layernorm.weight")
                .postAttnNormWeight(p + "post_attention_layernorm.weight")
                .postMlpNormWeight(p + "post_feedforward_layernorm.weight")
                .build();
    }
}
