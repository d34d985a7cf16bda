package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.MoeConfig;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.blocks.MoeMlp;
import dev.glassbox.generate.Sampler;
import dev.glassbox.generate.Softmax;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.JourneyReport.AttentionMaps;
import dev.glassbox.inspect.JourneyReport.Attribution;
import dev.glassbox.inspect.JourneyReport.Embedding;
import dev.glassbox.inspect.JourneyReport.Layer;
import dev.glassbox.inspect.JourneyReport.LensGrid;
import dev.glassbox.inspect.JourneyReport.ModelInfo;
import dev.glassbox.inspect.JourneyReport.Output;
import dev.glassbox.inspect.JourneyReport.SamplingInfo;
import dev.glassbox.inspect.JourneyReport.Step;
import dev.glassbox.inspect.JourneyReport.TokenInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A token's journey through the model, stage by stage, for the token being predicted: text →
 * token ids → embedding row (+ position) → per layer attention (one head in detail: q·k/√d over
 * the past, softmax, weighted sum of values, W_O) and MLP (expand, activation, contract) with the
 * residual stream's norm after each → final norm → logits = h·W_Uᵀ → softmax with temperature →
 * the decoding choice → appended; repeated for each generated token. The renderers
 * ({@link JourneyText}, {@link JourneyJson}, {@link JourneyHtml}) show the resulting
 * {@link JourneyReport}.
 *
 * <p>Memory: each step runs the whole context once (no KV cache, so every activation of the
 * context is visible) and caches only {@link #hookNames} in an {@link ActivationCache}, not every
 * activation: per layer the attention scores and probabilities ([H, T, T] each), z, the attention
 * output, the residual stream after attention and after the layer ([T, D] each), the MLP's
 * hidden values ([T, I]) and its output ([T, D]); plus the embeddings, the final norm and the
 * logits ([T, V]). Measured with {@link ActivationCache#bytes} on a GPT-2-small-shaped
 * checkpoint and a 128-token context: 88,646,144 bytes (89 MB), against 135,438,848 bytes
 * (135 MB) for a full cache; a typical journey prompt of 5–20 tokens needs 1–10 MB
 * ({@link JourneyReport#cacheBytes} reports it). The cache of each step is closed before the next
 * step runs, so memory does not grow with {@code --steps}; the report itself keeps only small
 * Java arrays (rows at the explained position, and each step's attention patterns and lens grid,
 * limited to {@link Options#maxMapPositions} positions).
 */
public final class Journey {

    /**
     * @param steps how many tokens to generate and explain (at least 1)
     * @param position the position whose prediction the first step explains, or null for the
     *     last; the input is cut after it
     * @param topK how many tokens each ranked list shows
     * @param sampling how the next token is chosen
     * @param maxMapPositions the attention heatmaps and logit-lens grid keep at most this many of
     *     the last positions
     */
    public record Options(int steps, Integer position, int topK, SamplingConfig sampling, int maxMapPositions) {

        public static Options defaults() {
            return new Options(1, null, 5, SamplingConfig.builder().greedy(true).build(), 64);
        }

        public Options withSteps(int n) {
            return new Options(n, position, topK, sampling, maxMapPositions);
        }

        public Options withPosition(Integer p) {
            return new Options(steps, p, topK, sampling, maxMapPositions);
        }

        public Options withTopK(int k) {
            return new Options(steps, position, k, sampling, maxMapPositions);
        }

        public Options withSampling(SamplingConfig s) {
            return new Options(steps, position, topK, s, maxMapPositions);
        }
    }

    private static final int SHOWN_VALUES = 8;

    private Journey() {}

    /** The activations one step caches; nothing else is kept. */
    public static Set<String> hookNames(ModelConfig cfg) {
        Set<String> names = new LinkedHashSet<>();
        names.add(HookNames.EMBED);
        if (cfg.learnedPositions()) {
            names.add(HookNames.POS_EMBED);
        }
        names.add(HookNames.block(0, "resid_pre"));
        MoeConfig moe = MoeConfig.of(cfg);
        for (int l = 0; l < cfg.numLayers(); l++) {
            for (String s : List.of("attn.scores", "attn.pattern", "attn.z", "attn.out", "resid_mid", "mlp.post", "mlp.out", "resid_post")) {
                names.add(HookNames.block(l, s));
            }
            if (moe != null && moe.isSparse(l)) {
                // A mixture has no single mlp.post: the layer's line describes its top expert.
                names.add(HookNames.block(l, "mlp.expert_ids"));
                names.add(HookNames.block(l, "mlp.expert_weights"));
                for (int e = 0; e < moe.numExperts(); e++) {
                    names.add(HookNames.block(l, "mlp.experts." + e + ".post"));
                }
                names.addAll(LogitAttribution.expertOutputs(moe, l));
            }
        }
        names.add(HookNames.LN_FINAL);
        names.add(HookNames.LOGITS);
        names.addAll(LogitAttribution.hookNames(cfg)); // post-norm outputs, pre-cap logits where the model has them
        return names;
    }

    /**
     * Runs the journey.
     *
     * @param promptText the text the ids came from, or null when ids were given directly
     */
    public static JourneyReport run(LanguageModel model, long[] promptIds, String promptText, Options opts) {
        ModelConfig cfg = model.config();
        if (promptIds.length == 0) {
            throw new GlassboxException("the prompt is empty: give at least one token");
        }
        if (opts.steps() < 1) {
            throw new GlassboxException("--steps must be at least 1, found " + opts.steps());
        }
        if (opts.topK() < 1) {
            throw new GlassboxException("--show-top must be at least 1, found " + opts.topK());
        }
        int position = opts.position() == null ? promptIds.length - 1 : opts.position();
        if (position < 0 || position >= promptIds.length) {
            throw new GlassboxException("--position " + position + " is outside the input: positions 0.." + (promptIds.length - 1));
        }
        if (promptIds.length > cfg.maxPositions()) {
            throw new GlassboxException("the input has " + promptIds.length + " tokens but the model's context is " + cfg.maxPositions());
        }
        TokenLabels labels = new TokenLabels(model.tokenizer());
        Sampler sampler = new Sampler(opts.sampling());
        SamplingConfig sc = sampler.config();
        Set<String> names = hookNames(cfg);

        List<TokenInfo> promptTokens = tokens(promptIds, 0, labels);
        long[] ctx = Arrays.copyOf(promptIds, position + 1);
        List<Step> steps = new ArrayList<>();
        List<Long> generated = new ArrayList<>();
        String stopReason = "steps";
        AttentionMaps maps = null;
        LensGrid lens = null;
        long cacheBytes = 0;
        for (int s = 0; s < opts.steps(); s++) {
            int t = ctx.length;
            int p = t - 1;
            try (ActivationCache cache = model.runWithCache(ctx, names::contains)) {
                cacheBytes = Math.max(cacheBytes, cache.bytes());
                float[] logits = Vectors.row(cache.floats(HookNames.LOGITS), p, cfg.vocabSize());
                DecodingView.Result decoding = DecodingView.explain(sampler, logits, ctx, opts.topK(), labels);
                long chosen = decoding.chosenId();
                TokenProb actual = s == 0 && position + 1 < promptIds.length
                        ? Distributions.of(logits, promptIds[position + 1], labels) : null;
                Attribution attribution = attribution(model, cache, p, chosen, labels, opts.topK());
                AttentionMaps stepMaps = maps(cache, ctx, cfg.numLayers(), opts.maxMapPositions(), labels);
                LensGrid stepLens = lensGrid(model, cache, ctx, chosen, opts.maxMapPositions(), labels);
                steps.add(new Step(s, p, ctx.clone(), embedding(model, cache, ctx, p, labels), layers(model, cache, ctx, p, labels, opts.topK()),
                        output(model, cache, logits, t, p, sc, opts.topK(), labels), attribution, decoding, actual,
                        new TokenInfo(t, chosen, labels.text(chosen), labels.string(chosen)), stepMaps, stepLens));
                generated.add(chosen);
                boolean last;
                if (sc.isEos(chosen)) {
                    stopReason = "eos";
                    last = true;
                } else if (s == opts.steps() - 1) {
                    last = true;
                } else if (t + 1 > cfg.maxPositions()) {
                    stopReason = "context_full";
                    last = true;
                } else {
                    last = false;
                }
                if (last) {
                    maps = stepMaps;
                    lens = stepLens;
                }
                ctx = Arrays.copyOf(ctx, t + 1);
                ctx[t] = chosen;
                if (last) {
                    break;
                }
            }
        }
        long[] gen = generated.stream().mapToLong(Long::longValue).toArray();
        return new JourneyReport(JourneyReport.FORMAT, modelInfo(model, labels), promptText, promptTokens, position,
                SamplingInfo.of(sc, sampler.seed()),
                steps, gen, labels.decode(gen), stopReason, maps, lens, cacheBytes);
    }

    static List<TokenInfo> tokens(long[] ids, int first, TokenLabels labels) {
        List<TokenInfo> out = new ArrayList<>();
        for (int i = first; i < ids.length; i++) {
            out.add(new TokenInfo(i, ids[i], labels.text(ids[i]), labels.string(ids[i])));
        }
        return out;
    }

    /** The checkpoint as the journey report describes it. */
    public static ModelInfo modelInfo(LanguageModel model, TokenLabels labels) {
        ModelConfig c = model.config();
        String name = model.dir().getFileName() == null ? model.dir().toString() : model.dir().getFileName().toString();
        return new ModelInfo(name, model.dir().toString(), c.modelType(), c.vocabSize(), c.hiddenSize(), c.numLayers(),
                c.numHeads(), c.numKvHeads(), c.headDim(), c.intermediateSize(), normName(c.norm()), activationName(c),
                c.gatedMlp(), c.learnedPositions() ? "learned" : "rotary", c.rope() == null ? null : c.rope().theta(),
                c.tieWordEmbeddings(), c.maxPositions(), c.embeddingScale(), labels.hasTokenizer());
    }

    static String normName(ModelConfig.NormKind k) {
        return switch (k) {
            case LAYER_NORM -> "LayerNorm";
            case RMS_NORM -> "RMSNorm";
            case RMS_NORM_PLUS_ONE -> "RMSNorm (1+w)";
        };
    }

    static String activationName(ModelConfig c) {
        String a = switch (c.activation()) {
            case GELU_TANH -> "GELU (tanh)";
            case GELU -> "GELU";
            case SILU -> "SiLU";
            case RELU -> "ReLU";
        };
        return c.gatedMlp() ? a + "-gated (" + (c.activation() == ModelConfig.Activation.SILU ? "SwiGLU" : "GeGLU") + ")" : a;
    }

    private static Embedding embedding(LanguageModel model, ActivationCache cache, long[] ctx, int p, TokenLabels labels) {
        ModelConfig c = model.config();
        int d = c.hiddenSize();
        int t = ctx.length;
        float[] row = Vectors.row(cache.floats(HookNames.EMBED), p, d);
        float[] sum = Vectors.row(cache.floats(HookNames.block(0, "resid_pre")), p, d);
        float[] pos = null;
        Double posNorm = null;
        String note;
        if (c.learnedPositions()) {
            pos = Vectors.row(cache.floats(HookNames.POS_EMBED), p, d);
            posNorm = Vectors.norm(pos);
            note = "learned: row P[" + p + "] of the position table [" + c.maxPositions() + ", " + d + "] is added to E[id]";
        } else {
            note = String.format("rotary: nothing is added here; inside attention each head's q and k are rotated by"
                    + " angles position * theta^(-2i/%d) (theta = %s), so q.k depends on how far apart two tokens are",
                    c.rope().rotaryDim(), trim(c.rope().theta()));
        }
        long id = ctx[p];
        return new Embedding(id, labels.text(id), new long[] {t}, new long[] {t, d}, Vectors.head(row, SHOWN_VALUES), Vectors.norm(row),
                c.learnedPositions() ? "learned" : "rotary", pos == null ? null : Vectors.head(pos, SHOWN_VALUES), posNorm, note,
                Vectors.head(sum, SHOWN_VALUES), Vectors.norm(sum), Geometry.nearestEmbeddings(model, id, 3, false));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static List<Layer> layers(LanguageModel model, ActivationCache cache, long[] ctx, int p, TokenLabels labels, int k) {
        ModelConfig c = model.config();
        int d = c.hiddenSize();
        int t = ctx.length;
        int heads = c.numHeads();
        int hd = c.headDim();
        int width = c.intermediateSize();
        List<Layer> out = new ArrayList<>();
        double residIn = Vectors.norm(Vectors.row(cache.floats(HookNames.block(0, "resid_pre")), p, d));
        for (int l = 0; l < c.numLayers(); l++) {
            float[][][] pattern = AttentionAnalysis.pattern(cache, l);
            float[] scoresFlat = cache.floats(HookNames.block(l, "attn.scores"));
            int s = (int) cache.shape(HookNames.block(l, "attn.scores"))[3];
            int head = 0;
            double best = -1;
            for (int h = 0; h < heads; h++) {
                double m = p == 0 ? pattern[h][0][0] : 0;
                for (int j = 1; j <= p; j++) {
                    m = Math.max(m, pattern[h][p][j]);
                }
                if (m > best) {
                    best = m;
                    head = h;
                }
            }
            float[] scores = Arrays.copyOfRange(scoresFlat, (head * t + p) * s, (head * t + p) * s + p + 1);
            float[] probs = Arrays.copyOf(pattern[head][p], p + 1);
            AttentionAnalysis.Result r = new AttentionAnalysis.Result(ctx, new float[][][][] {pattern});
            AttentionAnalysis.Focus f = AttentionAnalysis.focus(r, 0, p, Math.min(k, 3), labels);
            float[] z = Vectors.row(cache.floats(HookNames.block(l, "attn.z")), p, heads * hd);
            float[] zh = Arrays.copyOfRange(z, head * hd, (head + 1) * hd);
            double attnOut = Vectors.norm(Vectors.row(cache.floats(HookNames.block(l, "attn.out")), p, d));
            double mid = Vectors.norm(Vectors.row(cache.floats(HookNames.block(l, "resid_mid")), p, d));
            String postName = HookNames.block(l, "mlp.post");
            int lw = width;
            String act = activationName(c);
            MoeMlp moe = model.block().layers().get(l).moe();
            if (moe != null) {
                // The expert with the largest routing weight at p stands for the mixture.
                int topK = moe.topK();
                int e = (int) Vectors.row(cache.floats(HookNames.block(l, "mlp.expert_ids")), p, topK)[0];
                float we = Vectors.row(cache.floats(HookNames.block(l, "mlp.expert_weights")), p, topK)[0];
                postName = HookNames.block(l, "mlp.experts." + e + ".post");
                lw = moe.experts().get(e).width();
                act = act + ", expert " + e + " of " + moe.numExperts() + String.format(Locale.ROOT, " (weight %.3f", we)
                        + (topK > 1 ? ", top " + topK + ")" : ")");
            }
            float[] post = Vectors.row(cache.floats(postName), p, lw);
            int positive = 0;
            int top = 0;
            for (int i = 0; i < post.length; i++) {
                if (post[i] > 0) {
                    positive++;
                }
                if (post[i] > post[top]) {
                    top = i;
                }
            }
            double mlpOut = Vectors.norm(Vectors.row(cache.floats(HookNames.block(l, "mlp.out")), p, d));
            double residOut = Vectors.norm(Vectors.row(cache.floats(HookNames.block(l, "resid_post")), p, d));
            TokenProb lensTop = Distributions.top(LogitLens.stageLogitsAt(model, cache, l + 1, p), 1, labels).get(0);
            out.add(new Layer(l, residIn, normName(c.norm()), new long[] {t, heads, hd}, new long[] {t, c.numKvHeads(), hd},
                    new long[] {t, c.numKvHeads(), hd}, head, new long[] {t, t}, scores, probs, f.perHead().get(head), f.averaged(),
                    Vectors.norm(zh), new long[] {d, (long) heads * hd}, attnOut, mid, lw, act, c.gatedMlp(),
                    positive / (double) lw, top, post[top], mlpOut, residOut, lensTop));
            residIn = residOut;
        }
        return out;
    }

    private static Output output(LanguageModel model, ActivationCache cache, float[] logits, int t, int p, SamplingConfig sc, int k, TokenLabels labels) {
        ModelConfig c = model.config();
        double normOut = Vectors.norm(Vectors.row(cache.floats(HookNames.LN_FINAL), p, c.hiddenSize()));
        List<TokenProb> top = Distributions.top(logits, k, labels);
        double temperature = sc.greedy() ? 1.0 : sc.temperature();
        double[] atT = Softmax.softmax(logits, temperature);
        double[] topAtT = new double[top.size()];
        for (int i = 0; i < top.size(); i++) {
            topAtT[i] = atT[(int) top.get(i).id()];
        }
        return new Output(normName(c.norm()), normOut, new long[] {t, c.vocabSize()}, top, temperature, topAtT, Distributions.entropy(logits));
    }

    private static Attribution attribution(LanguageModel model, ActivationCache cache, int p, long target, TokenLabels labels, int k) {
        LogitAttribution.Result a = LogitAttribution.fromCache(model, cache, p, target, labels);
        List<LogitAttribution.Term> terms = new ArrayList<>(a.terms());
        terms.sort(Comparator.comparingDouble((LogitAttribution.Term x) -> -Math.abs(x.value())));
        return new Attribution(target, labels.text(target), a.logit(), terms.subList(0, Math.min(k, terms.size())));
    }

    private static AttentionMaps maps(ActivationCache cache, long[] ctx, int layers, int max, TokenLabels labels) {
        int t = ctx.length;
        int first = Math.max(0, t - max);
        int w = t - first;
        float[][][][] out = new float[layers][][][];
        for (int l = 0; l < layers; l++) {
            float[][][] pat = AttentionAnalysis.pattern(cache, l);
            out[l] = new float[pat.length][w][];
            for (int h = 0; h < pat.length; h++) {
                for (int i = 0; i < w; i++) {
                    out[l][h][i] = Arrays.copyOfRange(pat[h][first + i], first, t);
                }
            }
        }
        return new AttentionMaps(first, texts(ctx, first, labels), out);
    }

    private static LensGrid lensGrid(LanguageModel model, ActivationCache cache, long[] ctx, long target, int max, TokenLabels labels) {
        int layers = model.config().numLayers();
        int t = ctx.length;
        int first = Math.max(0, t - max);
        List<String> stages = new ArrayList<>();
        TokenProb[][] top = new TokenProb[layers + 1][t - first];
        double[] probs = new double[layers + 1];
        int[] ranks = new int[layers + 1];
        for (int s = 0; s <= layers; s++) {
            stages.add(LogitLens.stageLabel(s));
            float[][] logits = LogitLens.stageLogits(model, cache, s);
            for (int i = first; i < t; i++) {
                top[s][i - first] = Distributions.top(logits[i], 1, labels).get(0);
            }
            TokenProb tp = Distributions.of(logits[t - 1], target, labels);
            probs[s] = tp.prob();
            ranks[s] = tp.rank();
        }
        return new LensGrid(stages, first, texts(ctx, first, labels), top, target, labels.text(target), probs, ranks);
    }

    private static List<String> texts(long[] ids, int first, TokenLabels labels) {
        List<String> out = new ArrayList<>();
        for (int i = first; i < ids.length; i++) {
            out.add(labels.text(ids[i]));
        }
        return out;
    }
}
