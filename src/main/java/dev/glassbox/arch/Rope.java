package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.util.List;

/**
 * Rotary position embedding settings and the frequencies they imply, computed as HuggingFace's
 * {@code modeling_rope_utils} does (float32 arithmetic, so angles match to the last bit or two).
 *
 * @param theta {@code rope_theta}, the base of the frequency ladder
 * @param rotaryDim how many of each head's dimensions rotate (all of them, except partial rotary)
 * @param scaling {@code none}, {@code linear}, {@code dynamic}, {@code llama3}, {@code yarn} or
 *     {@code longrope}
 * @param factor the scaling factor
 * @param originalMaxPositions the context length the frequencies were trained for
 * @param lowFreqFactor llama3's low_freq_factor
 * @param highFreqFactor llama3's high_freq_factor
 * @param attentionFactor yarn's and longrope's factor on cos and sin (1 for the others)
 * @param betaFast yarn's beta_fast
 * @param betaSlow yarn's beta_slow
 * @param truncate yarn's truncate: round the correction range outwards to whole dimensions
 * @param shortFactor longrope's per-frequency divisors up to {@code originalMaxPositions}
 * @param longFactor longrope's divisors beyond it
 */
public record Rope(
        double theta,
        int rotaryDim,
        String scaling,
        double factor,
        int originalMaxPositions,
        double lowFreqFactor,
        double highFreqFactor,
        double attentionFactor,
        double betaFast,
        double betaSlow,
        boolean truncate,
        List<Double> shortFactor,
        List<Double> longFactor) {

    /** The largest scaling factor accepted. */
    static final double MAX_FACTOR = 1e4;

    /** Plain rotary: θ^(-2i/d), no scaling. */
    public static Rope plain(double theta, int rotaryDim, int maxPositions) {
        return new Rope(theta, rotaryDim, "none", 1.0, maxPositions, 1.0, 4.0, 1.0, 32, 1, true, null, null);
    }

    /** Reads {@code rope_theta} and {@code rope_scaling} from a 4.x config (or the 5.x spelling). */
    public static Rope fromConfig(JsonNode cfg, int rotaryDim, int maxPositions, String file) {
        ConfigReader c = ConfigReader.of(cfg, file);
        ConfigReader params = params(c);
        double theta = theta(params, c, 10000.0);
        return parse(params, type(params), theta, rotaryDim, maxPositions, null);
    }

    /** Reads {@code rope_scaling} from a config, with the base {@code theta} found elsewhere (GPT-NeoX). */
    public static Rope fromConfig(JsonNode cfg, double theta, int rotaryDim, int maxPositions, String file) {
        ConfigReader params = params(ConfigReader.of(cfg, file));
        return parse(params, type(params), theta, rotaryDim, maxPositions, null);
    }

    /** The settings' {@code rope_type} (4.x: {@code type}); "default" when absent. */
    static String type(ConfigReader params) {
        if (params == null) {
            return "default";
        }
        return params.has("rope_type") ? params.string("rope_type", "default") : params.string("type", "default");
    }

    /**
     * The flat rope settings, as transformers picks them: a non-empty 4.x {@code rope_scaling}
     * wins over 5.x {@code rope_parameters}; null when neither is present.
     */
    static ConfigReader params(ConfigReader c) {
        ConfigReader scaling = c.object("rope_scaling");
        if (scaling != null && scaling.node().size() > 0) {
            return scaling;
        }
        return c.object("rope_parameters");
    }

    /** rope_theta from the rope settings, else the config's top level, else {@code fallback}. */
    static double theta(ConfigReader params, ConfigReader c, double fallback) {
        if (params != null && params.has("rope_theta")) {
            return params.number("rope_theta", 0, Double.MAX_VALUE);
        }
        return c.number("rope_theta", fallback, 0, Double.MAX_VALUE);
    }

    /**
     * One flat rope settings object ({@code rope_scaling}, {@code rope_parameters} or one layer
     * type's entry of it) with its type's parameters, strictly checked.
     *
     * @param params the settings, or null for plain rotary
     * @param type the rope type they name (see {@link #type})
     * @param originalOverride the pre-scaling context that wins over the settings' own (Phi-3's
     *     top-level original_max_position_embeddings), or null
     */
    static Rope parse(ConfigReader params, String type, double theta, int rotaryDim, int maxPositions, Integer originalOverride) {
        if (params == null) {
            return plain(theta, rotaryDim, maxPositions);
        }
        int orig = originalOverride != null ? originalOverride
                : params.size("original_max_position_embeddings", maxPositions);
        switch (type) {
            case "default":
                return plain(theta, rotaryDim, maxPositions);
            case "linear":
                return new Rope(theta, rotaryDim, type, factor(params), orig, 1.0, 4.0, 1.0, 32, 1, true, null, null);
            case "dynamic":
                // transformers measures dynamic NTK growth against max_position_embeddings
                return new Rope(theta, rotaryDim, type, factor(params), maxPositions, 1.0, 4.0, 1.0, 32, 1, true, null, null);
            case "llama3": {
                double low = params.number("low_freq_factor", 0, MAX_FACTOR);
                double high = params.number("high_freq_factor", 0, MAX_FACTOR);
                if (!(high > low)) {
                    throw params.error("rope low_freq_factor " + low + " must be below high_freq_factor " + high);
                }
                return new Rope(theta, rotaryDim, type, factor(params), orig, low, high, 1.0, 32, 1, true, null, null);
            }
            case "yarn":
                return yarn(params, theta, rotaryDim, maxPositions, orig);
            case "longrope":
                return longrope(params, theta, rotaryDim, maxPositions, orig);
            default:
                throw params.error("rope type '" + type + "' is not supported (supported: default, linear, dynamic, llama3, yarn, longrope)");
        }
    }

    private static double factor(ConfigReader p) {
        if (!p.has("factor")) {
            throw p.error("rope settings lack 'factor' (expected a number from 1 to " + (long) MAX_FACTOR + ")");
        }
        return atLeastOne(p, "factor");
    }

    private static double atLeastOne(ConfigReader p, String key) {
        double f = p.number(key, 0, MAX_FACTOR);
        if (f < 1) {
            throw p.invalid(key, p.node().get(key), "a number from 1 to " + (long) MAX_FACTOR);
        }
        return f;
    }

    /** YaRN (Peng et al. 2023), as _compute_yarn_parameters. */
    private static Rope yarn(ConfigReader p, double theta, int rotaryDim, int maxPositions, int orig) {
        double factor = factor(p); // required, as transformers' validation requires it
        Double attention = p.optNumber("attention_factor", 0, MAX_FACTOR);
        Double mscale = p.optNumber("mscale", -MAX_FACTOR, MAX_FACTOR);
        Double mscaleAllDim = p.optNumber("mscale_all_dim", -MAX_FACTOR, MAX_FACTOR);
        if (attention == null) {
            attention = isTrue(mscale) && isTrue(mscaleAllDim)
                    ? mscale(factor, mscale) / mscale(factor, mscaleAllDim)
                    : mscale(factor, 1);
        }
        // `beta_fast or 32`: zero also falls back, as in Python
        double fast = p.number("beta_fast", 32, -MAX_FACTOR, MAX_FACTOR);
        double slow = p.number("beta_slow", 1, -MAX_FACTOR, MAX_FACTOR);
        fast = fast == 0 ? 32 : fast;
        slow = slow == 0 ? 1 : slow;
        boolean truncate = p.bool("truncate", true);
        return new Rope(theta, rotaryDim, "yarn", factor, orig, 1.0, 4.0, attention, fast, slow, truncate, null, null);
    }

    private static boolean isTrue(Double d) {
        return d != null && d != 0;
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /** LongRoPE (Phi-3), as _compute_longrope_parameters. */
    private static Rope longrope(ConfigReader p, double theta, int rotaryDim, int maxPositions, int orig) {
        int half = rotaryDim / 2;
        List<Double> shortF = p.numbers("short_factor", half, 0, Double.MAX_VALUE);
        List<Double> longF = p.numbers("long_factor", half, 0, Double.MAX_VALUE);
        double factor = p.has("factor") ? atLeastOne(p, "factor") : (double) maxPositions / orig;
        Double attention = p.optNumber("attention_factor", 0, MAX_FACTOR);
        if (attention == null) {
            attention = factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
        }
        return new Rope(theta, rotaryDim, "longrope", factor, orig, 1.0, 4.0, attention, 32, 1, true, shortF, longF);
    }

    /**
     * The inverse frequencies θ^(-2i/d) for i in [0, d/2), adjusted by the scaling type. For
     * {@code dynamic} and {@code longrope} they depend on the sequence length the call reaches.
     */
    public float[] inverseFrequencies(int seqLen) {
        int half = rotaryDim / 2;
        double base = theta;
        if (scaling.equals("dynamic") && seqLen > originalMaxPositions) {
            // NTK-aware: stretch the base once the context outgrows the trained length.
            base = theta * Math.pow((factor * seqLen / originalMaxPositions) - (factor - 1), rotaryDim / (rotaryDim - 2.0));
        }
        float[] powers = new float[half]; // base^(2i/d), float32 as torch computes it
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) rotaryDim;
            powers[i] = (float) Math.pow(base, exponent);
            inv[i] = (float) (1.0 / powers[i]);
        }
        switch (scaling) {
            case "linear" -> {
                for (int i = 0; i < half; i++) {
                    inv[i] = (float) (inv[i] / factor);
                }
            }
            case "llama3" -> llama3(inv);
            case "yarn" -> yarn(powers, inv);
            case "longrope" -> {
                // transformers decides per call: the long factors once the call reaches past the trained context
                List<Double> ext = seqLen > originalMaxPositions ? longFactor : shortFactor;
                for (int i = 0; i < half; i++) {
                    inv[i] = 1.0f / (ext.get(i).floatValue() * powers[i]);
                }
            }
            default -> { }
        }
        return inv;
    }

    private void llama3(float[] inv) {
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
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

    /** Blends interpolated (θ^(2i/d)·factor)⁻¹ and extrapolated frequencies over a linear ramp. */
    private void yarn(float[] powers, float[] inv) {
        double low = correctionDim(betaFast);
        double high = correctionDim(betaSlow);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, rotaryDim - 1);
        if (low == high) {
            high += 0.001; // as transformers, to avoid a zero-width ramp
        }
        float lowF = (float) low;
        float span = (float) (high - low);
        float factorF = (float) factor;
        for (int i = 0; i < inv.length; i++) {
            float ramp = Math.min(1f, Math.max(0f, ((float) i - lowF) / span));
            float extrapolation = 1f - ramp;
            float interpolated = 1.0f / (factorF * powers[i]);
            float extrapolated = 1.0f / powers[i];
            inv[i] = interpolated * (1f - extrapolation) + extrapolated * extrapolation;
        }
    }

    private double correctionDim(double rotations) {
        return (rotaryDim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
    }

    /**
     * cos and sin tables for positions {@code [start, start + count)}, each laid out [count,
     * rotaryDim] with the half-frequencies repeated twice, as HuggingFace's {@code rotate_half}
     * convention expects, and scaled by the attention factor.
     */
    public float[][] cosSin(int start, int count) {
        int[] positions = new int[count];
        for (int p = 0; p < count; p++) {
            positions[p] = start + p;
        }
        return cosSinAt(positions, start + count);
    }

    /**
     * cos and sin tables at arbitrary {@code positions} (a padded batch's position ids), each laid
     * out [positions.length, rotaryDim] as {@link #cosSin}; {@code seqLen} is the length the call
     * reaches (max position id + 1, as transformers decides dynamic and longrope per call).
     */
    public float[][] cosSinAt(int[] positions, int seqLen) {
        float[] inv = inverseFrequencies(seqLen);
        int half = inv.length;
        float af = (float) attentionFactor;
        float[] cos = new float[positions.length * rotaryDim];
        float[] sin = new float[positions.length * rotaryDim];
        for (int p = 0; p < positions.length; p++) {
            float pos = positions[p];
            for (int i = 0; i < half; i++) {
                float angle = pos * inv[i]; // float32 product, as torch computes it
                float c = (float) Math.cos(angle) * af;
                float s = (float) Math.sin(angle) * af;
                cos[p * rotaryDim + i] = c;
                cos[p * rotaryDim + i + half] = c;
                sin[p * rotaryDim + i] = s;
                sin[p * rotaryDim + i + half] = s;
            }
        }
        return new float[][] {cos, sin};
    }

    /** Checks that {@code rotaryDim} is even and fits a head of {@code headDim}. */
    static void checkDim(int rotaryDim, int headDim, String file) {
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new GlassboxException(file + ": " + rotaryDim + " rotary dimensions do not fit a head of " + headDim
                    + " (need an even number from 2 to " + headDim + ")");
        }
    }
}
