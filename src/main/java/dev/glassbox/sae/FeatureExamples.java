package dev.glassbox.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.glassbox.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * An SAE evaluated on held-out text: reconstruction quality over every window (as
 * {@link SaeAnalysis#quality}, pooled), dead features, and a few features with the tokens that
 * activate them most (for a model card or a first look at what the features mean).
 */
public final class FeatureExamples {

    /** A token where a feature fired: the token, the text before it with the token in brackets, the activation. */
    public record Example(String token, String context, float activation) {}

    /** A feature, how often it fires (fraction of tokens), and its strongest examples. */
    public record Feature(int index, double frequency, List<Example> top) {}

    /** Pooled results over the held-out windows. */
    public record Evaluation(int tokens, double mse, double explainedVariance, double meanL0, int deadFeatures,
            double cleanLoss, double splicedLoss, double zeroLoss, double lossRecovered, List<Feature> examples) {}

    private FeatureExamples() {}

    /**
     * Runs consecutive windows of {@code context} tokens over ids[from, to) (at most 64 windows)
     * and pools their statistics; {@code count} example features, each with 8 top tokens.
     */
    public static Evaluation evaluate(LanguageModel model, SaeHooks sae, long[] ids, int from, int to, int context, int count) {
        int d = sae.sae().config().dIn();
        int n = sae.sae().config().dSae();
        double sq = 0;
        double[] sum = new double[d];
        double[] sumSq = new double[d];
        long l0 = 0;
        int tokens = 0;
        double clean = 0;
        double spliced = 0;
        double zero = 0;
        int windows = 0;
        long[] fired = new long[n];
        List<PriorityQueue<float[]>> best = new ArrayList<>(); // per feature: {activation, position in ids}
        for (int f = 0; f < n; f++) {
            best.add(new PriorityQueue<>((a, b) -> Float.compare(a[0], b[0])));
        }
        for (int start = from; start + context <= to && windows < 64; start += context, windows++) {
            long[] w = Arrays.copyOfRange(ids, start, start + context);
            float[] x;
            float[] r;
            float[] f;
            try (var cache = model.runWithCache(w, sae.hookName()); NDManager m = model.manager().newSubManager()) {
                NDArray xa = sae.input(cache.get(sae.hookName()));
                xa.attach(m);
                x = xa.toFloatArray();
                r = sae.sae().reconstruct(xa).toFloatArray();
                f = sae.sae().encode(xa).toFloatArray();
            }
            for (int p = 0; p < context; p++) {
                for (int j = 0; j < d; j++) {
                    double v = x[p * d + j];
                    double e = v - r[p * d + j];
                    sq += e * e;
                    sum[j] += v;
                    sumSq[j] += v * v;
                }
                for (int i = 0; i < n; i++) {
                    float a = f[p * n + i];
                    if (a > 0) {
                        l0++;
                        fired[i]++;
                        PriorityQueue<float[]> q = best.get(i);
                        q.add(new float[] {a, start + p});
                        if (q.size() > 8) {
                            q.poll();
                        }
                    }
                }
            }
            tokens += context;
            clean += SaeAnalysis.nextTokenLoss(model.runWithHooks(w, (dev.glassbox.hooks.Hooks) null), w);
            spliced += SaeAnalysis.nextTokenLoss(model.runWithHooks(w, sae.splice()), w);
            zero += SaeAnalysis.nextTokenLoss(model.runWithHooks(w,
                    new dev.glassbox.hooks.Interventions.Intervention(sae.hookName(), a -> a.zerosLike())), w);
        }
        double tot = 0;
        for (int j = 0; j < d; j++) {
            tot += sumSq[j] - sum[j] * sum[j] / tokens;
        }
        int dead = 0;
        for (long c : fired) {
            dead += c == 0 ? 1 : 0;
        }
        clean /= windows;
        spliced /= windows;
        zero /= windows;
        return new Evaluation(tokens, sq / ((double) tokens * d), 1 - sq / tot, l0 / (double) tokens, dead,
                clean, spliced, zero, (zero - spliced) / (zero - clean), examples(model, ids, fired, best, tokens, count));
    }

    /** The {@code count} features with the strongest activations among those firing on 0.1%–5% of tokens. */
    private static List<Feature> examples(LanguageModel model, long[] ids, long[] fired, List<PriorityQueue<float[]>> best, int tokens, int count) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < fired.length; i++) {
            double freq = fired[i] / (double) tokens;
            if (freq >= 0.001 && freq <= 0.05) {
                candidates.add(i);
            }
        }
        candidates.sort((a, b) -> Float.compare(max(best.get(b)), max(best.get(a))));
        List<Feature> out = new ArrayList<>();
        for (int i : candidates.subList(0, Math.min(count, candidates.size()))) {
            List<float[]> top = new ArrayList<>(best.get(i));
            top.sort((a, b) -> Float.compare(b[0], a[0]));
            List<Example> ex = new ArrayList<>();
            for (float[] t : top) {
                int pos = (int) t[1];
                long[] before = Arrays.copyOfRange(ids, Math.max(0, pos - 6), pos);
                String token = SaeAnalysis.tokenText(model, ids[pos]);
                ex.add(new Example(token, model.tokenizer().decode(before, true) + "[" + token + "]", t[0]));
            }
            out.add(new Feature(i, fired[i] / (double) tokens, ex));
        }
        return out;
    }

    private static float max(PriorityQueue<float[]> q) {
        float m = 0;
        for (float[] a : q) {
            m = Math.max(m, a[0]);
        }
        return m;
    }
}
