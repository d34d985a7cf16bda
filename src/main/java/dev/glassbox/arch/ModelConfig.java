package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A checkpoint's {@code config.json}, normalised: every architecture's own key names (GPT-2's
 * {@code n_embd}, Llama's {@code hidden_size}, ...) mapped onto one vocabulary that the shared
 * transformer blocks understand. The raw JSON is kept for anything architecture-specific. Build
 * one with {@link #builder()} (or {@link #toBuilder()} to change a few fields).
 *
 * @param rope the rotary settings of the rotating layers (for Gemma 3, the global layers'), or null
 * @param slidingWindow the window of the layers that slide, or null when none does
 * @param layers per layer: its rotary settings (null: no rotary, SmolLM3's NoPE layers) and window;
 *     null when every layer has {@code rope} and {@code slidingWindow} (may be computed on access)
 * @param qkNorm whether q and k are normalised before rotary, and over what
 * @param normPlacement where the two norms of a layer sit around its sublayers
 * @param attentionScale the factor on q·k (null: 1/√head_dim)
 * @param attnLogitSoftcap c in c·tanh(scores / c) before the mask (null: none)
 * @param finalLogitSoftcap c in c·tanh(logits / c) (null: none)
 * @param residualMultiplier the factor on each sublayer's output before it joins the residual
 * @param logitsScaling logits are divided by it (Granite)
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
        List<LayerSpec> layers,
        QkNorm qkNorm,
        NormPlacement normPlacement,
        Double attentionScale,
        Double attnLogitSoftcap,
        Double finalLogitSoftcap,
        double residualMultiplier,
        double logitsScaling,
        JsonNode raw) {

    /**
     * What differs from layer to layer.
     *
     * @param rope this layer's rotary settings, or null when it has no rotary embedding
     * @param window its sliding attention window (a query sees the last {@code window} positions,
     *     itself included), or null for full causal attention
     */
    public record LayerSpec(Rope rope, Integer window) {}

    /** How hidden states are normalised. */
    public enum NormKind {
        /** (x - mean) / sqrt(var + eps) * w + b, as GPT-2. */
        LAYER_NORM,
        /** x / sqrt(mean(x²) + eps) * w, as Llama. */
        RMS_NORM,
        /** x / sqrt(mean(x²) + eps) * (1 + w), as Gemma. */
        RMS_NORM_PLUS_ONE
    }

    /** Normalisation of queries and keys before rotary. */
    public enum QkNorm {
        NONE,
        /** One norm over each head's d values (Qwen3, Gemma 3). */
        PER_HEAD,
        /** One norm over the whole projection, all heads together (OLMo-2). */
        WHOLE
    }

    /** Where a layer's norms sit. */
    public enum NormPlacement {
        /** x + f(norm(x)): GPT-2, Llama. */
        PRE,
        /** x + post(f(pre(x))): Gemma 2 and 3. */
        PRE_AND_POST,
        /** x + post(f(x)): OLMo-2. */
        POST
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

    public ModelConfig {
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
        if (layers != null && layers.size() != numLayers) {
            throw new IllegalArgumentException(layers.size() + " layer specs for " + numLayers + " layers");
        }
        qkNorm = qkNorm == null ? QkNorm.NONE : qkNorm;
        normPlacement = normPlacement == null ? NormPlacement.PRE : normPlacement;
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

    /** Layer {@code l}'s settings. */
    public LayerSpec layer(int l) {
        return layers == null ? new LayerSpec(rope, slidingWindow) : layers.get(l);
    }

    /** True when any layer rotates its queries and keys. */
    public boolean rotary() {
        return layers == null ? rope != null : layers.stream().anyMatch(s -> s.rope() != null);
    }

    /** True when some layer attends within a sliding window. */
    public boolean sliding() {
        return layers == null ? slidingWindow != null : layers.stream().anyMatch(s -> s.window() != null);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelType = modelType;
        b.vocabSize = vocabSize;
        b.hiddenSize = hiddenSize;
        b.numLayers = numLayers;
        b.numHeads = numHeads;
        b.numKvHeads = numKvHeads;
        b.headDim = headDim;
        b.intermediateSize = intermediateSize;
        b.maxPositions = maxPositions;
        b.norm = norm;
        b.normEps = normEps;
        b.activation = activation;
        b.gatedMlp = gatedMlp;
        b.learnedPositions = learnedPositions;
        b.rope = rope;
        b.tieWordEmbeddings = tieWordEmbeddings;
        b.embeddingScale = embeddingScale;
        b.scaleAttnByInverseLayerIdx = scaleAttnByInverseLayerIdx;
        b.slidingWindow = slidingWindow;
        b.parallelResidual = parallelResidual;
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = eosTokenIds;
        b.padTokenId = padTokenId;
        b.layers = layers;
        b.qkNorm = qkNorm;
        b.normPlacement = normPlacement;
        b.attentionScale = attentionScale;
        b.attnLogitSoftcap = attnLogitSoftcap;
        b.finalLogitSoftcap = finalLogitSoftcap;
        b.residualMultiplier = residualMultiplier;
        b.logitsScaling = logitsScaling;
        b.raw = raw;
        return b;
    }

    /**
     * Named setters for {@link ModelConfig}. Defaults: RMSNorm, SiLU, pre-norm, no bias tokens,
     * embedding scale, residual multiplier and logits scaling 1; {@code layers} left unset gives
     * every layer {@code rope} and {@code slidingWindow}.
     */
    public static final class Builder {
        private String modelType;
        private int vocabSize;
        private int hiddenSize;
        private int numLayers;
        private int numHeads;
        private int numKvHeads;
        private int headDim;
        private int intermediateSize;
        private int maxPositions;
        private NormKind norm = NormKind.RMS_NORM;
        private double normEps = 1e-6;
        private Activation activation = Activation.SILU;
        private boolean gatedMlp;
        private boolean learnedPositions;
        private Rope rope;
        private boolean tieWordEmbeddings;
        private double embeddingScale = 1.0;
        private boolean scaleAttnByInverseLayerIdx;
        private Integer slidingWindow;
        private boolean parallelResidual;
        private Long bosTokenId;
        private List<Long> eosTokenIds = List.of();
        private Long padTokenId;
        private List<LayerSpec> layers;
        private QkNorm qkNorm = QkNorm.NONE;
        private NormPlacement normPlacement = NormPlacement.PRE;
        private Double attentionScale;
        private Double attnLogitSoftcap;
        private Double finalLogitSoftcap;
        private double residualMultiplier = 1.0;
        private double logitsScaling = 1.0;
        private JsonNode raw;

        private Builder() {}

        public Builder modelType(String v) { modelType = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder numLayers(int v) { numLayers = v; return this; }
        public Builder numHeads(int v) { numHeads = v; return this; }
        public Builder numKvHeads(int v) { numKvHeads = v; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder maxPositions(int v) { maxPositions = v; return this; }
        public Builder norm(NormKind v) { norm = v; return this; }
        public Builder normEps(double v) { normEps = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder gatedMlp(boolean v) { gatedMlp = v; return this; }
        public Builder learnedPositions(boolean v) { learnedPositions = v; return this; }
        public Builder rope(Rope v) { rope = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder embeddingScale(double v) { embeddingScale = v; return this; }
        public Builder scaleAttnByInverseLayerIdx(boolean v) { scaleAttnByInverseLayerIdx = v; return this; }
        public Builder slidingWindow(Integer v) { slidingWindow = v; return this; }
        public Builder parallelResidual(boolean v) { parallelResidual = v; return this; }
        public Builder bosTokenId(Long v) { bosTokenId = v; return this; }
        public Builder eosTokenIds(List<Long> v) { eosTokenIds = v; return this; }
        public Builder padTokenId(Long v) { padTokenId = v; return this; }
        /** Per-layer rotary and window; null derives them from {@code rope} and {@code slidingWindow}. */
        public Builder layers(List<LayerSpec> v) { layers = v; return this; }
        public Builder qkNorm(QkNorm v) { qkNorm = v; return this; }
        public Builder normPlacement(NormPlacement v) { normPlacement = v; return this; }
        public Builder attentionScale(Double v) { attentionScale = v; return this; }
        public Builder attnLogitSoftcap(Double v) { attnLogitSoftcap = v; return this; }
        public Builder finalLogitSoftcap(Double v) { finalLogitSoftcap = v; return this; }
        public Builder residualMultiplier(double v) { residualMultiplier = v; return this; }
        public Builder logitsScaling(double v) { logitsScaling = v; return this; }
        public Builder raw(JsonNode v) { raw = v; return this; }

        public ModelConfig build() {
            return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                    intermediateSize, maxPositions, norm, normEps, activation, gatedMlp, learnedPositions, rope,
                    tieWordEmbeddings, embeddingScale, scaleAttnByInverseLayerIdx, slidingWindow, parallelResidual,
                    bosTokenId, eosTokenIds, padTokenId, layers, qkNorm, normPlacement, attentionScale,
                    attnLogitSoftcap, finalLogitSoftcap, residualMultiplier, logitsScaling, raw);
        }
    }
}
