package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;

/**
 * A sparse mixture-of-experts MLP as a MoE architecture's config.json describes it (Mixtral,
 * Qwen2-MoE): how many experts, how many each position uses, whether their weights are
 * renormalised, the widths, which layers are sparse, and the checkpoint's tensor names. Kept out
 * of {@link ModelConfig}, which describes what every decoder shares.
 *
 * @param numExperts E, the routed experts of a sparse layer
 * @param topK k, the experts each position is sent to (1 ≤ k ≤ E)
 * @param normTopK the k chosen probabilities are renormalised to sum to 1
 * @param expertWidth each routed expert's hidden width
 * @param sharedWidth the shared expert's hidden width, 0 when there is none
 * @param sparseLayers one flag per layer: true where the MLP is the mixture, false where it is
 *     the dense MLP of {@code intermediate_size}
 * @param names where the tensors are
 */
public record MoeConfig(
        int numExperts, int topK, boolean normTopK, int expertWidth, int sharedWidth, boolean[] sparseLayers, Names names) {

    /** The checkpoint names of one sparse layer's tensors. */
    public interface Names {
        /** The router W_r, [E, D]. */
        String router(int layer);

        /** Routed expert {@code e}'s projections. */
        ExpertNames expert(int layer, int e);

        /** The shared expert's projections (used when {@link #sharedWidth} &gt; 0). */
        ExpertNames sharedExpert(int layer);

        /** The shared expert's gate w_g, [1, D]; null when the shared expert is not gated. */
        String sharedExpertGate(int layer);
    }

    /** The weights of one SwiGLU expert: down(act(gate(x)) ⊙ up(x)). */
    public record ExpertNames(String gate, String up, String down) {}

    public boolean isSparse(int layer) {
        return layer >= 0 && layer < sparseLayers.length && sparseLayers[layer];
    }

    public boolean hasSharedExpert() {
        return sharedWidth > 0;
    }

    /** The mixture a model's config describes, or null for a dense model. */
    public static MoeConfig of(ModelConfig cfg) {
        return switch (cfg.modelType()) {
            case Mixtral.TYPE -> Mixtral.moe(cfg.raw(), cfg.numLayers(), "config.json");
            case Qwen2Moe.TYPE -> Qwen2Moe.moe(cfg.raw(), cfg.numLayers(), "config.json");
            default -> null;
        };
    }

    // ---- reading the keys, with transformers' defaults where a key is absent ------------------

    static int count(JsonNode c, String key, int fallback, int min, String file) {
        JsonNode n = c.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new GlassboxException(file + ": '" + key + "' must be an integer, found " + n);
        }
        int v = n.asInt();
        if (v < min) {
            throw new GlassboxException(file + ": '" + key + "' must be at least " + min + ", found " + v);
        }
        return v;
    }

    static int topK(JsonNode c, int experts, int fallback, String file) {
        int k = count(c, "num_experts_per_tok", fallback, 1, file);
        if (k > experts) {
            throw new GlassboxException(
                    file + ": num_experts_per_tok " + k + " exceeds the " + experts + " experts a layer has");
        }
        return k;
    }
}
