package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A checkpoint's {@code config.json}, normalised: every architecture's own key names (GPT-2's
 * {@code n_embd}, Llama's {@code hidden_size}, ...) mapped onto one vocabulary that the shared
 * transformer blocks understand. The raw JSON is kept for anything architecture-specific.
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int maxPositions,
        NormKind norm,
        double normEps,
        Activation activation,
        boolean gatedMlp,
        boolean learnedPositions,
        Rope rope,
        boolean tieWordEmbeddings,
        double embeddingScale,
        boolean scaleAttnByInverseLayerIdx,
        Integer slidingWindow,
        boolean parallelResidual,
        Long bosTokenId,
        List<Long> eosTokenIds,
        Long padTokenId,
        JsonNode raw) {

    /** How hidden states are normalised. */
    public enum NormKind {
        /** (x - mean) / sqrt(var + eps) * w + b, as GPT-2. */
        LAYER_NORM,
        /** x / sqrt(mean(x²) + eps) * w, as Llama. */
        RMS_NORM,
        /** x / sqrt(mean(x²) + eps) * (1 + w), as Gemma. */
        RMS_NORM_PLUS_ONE
    }

    /** The MLP's non-linearity. */
    public enum Activation {
        /** GPT-2's gelu_new / gelu_pytorch_tanh: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
        GELU_TANH,
        /** The exact GELU, x·Φ(x). */
        GELU,
        /** x·σ(x), the SiLU of SwiGLU. */
        SILU,
        RELU;

        /** Maps a HuggingFace {@code hidden_act} / {@code activation_function} name. */
        public static Activation fromHf(String name) {
            switch (name) {
                case "gelu_new":
                case "gelu_pytorch_tanh":
                case "gelu_fast":
                    return GELU_TANH;
                case "gelu":
                    return GELU;
                case "silu":
                case "swish":
                    return SILU;
                case "relu":
                    return RELU;
                default:
                    return null;
            }
        }
    }

    public int groupSize() {
        return numHeads / numKvHeads;
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }
}
