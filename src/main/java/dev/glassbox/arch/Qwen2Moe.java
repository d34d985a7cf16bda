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
        ConfigReader r = ConfigReader.of(c, file);
        ModelConfig.Builder b = base(r, file);
        ModelConfig partial = b.build();
        // transformers: sliding_window (default 4096) only with use_sliding_window, on the layers
        // layer_types names, by default the odd-numbered ones (counting from 1) below max_window_layers
        Integer window = r.bool("use_sliding_window", false)
                ? (r.has("sliding_window") ? r.optSize("sliding_window") : Integer.valueOf(4096))
                : null;
        int maxWindowLayers = r.intIn("max_window_layers", 0, Integer.MAX_VALUE, 28);
        b.slidingWindow(window);
        b.layers(layerSpecs(r, partial, window, i -> window != null && (i + 1) % 2 == 1 && i < maxWindowLayers,
                i -> partial.rope()));
        ModelConfig cfg = b.build();
        moe(cfg.raw(), cfg.numLayers(), file); // a bad mixture is refused at load time, naming the file
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
