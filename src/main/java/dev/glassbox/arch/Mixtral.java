package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * Mixtral: Mistral's attention (GQA, optional sliding window) with every MLP replaced by a sparse
 * mixture: a router {@code block_sparse_moe.gate} over {@code num_local_experts} SwiGLU experts
 * {@code block_sparse_moe.experts.N.w1/w3/w2} (gate/up/down), top {@code num_experts_per_tok},
 * always renormalised.
 */
final class Mixtral extends Llama {

    static final String TYPE = "mixtral";

    private static final MoeConfig.Names NAMES = new MoeConfig.Names() {
        @Override
        public String router(int layer) {
            return moe(layer) + "gate.weight";
        }

        @Override
        public MoeConfig.ExpertNames expert(int layer, int e) {
            String x = moe(layer) + "experts." + e + ".";
            return new MoeConfig.ExpertNames(x + "w1.weight", x + "w3.weight", x + "w2.weight");
        }

        @Override
        public MoeConfig.ExpertNames sharedExpert(int layer) {
            return null;
        }

        @Override
        public String sharedExpertGate(int layer) {
            return null;
        }

        private String moe(int layer) {
            return "model.layers." + layer + ".block_sparse_moe.";
        }
    };

    Mixtral() {
        super(TYPE);
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ModelConfig cfg = super.parseConfig(c, file); // Mistral's: one sliding window on every layer
        moe(cfg.raw(), cfg.numLayers(), file); // a bad mixture is refused at load time, naming the file
        return cfg;
    }

    static MoeConfig moe(JsonNode c, int layers, String file) {
        int experts = MoeConfig.count(c, "num_local_experts", 8, 1, file);
        int k = MoeConfig.topK(c, experts, 2, file);
        boolean[] sparse = new boolean[layers];
        Arrays.fill(sparse, true);
        return new MoeConfig(experts, k, true, requireInt(c, "intermediate_size", file), 0, sparse, NAMES);
    }
}
