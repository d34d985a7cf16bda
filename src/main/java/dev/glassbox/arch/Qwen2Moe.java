package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;

/**
 * Qwen2-MoE (Qwen1.5-MoE): Qwen2's attention (q/k/v biases unless {@code qkv_bias} is false) and,
 * on the sparse layers, a router {@code mlp.gate} over {@code num_experts} SwiGLU experts
 * {@code mlp.experts.N.gate_proj/up_proj/down_proj} of {@code moe_intermediate_size}, top
 * {@code num_experts_per_tok} renormalised only when {@code norm_topk_prob}, plus a shared expert
 * {@code mlp.shared_expert.*} of {@code shared_expert_intermediate_size} scaled by
 * σ({@code mlp.shared_expert_gate}). As in transformers, layer i is sparse unless it is in
 * {@code mlp_only_layers} or (i + 1) is not a multiple of {@code decoder_sparse_step}; the other
 * layers keep a dense {@code mlp.gate_proj/up_proj/down_proj} of {@code intermediate_size}.
 */
final class Qwen2Moe extends Llama {

    static final String TYPE = "qwen2_moe";

    private static final MoeConfig.Names NAMES = new MoeConfig.Names() {
        @Override
        public String router(int layer) {
            return mlp(layer) + "gate.weight";
        }

        @Override
        public MoeConfig.ExpertNames expert(int layer, int e) {
            return swiglu(mlp(layer) + "experts." + e + ".");
        }

        @Override
        public MoeConfig.ExpertNames sharedExpert(int layer) {
            return swiglu(mlp(layer) + "shared_expert.");
        }

        @Override
        public String sharedExpertGate(int layer) {
            return mlp(layer) + "shared_expert_gate.weight";
        }

        private String mlp(int layer) {
            return "model.layers." + layer + ".mlp.";
        }

        private MoeConfig.ExpertNames swiglu(String p) {
            return new MoeConfig.ExpertNames(p + "gate_proj.weight", p + "up_proj.weight", p + "down_proj.weight");
        }
    };

    Qwen2Moe() {
        super(TYPE);
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ModelConfig cfg = super.parseConfig(Mixtral.v4RopeKeys(c), file);
        moe(cfg.raw(), cfg.numLayers(), file);
        return cfg;
    }

    @Override
    boolean qkvBias(JsonNode raw) {
        return raw.path("qkv_bias").asBoolean(true);
    }

    @Override
    boolean oBias(JsonNode raw) {
        return false;
    }

    /**
     * transformers uses {@code sliding_window} only with {@code use_sliding_window}, on the layers
     * {@code layer_types} marks "sliding_attention" (by default the odd-numbered ones, counting from
     * 1, below {@code max_window_layers}). One window for all layers is supported; a mix is refused.
     */
    @Override
    Integer slidingWindow(JsonNode c, String file) {
        if (!c.path("use_sliding_window").asBoolean(false)) {
            return null;
        }
        int layers = requireInt(c, "num_hidden_layers", file);
        int maxWindowLayers = MoeConfig.count(c, "max_window_layers", 28, 0, file);
        JsonNode types = c.get("layer_types");
        int sliding = 0;
        for (int i = 0; i < layers; i++) {
            boolean s = types != null && types.isArray()
                    ? types.path(i).asText().equals("sliding_attention")
                    : (i + 1) % 2 == 1 && i < maxWindowLayers;
            sliding += s ? 1 : 0;
        }
        if (sliding == 0) {
            return null;
        }
        if (sliding < layers) {
            throw new GlassboxException(file + ": qwen2_moe with a sliding window on " + sliding + " of " + layers
                    + " layers (use_sliding_window, layer_types / max_window_layers) is not supported; only all or none");
        }
        return MoeConfig.count(c, "sliding_window", 4096, 1, file);
    }

    static MoeConfig moe(JsonNode c, int layers, String file) {
        int experts = MoeConfig.count(c, "num_experts", 60, 0, file);
        int step = MoeConfig.count(c, "decoder_sparse_step", 1, 1, file);
        JsonNode only = c.path("mlp_only_layers");
        if (!only.isMissingNode() && !only.isNull() && !only.isArray()) {
            throw new GlassboxException(file + ": 'mlp_only_layers' must be a list of layer indices, found " + only);
        }
        boolean[] sparse = new boolean[layers];
        for (int i = 0; i < layers; i++) {
            sparse[i] = experts > 0 && (i + 1) % step == 0;
        }
        for (JsonNode n : only) {
            if (!n.canConvertToInt()) {
                throw new GlassboxException(file + ": 'mlp_only_layers' must hold layer indices, found " + n);
            }
            int i = n.asInt();
            if (i >= 0 && i < layers) {
                sparse[i] = false;
            }
        }
        if (experts == 0) {
            return new MoeConfig(0, 0, false, 0, 0, sparse, NAMES);
        }
        return new MoeConfig(
                experts,
                MoeConfig.topK(c, experts, 4, file),
                c.path("norm_topk_prob").asBoolean(false),
                MoeConfig.count(c, "moe_intermediate_size", 1408, 1, file),
                MoeConfig.count(c, "shared_expert_intermediate_size", 5632, 0, file),
                sparse,
                NAMES);
    }
}
