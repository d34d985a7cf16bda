package dev.glassbox.inspect;

import dev.glassbox.generate.Sampler;
import dev.glassbox.generate.Softmax;
import java.util.ArrayList;
import java.util.List;

/** Softmax statistics of one logits row, in double precision: top-k, entropy, rank. */
public final class Distributions {

    private Distributions() {}

    /** Shannon entropy of softmax(logits) in nats. */
    public static double entropy(float[] logits) {
        double logZ = Softmax.logSumExp(logits);
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
        double logZ = Softmax.logSumExp(logits);
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
        double lp = logits[(int) id] - Softmax.logSumExp(logits);
        return new TokenProb(id, labels.text(id), logits[(int) id], Math.exp(lp), lp, rank(logits, id));
    }
}
