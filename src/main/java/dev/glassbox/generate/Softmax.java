package dev.glassbox.generate;

import dev.glassbox.GlassboxException;

/**
 * Softmax over one logits row in double precision, the one implementation sampling, scoring and
 * the analyses share: {@code log Z = m + log Σ exp(x_i − m)} with {@code m = max x}, and
 * {@code log p_i = x_i − log Z}. −∞ entries (masked tokens) get probability 0.
 */
public final class Softmax {

    private Softmax() {}

    /**
     * log Σ exp(logits), the max subtracted first. Rejects logits a model should never produce (NaN,
     * +∞) and a row with no finite value, since no token could be chosen.
     *
     * @throws GlassboxException on an empty row, NaN or +∞, or all −∞
     */
    public static double logSumExp(float[] logits) {
        if (logits.length == 0) {
            throw new GlassboxException("logits are empty; the model returned no vocabulary scores");
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
                throw new GlassboxException(
                        "logits contain " + v + " at token id " + i + "; the model produced invalid scores");
            }
            if (v > max) {
                max = v;
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new GlassboxException("all logits are -infinity; no token can be chosen");
        }
        double sum = 0.0;
        for (float v : logits) {
            if (v != Float.NEGATIVE_INFINITY) {
                sum += Math.exp((double) v - max);
            }
        }
        return max + Math.log(sum);
    }

    /** log softmax(logits): {@code x_i − log Z} (see {@link #logSumExp} for what is rejected). */
    public static double[] logSoftmax(float[] logits) {
        double logZ = logSumExp(logits);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - logZ;
        }
        return out;
    }

    /** softmax(logits / temperature), temperature > 0, the max subtracted first. */
    public static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v / temperature);
        }
        double[] p = new double[logits.length];
        double z = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] / temperature - max);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }
}
