package dev.glassbox.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.blocks.PaddedBatch;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.BatchCache;
import dev.glassbox.hooks.HookNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How well a model predicts a sequence: at every position the top-k next tokens, the log-prob
 * of the token that actually follows, and the perplexity, in the layout of transformers'
 * reference.json (so the two compare field by field). Many sequences run as one left-padded
 * batch ({@link #scoreBatch}); each row's result is that of the sequence alone.
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
        return scoreBatch(model, List.of(ids), topK, hidden, attention).get(0);
    }

    /** {@link #score} for each of {@code sequences}, run as one left-padded batch. */
    public static List<Result> scoreBatch(LanguageModel model, List<long[]> sequences, int topK, boolean hidden, boolean attention) {
        int layers = model.config().numLayers();
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
        PaddedBatch batch = PaddedBatch.leftPad(sequences);
        List<Result> out = new ArrayList<>(batch.size());
        try (NDManager m = model.manager().newSubManager();
                BatchCache cache = new BatchCache(ActivationCache.of(model.manager(), wanted), batch)) {
            NDArray logits = model.forward(m, batch, wanted.isEmpty() ? null : cache.padded());
            for (int r = 0; r < batch.size(); r++) {
                long[] ids = sequences.get(r);
                NDArray rowLogits = logits.get(r).get(new ai.djl.ndarray.index.NDIndex("{}:", batch.padCount(r)));
                Result res = fromLogits(rowLogits, ids, topK);
                float[][] hiddenStates = hidden ? lastHiddenStates(cache, r, layers, model.config().hiddenSize()) : null;
                float[][][] attn = attention ? pattern(cache, pattern, r, model.config().numHeads(), ids.length) : null;
                out.add(new Result(res.inputIds(), res.positions(), res.nextTokenLogprobs(), res.sumLogprob(), res.meanNll(),
                        res.perplexity(), res.lastLogits(), hiddenStates, attn));
            }
        }
        return out;
    }

    /**
     * log p(ids[i+1] | ids[..i]) for every position of every sequence (no top-k, no hidden states):
     * what perplexity needs, as one left-padded batch.
     */
    public static double[][] nextTokenLogprobs(LanguageModel model, List<long[]> sequences) {
        PaddedBatch batch = PaddedBatch.leftPad(sequences);
        double[][] out = new double[batch.size()][];
        try (NDManager m = model.manager().newSubManager()) {
            NDArray logits = model.forward(m, batch, null);
            for (int r = 0; r < batch.size(); r++) {
                long[] ids = sequences.get(r);
                NDArray rowLogits = logits.get(r).get(new ai.djl.ndarray.index.NDIndex("{}:", batch.padCount(r)));
                out[r] = next(rowLogits.logSoftmax(-1), ids);
            }
        }
        return out;
    }

    /** One sequence's result from its logits [T, V] (float32). */
    private static Result fromLogits(NDArray logits, long[] ids, int topK) {
        int t = ids.length;
        int vocab = (int) logits.getShape().get(1);
        NDArray lp = logits.logSoftmax(-1);
        int k = Math.min(topK, vocab);
        List<Position> positions = new ArrayList<>(t);
        if (k > 0) {
            NDList top = logits.topK(k, -1, true, true); // values, indices; largest first
            float[] topLogits = top.get(0).toFloatArray();
            NDArray topIdx = top.get(1).toType(DataType.INT64, false);
            long[] topIds = topIdx.toLongArray();
            float[] topLp = lp.gather(topIdx, 1).toFloatArray();
            for (int i = 0; i < t; i++) {
                double[] lps = new double[k];
                for (int j = 0; j < k; j++) {
                    lps[j] = topLp[i * k + j];
                }
                positions.add(new Position(Arrays.copyOfRange(topIds, i * k, (i + 1) * k), lps,
                        Arrays.copyOfRange(topLogits, i * k, (i + 1) * k)));
            }
        }
        double[] next = next(lp, ids);
        double sum = 0;
        for (double v : next) {
            sum += v;
        }
        float[] last = logits.get(t - 1).toFloatArray();
        double meanNll = next.length == 0 ? Double.NaN : -sum / next.length;
        double ppl = next.length == 0 ? Double.NaN : Math.exp(meanNll);
        return new Result(ids.clone(), positions, next, sum, meanNll, ppl, last, null, null);
    }

    /** lp[i, ids[i+1]] for i < T − 1, from log-probs [T, V]. */
    private static double[] next(NDArray lp, long[] ids) {
        int t = ids.length;
        if (t < 2) {
            return new double[0];
        }
        NDManager m = lp.getManager();
        NDArray following = m.create(Arrays.copyOfRange(ids, 1, t), new Shape(t - 1, 1));
        float[] v = lp.get(new ai.djl.ndarray.index.NDIndex(":{}", t - 1)).gather(following, 1).toFloatArray();
        double[] out = new double[t - 1];
        for (int i = 0; i < t - 1; i++) {
            out[i] = v[i];
        }
        return out;
    }

    private static float[][] lastHiddenStates(BatchCache cache, int r, int layers, int d) {
        float[][] states = new float[layers + 1][];
        for (int i = 0; i <= layers; i++) {
            float[] all = cache.rowFloats(HookNames.hiddenState(i, layers), r);
            states[i] = Arrays.copyOfRange(all, all.length - d, all.length);
        }
        return states;
    }

    private static float[][][] pattern(BatchCache cache, String name, int r, int heads, int t) {
        float[] p = cache.rowFloats(name, r);
        float[][][] attn = new float[heads][t][t];
        for (int h = 0; h < heads; h++) {
            for (int q = 0; q < t; q++) {
                System.arraycopy(p, (h * t + q) * t, attn[h][q], 0, t);
            }
        }
        return attn;
    }
}
