package dev.glassbox.arch;

/**
 * The checkpoint tensor names of one decoder layer. A null name means the layer has no such
 * tensor (no bias, or not fused). Attention has either a fused {@code qkv} projection or separate
 * {@code q}, {@code k}, {@code v}; a gated MLP has either a fused {@code gateUp} or separate
 * {@code gate} and {@code up}; a plain MLP uses {@code up} and {@code down} only.
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
        String downBias) {}
