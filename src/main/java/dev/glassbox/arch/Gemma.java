package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Gemma: Llama's layout with three twists: embeddings scaled by √hidden, RMSNorm that multiplies
 * by (1 + w), and a GeGLU MLP (tanh GELU gate); head_dim is independent of the hidden size and
 * the output projection is always tied. Gemma 2 and 3 build on it.
 */
class Gemma extends Llama {

    Gemma() {
        super("gemma");
    }

    Gemma(String modelType) {
        super(modelType);
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        return gemma(r, file).tieWordEmbeddings(true).build();
    }

    /** Llama's base with Gemma's norm, activation and embedding scale. */
    ModelConfig.Builder gemma(ConfigReader r, String file) {
        ModelConfig.Builder b = base(r, file);
        int hidden = r.size("hidden_size");
        // transformers uses hidden_activation and falls back to the tanh GELU, whatever hidden_act says.
        String act = r.string("hidden_activation", "gelu_pytorch_tanh");
        // The normaliser is a float32 tensor in transformers: round √hidden to float first.
        double scale = (float) Math.sqrt(hidden);
        return b.norm(ModelConfig.NormKind.RMS_NORM_PLUS_ONE).activation(activation(act, file)).embeddingScale(scale);
    }

    /** A softcap: absent takes the config class's default, null (or absent without one) is none. */
    static Double softcap(ConfigReader r, String key, Double fallback) {
        if (r.isNull(key)) {
            return null;
        }
        return r.has(key) ? Double.valueOf(r.number(key, 0, Double.MAX_VALUE)) : fallback;
    }

    /** Gemma 2/3 embedding models attend both ways; glassbox runs causal language models only. */
    static void refuseBidirectional(ConfigReader r) {
        if (r.bool("use_bidirectional_attention", false)) {
            throw r.error("use_bidirectional_attention true (an embedding model) is not supported; glassbox runs causal language models");
        }
    }
}
