package dev.glassbox.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.HookChain;
import dev.glassbox.hooks.Interventions;
import java.util.ArrayList;
import java.util.List;

/**
 * What an SAE says about a prompt: its features at every token, and how well it reconstructs
 * the activation (SAELens's evals: MSE, explained variance, next-token loss with the SAE spliced
 * in against the clean model and against the activation zero-ablated).
 */
public final class SaeAnalysis {

    /** One active feature at one token. */
    public record Feature(int index, float value) {}

    /** A token's features: the {@code top} largest and how many are non-zero (L0). */
    public record TokenFeatures(int position, long id, String token, List<Feature> top, int l0) {}

    /**
     * Reconstruction quality over the prompt's positions.
     *
     * @param mse mean over positions and d_in of (x − x̂)²
     * @param explainedVariance 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean activation over the positions
     * @param cleanLoss mean next-token cross-entropy (nats) of the model as it is
     * @param splicedLoss the same with the activation replaced by the SAE's reconstruction
     * @param zeroAblationLoss the same with the activation set to zero
     * @param lossRecovered (zero − spliced) / (zero − clean), SAELens's ce_loss_score
     * @param meanL0 mean number of active features per position
     */
    public record Quality(double mse, double explainedVariance, double cleanLoss, double splicedLoss,
            double zeroAblationLoss, double lossRecovered, double meanL0) {}

    private SaeAnalysis() {}

    /** Every position's {@code top} strongest features (values > 0 only, largest first). */
    public static List<TokenFeatures> features(LanguageModel model, SaeHooks sae, long[] ids, int top) {
        float[][] f = featureActivations(model, sae, ids);
        List<TokenFeatures> out = new ArrayList<>();
        for (int t = 0; t < ids.length; t++) {
            out.add(new TokenFeatures(t, ids[t], tokenText(model, ids[t]), topOf(f[t], top), l0(f[t])));
        }
        return out;
    }

    /** f at every position, [T][d_sae]. */
    public static float[][] featureActivations(LanguageModel model, SaeHooks sae, long[] ids) {
        try (ActivationCache cache = model.runWithCache(ids, sae.hookName()); NDManager m = model.manager().newSubManager()) {
            NDArray x = sae.input(cache.get(sae.hookName()));
            x.attach(m);
            NDArray f = sae.sae().encode(x);
            f.attach(m);
            return rows(f.toFloatArray(), ids.length);
        }
    }

    /** Reconstruction quality of the SAE on {@code ids} (at least two tokens, for the next-token loss). */
    public static Quality quality(LanguageModel model, SaeHooks sae, long[] ids) {
        double sq = 0;
        double tot = 0;
        double l0 = 0;
        int t = ids.length;
        int d = sae.sae().config().dIn();
        try (ActivationCache cache = model.runWithCache(ids, sae.hookName()); NDManager m = model.manager().newSubManager()) {
            NDArray xa = sae.input(cache.get(sae.hookName()));
            xa.attach(m);
            NDArray fa = sae.sae().encode(xa);
            NDArray ra = sae.sae().reconstruct(xa);
            fa.attach(m);
            ra.attach(m);
            float[] x = xa.toFloatArray();
            float[] r = ra.toFloatArray();
            float[] f = fa.toFloatArray();
            double[] mean = new double[d];
            for (int p = 0; p < t; p++) {
                for (int j = 0; j < d; j++) {
                    mean[j] += x[p * d + j] / (double) t;
                }
            }
            for (int p = 0; p < t; p++) {
                for (int j = 0; j < d; j++) {
                    double e = x[p * d + j] - r[p * d + j];
                    double c = x[p * d + j] - mean[j];
                    sq += e * e;
                    tot += c * c;
                }
            }
            for (float v : f) {
                l0 += v != 0 ? 1 : 0;
            }
        }
        double clean = nextTokenLoss(model.runWithHooks(ids, (HookChain) null), ids);
        double spliced = nextTokenLoss(model.runWithHooks(ids, sae.splice()), ids);
        double zero = nextTokenLoss(model.runWithHooks(ids, new Interventions.Intervention(sae.hookName(), a -> a.zerosLike())), ids);
        return new Quality(sq / ((double) t * d), 1 - sq / tot, clean, spliced, zero, (zero - spliced) / (zero - clean), l0 / t);
    }

    /** Mean −log p(ids[t+1] | ids[..t]) over t = 0 … T−2, from logits [T][V] (log-sum-exp in doubles). */
    public static double nextTokenLoss(float[][] logits, long[] ids) {
        double sum = 0;
        for (int p = 0; p + 1 < ids.length; p++) {
            float[] row = logits[p];
            double max = Double.NEGATIVE_INFINITY;
            for (float v : row) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (float v : row) {
                z += Math.exp(v - max);
            }
            sum += max + Math.log(z) - row[(int) ids[p + 1]];
        }
        return sum / (ids.length - 1);
    }

    static List<Feature> topOf(float[] f, int top) {
        List<Feature> all = new ArrayList<>();
        for (int i = 0; i < f.length; i++) {
            if (f[i] > 0) {
                all.add(new Feature(i, f[i]));
            }
        }
        all.sort((a, b) -> Float.compare(b.value(), a.value()));
        return all.subList(0, Math.min(top, all.size()));
    }

    static int l0(float[] f) {
        int n = 0;
        for (float v : f) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }

    static float[][] rows(float[] flat, int t) {
        int w = flat.length / t;
        float[][] out = new float[t][w];
        for (int p = 0; p < t; p++) {
            System.arraycopy(flat, p * w, out[p], 0, w);
        }
        return out;
    }

    static String tokenText(LanguageModel model, long id) {
        var tok = model.tokenizer();
        return tok != null && tok.hasToken(id) ? tok.tokenText(id) : "<" + id + ">";
    }

    static Shape flat(Shape s) {
        return new Shape(s.size() / s.get(s.dimension() - 1), s.get(s.dimension() - 1));
    }
}
