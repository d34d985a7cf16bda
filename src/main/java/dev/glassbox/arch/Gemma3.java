package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Gemma 3 text ({@code gemma3_text}): Gemma 2's layer (pre and post norms, query_pre_attn_scalar,
 * final-logit softcapping when set) plus per-head (1 + w) RMSNorm of q and k before rotary, and a
 * rotary base per layer type: {@code rope_parameters} holds one entry per type (transformers 5),
 * or 4.x's {@code rope_theta} (global layers, with {@code rope_scaling}) and
 * {@code rope_local_base_freq} (sliding layers). transformers' Gemma 3 attention passes no
 * attention-logit softcap, so {@code attn_logit_softcapping} has no effect here either.
 */
final class Gemma3 extends Gemma {

    Gemma3() {
        super("gemma3_text");
    }

    @Override
    int defaultHeadDim(int hidden, int heads) {
        return 256; // Gemma3TextConfig's default
    }

    @Override
    Rope rope(ConfigReader r, int headDim, int positions, String file) {
        return typeRope(r, FULL, headDim, positions);
    }

    /** The rotary settings of one layer type, as Gemma3TextConfig.convert_rope_params_to_dict builds them. */
    private static Rope typeRope(ConfigReader r, String layerType, int headDim, int positions) {
        ConfigReader params = r.object("rope_parameters");
        ConfigReader entry = params == null ? null : params.object(layerType);
        ConfigReader scaling = r.object("rope_scaling");
        boolean full = layerType.equals(FULL);
        if (full && scaling != null && scaling.node().size() > 0) {
            entry = merged(entry, scaling);
        }
        double fallback = full ? r.number("rope_theta", 1_000_000.0, 0, Double.MAX_VALUE)
                : r.number("rope_local_base_freq", 10_000.0, 0, Double.MAX_VALUE);
        double theta = entry != null && entry.has("rope_theta") ? entry.number("rope_theta", 0, Double.MAX_VALUE) : fallback;
        return Rope.parse(entry, Rope.type(entry), theta, headDim, positions, null);
    }

    /** rope_scaling's keys written over a rope_parameters entry (its dict.update). */
    private static ConfigReader merged(ConfigReader entry, ConfigReader scaling) {
        com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        if (entry != null) {
            o.setAll((com.fasterxml.jackson.databind.node.ObjectNode) entry.node());
        }
        o.setAll((com.fasterxml.jackson.databind.node.ObjectNode) scaling.node());
        return scaling.with(o, "rope_scaling.");
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        refuseBidirectional(r);
        ModelConfig.Builder b = gemma(r, file)
                .tieWordEmbeddings(r.bool("tie_word_embeddings", true))
                .normPlacement(ModelConfig.NormPlacement.PRE_AND_POST)
                .qkNorm(ModelConfig.QkNorm.PER_HEAD)
                .attentionScale(Math.pow(r.number("query_pre_attn_scalar", 256, 0, Double.MAX_VALUE), -0.5))
                .finalLogitSoftcap(softcap(r, "final_logit_softcapping", null));
        softcap(r, "attn_logit_softcapping", null); // checked, but unused as in transformers
        ModelConfig partial = b.build();
        Rope local = typeRope(r, SLIDING, partial.headDim(), partial.maxPositions());
        Integer window = r.isNull("sliding_window") ? null : r.size("sliding_window", 4096);
        int pattern = r.size("sliding_window_pattern", 6);
        b.slidingWindow(window);
        java.util.List<ModelConfig.LayerSpec> specs = layerSpecs(r, partial, window, i -> (i + 1) % pattern != 0, i -> null);
        // each layer takes its type's rotary settings: the local ones where it slides
        return b.layers(new java.util.AbstractList<>() {
            @Override
            public ModelConfig.LayerSpec get(int i) {
                ModelConfig.LayerSpec s = specs.get(i);
                return new ModelConfig.LayerSpec(s.window() != null ? local : partial.rope(), s.window());
            }

            @Override
            public int size() {
                return specs.size();
            }
        }).build();
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
                .qNormWeight(p + "self_attn.q_norm.weight")
                .kNormWeight(p + "self_attn.k_norm.weight")
                .build();
    }
}
