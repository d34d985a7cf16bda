package dev.glassbox.inspect;

import dev.glassbox.generate.Sampler;
import java.util.ArrayList;
import java.util.List;

/** Softmax statistics of one logits row, in double precision: top-k, entropy, rank. */
public final class Distributions {

    private Distributions() {}

    /** log Σ exp(logits), max subtracted first; −∞ entries are skipped. */
    public static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > max) {
                max = v;
            }
        }
        double sum = 0;
        for (float v : logits) {
            if (v != Float.NEGATIVE_INFINITY) {
                sum += Math.exp((double) v - max);
            }
        }
        return max + Math.log(sum);
    }

    /** Shannon entropy of softmax(logits) in nats. */
    public static double entropy(float[] logits) {
        double logZ = logSumExp(logits);
        double h = 0;
        for (float v : logits) {
            if (v == Float.NEGATIVE_INFINITY) {
                continue;
            }
            double lp = v - logZ;
            h -= Math.exp(lp) * lp;
        }
        return Math.max(0.0, h);
    }

    /** 1 + the number of entries strictly larger than {@code logits[id]}. */
    public static int rank(float[] logits, long id) {
        float x = logits[(int) id];
        int r = 1;
        for (float v : logits) {
            if (v > x) {
                r++;
            }
        }
        return r;
    }

    /** The k most likely tokens, most likely first (lower id first among equal logits). */
    public static List<TokenProb> top(float[] logits, int k, TokenLabels labels) {
        double logZ = logSumExp(logits);
        int[] idx = Sampler.topK(logits, k);
        List<TokenProb> out = new ArrayList<>(idx.length);
        int rank = 1;
        for (int j = 0; j < idx.length; j++) {
            int id = idx[j];
            if (j > 0 && logits[id] < logits[idx[j - 1]]) {
                rank = j + 1;
            }
            double lp = logits[id] - logZ;
            out.add(new TokenProb(id, labels.text(id), logits[id], Math.exp(lp), lp, rank));
        }
        return out;
    }

    /** One token's entry, wherever it ranks. */
    public static TokenProb of(float[] logits, long id, TokenLabels labels) {
        double lp = logits[(int) id] - logSumExp(logits);
        return new TokenProb(id, labels.text(id), logits[(int) id], Math.exp(lp), lp, rank(logits, id));
    }

    /** Softmax of logits / temperature (temperature > 0), in double. */
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
