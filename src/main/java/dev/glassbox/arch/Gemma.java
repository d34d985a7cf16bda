package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Gemma: Llama's layout with three twists: embeddings scaled by √hidden, RMSNorm that multiplies
 * by (1 + w), and a GeGLU MLP (tanh GELU gate); head_dim is independent of the hidden size and
 * the output projection is always tied.
 */
final class Gemma extends Llama {

    Gemma() {
        super("gemma");
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ModelConfig l = super.parseConfig(c, file);
        // transformers uses hidden_activation and falls back to the tanh GELU, whatever hidden_act says.
        String act = c.hasNonNull("hidden_activation") ? c.get("hidden_activation").asText() : "gelu_pytorch_tanh";
        // The normaliser is a float32 tensor in transformers: round √hidden to float first.
        double scale = (float) Math.sqrt(l.hiddenSize());
        return new ModelConfig(
                l.modelType(), l.vocabSize(), l.hiddenSize(), l.numLayers(), l.numHeads(), l.numKvHeads(),
                l.headDim(), l.intermediateSize(), l.maxPositions(),
                ModelConfig.NormKind.RMS_NORM_PLUS_ONE, l.normEps(),
                activation(act, file), true, false, l.rope(),
                true, scale, false, null, false,
                l.bosTokenId(), l.eosTokenIds(), l.padTokenId(), c);
    }
}
