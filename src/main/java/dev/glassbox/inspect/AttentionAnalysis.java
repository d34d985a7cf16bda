package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.HookNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Attention patterns (the softmax probabilities of {@code blocks.l.attn.pattern}) as plain arrays,
 * and for one position the source tokens it reads from most, per head and averaged over heads.
 */
public final class AttentionAnalysis {

    /**
     * One source position attended to.
     *
     * @param position the source (key) position
     * @param tokenId the token there
     * @param token its text
     * @param weight attention probability (or mean probability over heads)
     */
    public record Source(int position, long tokenId, String token, double weight) {}

    /**
     * Where one query position looks in one layer.
     *
     * @param perHead for each head, its strongest sources, strongest first
     * @param averaged the strongest sources of the head-averaged pattern
     */
    public record Focus(int layer, int position, List<List<Source>> perHead, List<Source> averaged) {}

    /**
     * @param ids the input
     * @param patterns [layer][head][T][S] probabilities; row q sums to 1 over the positions ≤ q
     */
    public record Result(long[] ids, float[][][][] patterns) {

        public int layers() {
            return patterns.length;
        }

        public int heads() {
            return patterns.length == 0 ? 0 : patterns[0].length;
        }

        /** [T][S] of one head. */
        public float[][] pattern(int layer, int head) {
            return patterns[layer][head];
        }
    }

    private AttentionAnalysis() {}

    /** The pattern hook of every layer. */
    public static Set<String> hookNames(int layers) {
        Set<String> names = new LinkedHashSet<>();
        for (int l = 0; l < layers; l++) {
            names.add(HookNames.block(l, "attn.pattern"));
        }
        return names;
    }

    /** Runs {@code ids} and returns every layer's patterns. */
    public static Result run(LanguageModel model, long[] ids) {
        int layers = model.config().numLayers();
        try (ActivationCache cache = model.runWithCache(ids, hookNames(layers)::contains)) {
            return fromCache(cache, ids, layers);
        }
    }

    /** The patterns from a cache that holds {@link #hookNames}. */
    public static Result fromCache(ActivationCache cache, long[] ids, int layers) {
        float[][][][] out = new float[layers][][][];
        for (int l = 0; l < layers; l++) {
            out[l] = pattern(cache, l);
        }
        return new Result(ids.clone(), out);
    }

    /** One layer's patterns [head][T][S] from a cache holding {@code blocks.l.attn.pattern}. */
    public static float[][][] pattern(ActivationCache cache, int layer) {
        String name = HookNames.block(layer, "attn.pattern");
        long[] shape = cache.shape(name); // [1, H, T, S]
        int h = (int) shape[1];
        int t = (int) shape[2];
        int s = (int) shape[3];
        float[] flat = cache.floats(name);
        float[][][] out = new float[h][t][];
        for (int i = 0; i < h; i++) {
            for (int q = 0; q < t; q++) {
                out[i][q] = Vectors.row(flat, i * t + q, s);
            }
        }
        return out;
    }

    /** The {@code k} strongest sources of query {@code position} in {@code layer}. */
    public static Focus focus(Result r, int layer, int position, int k, TokenLabels labels) {
        float[][][] layerPatterns = r.patterns()[layer];
        int heads = layerPatterns.length;
        List<List<Source>> perHead = new ArrayList<>(heads);
        double[] mean = new double[layerPatterns[0][position].length];
        for (int h = 0; h < heads; h++) {
            float[] row = layerPatterns[h][position];
            double[] w = new double[row.length];
            for (int j = 0; j < row.length; j++) {
                w[j] = row[j];
                mean[j] += row[j] / (double) heads;
            }
            perHead.add(strongest(w, r.ids(), position, k, labels));
        }
        return new Focus(layer, position, perHead, strongest(mean, r.ids(), position, k, labels));
    }

    /** The k largest weights among sources 0..position, largest first (earlier first on ties). */
    static List<Source> strongest(double[] w, long[] ids, int position, int k, TokenLabels labels) {
        List<Integer> idx = new ArrayList<>();
        for (int j = 0; j <= position && j < w.length; j++) {
            idx.add(j);
        }
        idx.sort(Comparator.<Integer>comparingDouble(j -> -w[j]).thenComparingInt(j -> j));
        List<Source> out = new ArrayList<>();
        for (int n = 0; n < Math.min(k, idx.size()); n++) {
            int j = idx.get(n);
            out.add(new Source(j, ids[j], labels.text(ids[j]), w[j]));
        }
        return out;
    }
}
