package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.generate.Sampler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How well a model predicts a sequence: at every position the top-k next tokens, the log-prob
 * of the token that actually follows, and the perplexity, in the layout of transformers'
 * reference.json (so the two compare field by field).
 */
public final class Scoring {

    /** The k most likely next tokens at one position. */
    public record Position(long[] topkIds, double[] topkLogprobs, float[] topkLogits) {}

    /**
     * @param hiddenStatesLast the last position's hidden state after the embeddings, after each
     *     block, and (the last entry) after the final norm, as transformers reports them; null
     *     unless asked for
     * @param lastLayerAttentions [heads][T][T] probabilities of the last layer; null unless asked
     */
    public record Result(
            long[] inputIds, List<Position> positions, double[] nextTokenLogprobs, double sumLogprob,
            double meanNll, double perplexity, float[] lastLogits, float[][] hiddenStatesLast,
            float[][][] lastLayerAttentions) {}

    private Scoring() {}

    public static Result score(LanguageModel model, long[] ids, int topK, boolean hidden, boolean attention) {
        int layers = model.config().numLayers();
        int d = model.config().hiddenSize();
        int vocab = model.config().vocabSize();
        Set<String> wanted = new HashSet<>();
        if (hidden) {
            for (int i = 0; i <= layers; i++) {
                wanted.add(HookNames.hiddenState(i, layers));
            }
        }
        String pattern = HookNames.block(layers - 1, "attn.pattern");
        if (attention) {
            wanted.add(pattern);
        }
        int t = ids.length;
        float[] flat;
        float[][] hiddenStates = null;
        float[][][] attn = null;
        try (NDManager m = model.manager().newSubManager();
                ActivationCache cache = ActivationCache.of(model.manager(), wanted)) {
            NDArray logits = model.forward(m, ids, wanted.isEmpty() ? null : cache);
            flat = logits.toFloatArray();
            if (hidden) {
                hiddenStates = new float[layers + 1][];
                for (int i = 0; i <= layers; i++) {
                    float[] all = cache.floats(HookNames.hiddenState(i, layers));
                    hiddenStates[i] = java.util.Arrays.copyOfRange(all, (t - 1) * d, t * d);
                }
            }
            if (attention) {
                float[] p = cache.floats(pattern);
                int heads = model.config().numHeads();
                attn = new float[heads][t][t];
                for (int h = 0; h < heads; h++) {
                    for (int q = 0; q < t; q++) {
                        System.arraycopy(p, (h * t + q) * t, attn[h][q], 0, t);
                    }
                }
            }
        }
        List<Position> positions = new ArrayList<>();
        double[] next = new double[Math.max(0, t - 1)];
        float[] row = new float[vocab];
        double sum = 0;
        for (int i = 0; i < t; i++) {
            System.arraycopy(flat, i * vocab, row, 0, vocab);
            double[] lp = dev.glassbox.generate.Softmax.logSoftmax(row);
            int k = Math.min(topK, vocab);
            int[] top = Sampler.topK(row, k);
            long[] topIds = new long[k];
            double[] topLp = new double[k];
            float[] topLogits = new float[k];
            for (int j = 0; j < k; j++) {
                topIds[j] = top[j];
                topLp[j] = lp[top[j]];
                topLogits[j] = row[top[j]];
            }
            positions.add(new Position(topIds, topLp, topLogits));
            if (i + 1 < t) {
                next[i] = lp[(int) ids[i + 1]];
                sum += next[i];
            }
        }
        float[] last = java.util.Arrays.copyOfRange(flat, (t - 1) * vocab, t * vocab);
        double meanNll = next.length == 0 ? Double.NaN : -sum / next.length;
        double ppl = next.length == 0 ? Double.NaN : Math.exp(meanNll);
        return new Result(ids.clone(), positions, next, sum, meanNll, ppl, last, hiddenStates, attn);
    }
}
