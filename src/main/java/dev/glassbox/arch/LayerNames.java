package dev.glassbox.arch;

/**
 * The checkpoint tensor names of one decoder layer. A null name means the layer has no such
 * tensor (no bias, or not fused). Attention has either a fused {@code qkv} projection or separate
 * {@code q}, {@code k}, {@code v}; a gated MLP has either a fused {@code gateUp} or separate
 * {@code gate} and {@code up}; a plain MLP uses {@code up} and {@code down} only. {@code norm1} and
 * {@code norm2} are the norms before attention and before the MLP (absent when a layer normalises
 * only after its sublayers, as OLMo-2); {@code postAttnNorm} and {@code postMlpNorm} the norms of
 * the sublayers' outputs (Gemma 2/3, OLMo-2); {@code qNorm} and {@code kNorm} those of queries and
 * keys (Qwen3, Gemma 3, OLMo-2).
 */
public record LayerNames(
        String norm1Weight,
        String norm1Bias,
        String qkvWeight,
        String qkvBias,
        String qWeight,
        String qBias,
        String kWeight,
        String kBias,
        String vWeight,
        String vBias,
        String oWeight,
        String oBias,
        String norm2Weight,
        String norm2Bias,
        String gateUpWeight,
        String gateWeight,
        String gateBias,
        String upWeight,
        String upBias,
        String downWeight,
        String downBias,
        String postAttnNormWeight,
        String postMlpNormWeight,
        String qNormWeight,
        String kNormWeight) {

    /** A layer without post-norms or q/k norms. */
    public LayerNames(
            String norm1Weight, String norm1Bias, String qkvWeight, String qkvBias, String qWeight, String qBias,
            String kWeight, String kBias, String vWeight, String vBias, String oWeight, String oBias,
            String norm2Weight, String norm2Bias, String gateUpWeight, String gateWeight, String gateBias,
            String upWeight, String upBias, String downWeight, String downBias) {
        this(norm1Weight, norm1Bias, qkvWeight, qkvBias, qWeight, qBias, kWeight, kBias, vWeight, vBias, oWeight, oBias,
                norm2Weight, norm2Bias, gateUpWeight, gateWeight, gateBias, upWeight, upBias, downWeight, downBias,
                null, null, null, null);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these names, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.norm1Weight = norm1Weight; b.norm1Bias = norm1Bias; b.qkvWeight = qkvWeight; b.qkvBias = qkvBias;
        b.qWeight = qWeight; b.qBias = qBias; b.kWeight = kWeight; b.kBias = kBias; b.vWeight = vWeight; b.vBias = vBias;
        b.oWeight = oWeight; b.oBias = oBias; b.norm2Weight = norm2Weight; b.norm2Bias = norm2Bias;
        b.gateUpWeight = gateUpWeight; b.gateWeight = gateWeight; b.gateBias = gateBias; b.upWeight = upWeight;
        b.upBias = upBias; b.downWeight = downWeight; b.downBias = downBias; b.postAttnNormWeight = postAttnNormWeight;
        b.postMlpNormWeight = postMlpNormWeight; b.qNormWeight = qNormWeight; b.kNormWeight = kNormWeight;
        return b;
    }

    /** Named setters; every name not set is null (absent). */
    public static final class Builder {
        private String norm1Weight, norm1Bias, qkvWeight, qkvBias, qWeight, qBias, kWeight, kBias, vWeight, vBias;
        private String oWeight, oBias, norm2Weight, norm2Bias, gateUpWeight, gateWeight, gateBias, upWeight, upBias;
        private String downWeight, downBias, postAttnNormWeight, postMlpNormWeight, qNormWeight, kNormWeight;

        private Builder() {}

        public Builder norm1Weight(String v) { norm1Weight = v; return this; }
        public Builder norm1Bias(String v) { norm1Bias = v; return this; }
        public Builder qkvWeight(String v) { qkvWeight = v; return this; }
        public Builder qkvBias(String v) { qkvBias = v; return this; }
        public Builder qWeight(String v) { qWeight = v; return this; }
        public Builder qBias(String v) { qBias = v; return this; }
        public Builder kWeight(String v) { kWeight = v; return this; }
        public Builder kBias(String v) { kBias = v; return this; }
        public Builder vWeight(String v) { vWeight = v; return this; }
        public Builder vBias(String v) { vBias = v; return this; }
        public Builder oWeight(String v) { oWeight = v; return this; }
        public Builder oBias(String v) { oBias = v; return this; }
        public Builder norm2Weight(String v) { norm2Weight = v; return this; }
        public Builder norm2Bias(String v) { norm2Bias = v; return this; }
        public Builder gateUpWeight(String v) { gateUpWeight = v; return this; }
        public Builder gateWeight(String v) { gateWeight = v; return this; }
        public Builder gateBias(String v) { gateBias = v; return this; }
        public Builder upWeight(String v) { upWeight = v; return this; }
        public Builder upBias(String v) { upBias = v; return this; }
        public Builder downWeight(String v) { downWeight = v; return this; }
        public Builder downBias(String v) { downBias = v; return this; }
        public Builder postAttnNormWeight(String v) { postAttnNormWeight = v; return this; }
        public Builder postMlpNormWeight(String v) { postMlpNormWeight = v; return this; }
        public Builder qNormWeight(String v) { qNormWeight = v; return this; }
        public Builder kNormWeight(String v) { kNormWeight = v; return this; }

        public LayerNames build() {
            return new LayerNames(norm1Weight, norm1Bias, qkvWeight, qkvBias, qWeight, qBias, kWeight, kBias, vWeight,
                    vBias, oWeight, oBias, norm2Weight, norm2Bias, gateUpWeight, gateWeight, gateBias, upWeight, upBias,
                    downWeight, downBias, postAttnNormWeight, postMlpNormWeight, qNormWeight, kNormWeight);
        }
    }
}
