package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;

/**
 * Rotary position embedding settings and the frequencies they imply, computed as HuggingFace's
 * {@code modeling_rope_utils} does (float32 arithmetic, so angles match to the last bit or two).
 *
 * @param theta {@code rope_theta}, the base of the frequency ladder
 * @param rotaryDim how many of each head's dimensions rotate (all of them, except partial rotary)
 * @param scaling {@code none}, {@code linear}, {@code dynamic} or {@code llama3}
 * @param factor the scaling factor
 * @param originalMaxPositions the context length the frequencies were trained for
 * @param lowFreqFactor llama3's low_freq_factor
 * @param highFreqFactor llama3's high_freq_factor
 */
public record Rope(
        double theta,
        int rotaryDim,
        String scaling,
        double factor,
        int originalMaxPositions,
        double lowFreqFactor,
        double highFreqFactor) {

    /** Reads {@code rope_theta} and {@code rope_scaling} from a config. */
    public static Rope fromConfig(JsonNode cfg, int rotaryDim, int maxPositions, String file) {
        return fromConfig(cfg, cfg.path("rope_theta").asDouble(10000.0), rotaryDim, maxPositions, file);
    }

    /** Reads {@code rope_scaling} from a config, with the base {@code theta} found elsewhere (GPT-NeoX). */
    public static Rope fromConfig(JsonNode cfg, double theta, int rotaryDim, int maxPositions, String file) {
        JsonNode s = cfg.get("rope_scaling");
        if (s == null || s.isNull()) {
            return new Rope(theta, rotaryDim, "none", 1.0, maxPositions, 1.0, 4.0);
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        double factor = s.path("factor").asDouble(1.0);
        int orig = s.path("original_max_position_embeddings").asInt(maxPositions);
        switch (type) {
            case "default":
                return new Rope(theta, rotaryDim, "none", 1.0, maxPositions, 1.0, 4.0);
            case "linear":
                return new Rope(theta, rotaryDim, type, factor, orig, 1.0, 4.0);
            case "dynamic":
                // transformers measures dynamic NTK growth against max_position_embeddings
                return new Rope(theta, rotaryDim, type, factor, maxPositions, 1.0, 4.0);
            case "llama3":
                return new Rope(
                        theta,
                        rotaryDim,
                        type,
                        factor,
                        orig,
                        s.path("low_freq_factor").asDouble(1.0),
                        s.path("high_freq_factor").asDouble(4.0));
            default:
                throw new GlassboxException(
                        file + ": rope_scaling type '" + type + "' is not supported (supported: linear, dynamic, llama3)");
        }
    }

    /**
     * The inverse frequencies θ^(-2i/d) for i in [0, d/2), adjusted by the scaling type. For
     * {@code dynamic} scaling they depend on the sequence length seen so far.
     */
    public float[] inverseFrequencies(int seqLen) {
        int half = rotaryDim / 2;
        double base = theta;
        if (scaling.equals("dynamic") && seqLen > originalMaxPositions) {
            // NTK-aware: stretch the base once the context outgrows the trained length.
            base = theta * Math.pow((factor * seqLen / originalMaxPositions) - (factor - 1), rotaryDim / (rotaryDim - 2.0));
        }
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) rotaryDim;
            inv[i] = (float) (1.0 / (float) Math.pow(base, exponent));
        }
        if (scaling.equals("linear")) {
            for (int i = 0; i < half; i++) {
                inv[i] = (float) (inv[i] / factor);
            }
        } else if (scaling.equals("llama3")) {
            double lowWavelen = originalMaxPositions / lowFreqFactor;
            double highWavelen = originalMaxPositions / highFreqFactor;
            for (int i = 0; i < half; i++) {
                double f = inv[i];
                double wavelen = 2 * Math.PI / f;
                double scaled = wavelen > lowWavelen ? f / factor : f;
                if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                }
                inv[i] = (float) scaled;
            }
        }
        return inv;
    }

    /**
     * cos and sin tables for positions {@code [start, start + count)}, each laid out [count,
     * rotaryDim] with the half-frequencies repeated twice, as HuggingFace's {@code rotate_half}
     * convention expects.
     */
    public float[][] cosSin(int start, int count) {
        float[] inv = inverseFrequencies(start + count);
        int half = inv.length;
        float[] cos = new float[count * rotaryDim];
        float[] sin = new float[count * rotaryDim];
        for (int p = 0; p < count; p++) {
            float pos = start + p;
            for (int i = 0; i < half; i++) {
                float angle = pos * inv[i]; // float32 product, as torch computes it
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * rotaryDim + i] = c;
                cos[p * rotaryDim + i + half] = c;
                sin[p * rotaryDim + i] = s;
                sin[p * rotaryDim + i + half] = s;
            }
        }
        return new float[][] {cos, sin};
    }
}
