package dev.glassbox.explore;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.explore.ApiRequests.Input;
import dev.glassbox.explore.ApiRequests.Sampling;
import dev.glassbox.explore.ApiResponses.Candidate;
import dev.glassbox.explore.ApiResponses.HeadPattern;
import dev.glassbox.explore.ApiResponses.LayerShare;
import dev.glassbox.explore.ApiResponses.SamplingUsed;
import dev.glassbox.explore.ApiResponses.Token;
import dev.glassbox.generate.GenerationDefaults;
import dev.glassbox.generate.LogitsProcessor;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.AttentionAnalysis;
import dev.glassbox.inspect.DecodingView;
import dev.glassbox.inspect.Distributions;
import dev.glassbox.inspect.Journey;
import dev.glassbox.inspect.JourneyJson;
import dev.glassbox.inspect.LogitAttribution;
import dev.glassbox.inspect.LogitLens;
import dev.glassbox.inspect.TokenLabels;
import dev.glassbox.inspect.TokenProb;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The explorer's analyses behind its JSON API: each endpoint validates its request, runs one of the
 * library's own analyses ({@link DecodingView} over the generation's {@link LogitsProcessor},
 * {@link AttentionAnalysis}, {@link LogitLens}, {@link LogitAttribution}, {@link Journey}, and the sweeps of
 * {@code dev.glassbox.patching}) and
 * returns its numbers; nothing here computes them anew. Each analysis records its activations in a
 * cache or sub-manager that is closed before it returns, so native memory does not grow with the
 * number of requests.
 *
 * <p>Not thread-safe on its own: {@link ExplorerServer} runs one model call at a time.
 */
public final class ExplorerApi {

    /** The longest prompt text accepted, in characters. */
    public static final int MAX_PROMPT_CHARS = 4000;
    /** The most input tokens accepted (or the model's context, if shorter): bounds the attention patterns sent. */
    public static final int MAX_PROMPT_TOKENS = 256;

    private final LanguageModel model;
    private final TokenLabels labels;
    private long[] lastIds; // the last input's ids and its next-token logits, so moving a slider costs no forward
    private float[] lastLogits;

    public ExplorerApi(LanguageModel model) {
        this.model = model;
        this.labels = new TokenLabels(model.tokenizer());
    }

    public LanguageModel model() {
        return model;
    }

    /** The most tokens an input may have. */
    public int maxTokens() {
        return Math.min(MAX_PROMPT_TOKENS, model.config().maxPositions());
    }

    /** {@code GET /api/model}. */
    public ApiResponses.Model describe(List<String> endpoints, int maxBodyBytes) {
        return new ApiResponses.Model(Journey.modelInfo(model, labels), MAX_PROMPT_CHARS, maxTokens(), maxBodyBytes,
                used(GenerationDefaults.resolve(model.generationDefaults(), null)), endpoints);
    }

    /** {@code POST /api/tokens}. */
    public ApiResponses.Tokens tokens(ApiRequests.Tokens req) {
        long[] ids = ids(req);
        List<Token> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            out.add(new Token(i, ids[i], labels.text(ids[i]), labels.string(ids[i])));
        }
        return new ApiResponses.Tokens(ids, out);
    }

    /** {@code POST /api/distribution}: which of the most likely tokens survive the processors, as generation applies them. */
    public ApiResponses.Distribution distribution(ApiRequests.Distribution req) {
        long[] ids = ids(req);
        SamplingConfig cfg = sampling(req);
        int showTop = within("show_top", req.showTop(), 20, 1, 200);
        float[] logits = nextLogits(ids);
        float[] processed = new LogitsProcessor(cfg).process(logits, ids);
        DecodingView.Result decoding = DecodingView.explain(cfg, logits, ids, showTop, labels);
        List<Candidate> top = new ArrayList<>();
        for (TokenProb t : Distributions.top(logits, showTop, labels)) {
            Double survivorProb = decoding.survivors().stream().filter(c -> c.id() == t.id()).map(DecodingView.Candidate::prob)
                    .findFirst().orElse(null);
            top.add(new Candidate(t.id(), t.text(), t.logit(), t.prob(), t.logprob(), t.rank(),
                    processed[(int) t.id()] != Float.NEGATIVE_INFINITY, survivorProb));
        }
        return new ApiResponses.Distribution(ids, ids.length - 1, logits.length, used(cfg), Distributions.entropy(logits), top, decoding);
    }

    /** {@code POST /api/attention}: {@code layer} is required; without {@code head}, every head of the layer. */
    public ApiResponses.Attention attention(ApiRequests.Attention req) {
        long[] ids = ids(req);
        int layers = model.config().numLayers();
        if (req.layer() == null) {
            throw ApiError.badRequest("missing_field", "give layer (0.." + (layers - 1) + ")");
        }
        if (req.layer() < 0 || req.layer() >= layers) {
            throw ApiError.badRequest("unknown_layer", "layer " + req.layer() + " does not exist: the model has " + layers
                    + " layers (0.." + (layers - 1) + ")");
        }
        int layer = req.layer();
        AttentionAnalysis.Result r = AttentionAnalysis.run(model, ids);
        int heads = r.patterns()[layer].length;
        if (req.head() != null && (req.head() < 0 || req.head() >= heads)) {
            throw ApiError.badRequest("unknown_head", "head " + req.head() + " does not exist: layer " + layer + " has " + heads
                    + " heads (0.." + (heads - 1) + ")");
        }
        int last = ids.length - 1;
        AttentionAnalysis.Focus focus = AttentionAnalysis.focus(r, layer, last, 3, labels);
        List<HeadPattern> patterns = new ArrayList<>();
        for (int h = 0; h < heads; h++) {
            if (req.head() == null || req.head() == h) {
                patterns.add(new HeadPattern(h, r.pattern(layer, h), focus.perHead().get(h)));
            }
        }
        return new ApiResponses.Attention(ids, texts(ids), layer, heads, patterns, focus.averaged());
    }

    /** {@code POST /api/lens}: the target defaults to the model's most likely next token. */
    public ApiResponses.Lens lens(ApiRequests.Lens req) {
        long[] ids = ids(req);
        int k = within("show_top", req.showTop(), 3, 1, 20);
        long target = target(req.targetId(), req.target(), ids, ids.length - 1);
        LogitLens.Result r = LogitLens.run(model, ids, k, target);
        List<String> stages = new ArrayList<>();
        for (int s = 0; s < r.stages().size(); s++) {
            stages.add(LogitLens.stageLabel(s));
        }
        int last = ids.length - 1;
        return new ApiResponses.Lens(ids, texts(ids), stages, r.stages(), target, labels.text(target), r.cells(),
                r.targetProbs(last), r.targetRanks(last));
    }

    /** {@code POST /api/attribution}: at {@code position} (default the last), of the target (default the most likely token there). */
    public ApiResponses.Attribution attribution(ApiRequests.Attribution req) {
        long[] ids = ids(req);
        int position = within("position", req.position(), ids.length - 1, 0, ids.length - 1);
        long target = target(req.targetId(), req.target(), ids, position);
        LogitAttribution.Result a = LogitAttribution.attribute(model, ids, position, target);
        List<LayerShare> layers = new ArrayList<>();
        for (int l = 0; l < model.config().numLayers(); l++) {
            layers.add(new LayerShare(l, a.attention()[l], a.mlp(l), a.heads(l)));
        }
        return new ApiResponses.Attribution(ids, texts(ids), position, target, a.target(), a.logit(), a.sum(), a.scale(),
                a.embedding(), layers, a.terms());
    }

    /** {@code POST /api/journey}: the report of {@code glassbox journey --format json}. */
    public ApiResponses.RawJson journey(ApiRequests.Journey req) {
        long[] ids = ids(req);
        SamplingConfig cfg = sampling(req);
        int steps = within("steps", req.steps(), 1, 1, 8);
        int showTop = within("show_top", req.showTop(), 5, 1, 50);
        Journey.Options opts = Journey.Options.defaults().withSteps(steps).withTopK(showTop).withSampling(cfg);
        return new ApiResponses.RawJson(JourneyJson.render(Journey.run(model, ids, req.prompt(), opts), false));
    }

    /** {@code POST /api/patch}: see {@link ExplorerPatch}. */
    public ApiResponses.Patch patch(ApiRequests.Patch req) {
        return ExplorerPatch.run(this, req);
    }

    /** The input's ids: its prompt tokenized, or its ids, checked against the limits and the vocabulary. */
    long[] ids(Input in) {
        return ids(in, "prompt");
    }

    /** {@link #ids(Input)} for an input whose fields are named {@code name} and {@code name_ids} (or prompt and ids). */
    long[] ids(Input in, String name) {
        String text = name;
        String list = name.equals("prompt") ? "ids" : name + "_ids";
        if (in.prompt() != null && in.ids() != null) {
            throw ApiError.badRequest("bad_field", "give " + text + " or " + list + ", not both");
        }
        if (in.prompt() == null && in.ids() == null) {
            throw ApiError.badRequest("missing_field", "give " + text + " (text) or " + list + " (token ids)");
        }
        long[] ids;
        if (in.prompt() != null) {
            if (in.prompt().length() > MAX_PROMPT_CHARS) {
                throw ApiError.badRequest("prompt_too_long", "the prompt has " + in.prompt().length()
                        + " characters; the explorer takes at most " + MAX_PROMPT_CHARS);
            }
            if (model.tokenizer() == null) {
                throw ApiError.badRequest("no_tokenizer", "this checkpoint has no tokenizer: give ids instead of prompt");
            }
            ids = model.tokenizer().encode(in.prompt());
        } else {
            ids = in.ids();
        }
        if (ids.length == 0) {
            throw ApiError.badRequest("empty_prompt", "the input has no tokens: give at least one");
        }
        if (ids.length > maxTokens()) {
            throw ApiError.badRequest("prompt_too_long", "the input has " + ids.length + " tokens; the explorer takes at most "
                    + maxTokens() + " (the model's context is " + model.config().maxPositions() + ")");
        }
        int v = model.config().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= v) {
                throw ApiError.badRequest("bad_field", list + "[" + i + "] = " + ids[i] + " is outside the vocabulary [0, " + v + ")");
            }
        }
        return ids;
    }

    /**
     * The request's settings with the checkpoint's generation defaults for what it leaves out, as
     * {@code glassbox generate} resolves them; greedy with a sampling setting is refused, as the CLI refuses it.
     */
    SamplingConfig sampling(Sampling s) {
        SamplingConfig.Builder b = SamplingConfig.builder();
        List<String> named = new ArrayList<>();
        if (s.temperature() != null) {
            b.temperature(s.temperature());
            named.add("temperature");
        }
        if (s.topK() != null) {
            b.topK(s.topK());
            named.add("top_k");
        }
        if (s.topP() != null) {
            b.topP(s.topP());
            named.add("top_p");
        }
        if (s.minP() != null) {
            b.minP(s.minP());
            named.add("min_p");
        }
        if (s.seed() != null) {
            b.seed(s.seed());
            named.add("seed");
        }
        if (s.repetitionPenalty() != null) {
            b.repetitionPenalty(s.repetitionPenalty());
        }
        if (s.greedy() != null) {
            if (s.greedy() && !named.isEmpty()) {
                throw ApiError.badRequest("bad_field", "greedy is true, so " + String.join(", ", named)
                        + " would not be used: leave " + (named.size() == 1 ? "it" : "them") + " out, or set greedy to false");
            }
            b.greedy(s.greedy());
        }
        try {
            return GenerationDefaults.resolve(model.generationDefaults(), b.build());
        } catch (GlassboxException e) {
            throw ApiError.badRequest("bad_field", e.getMessage());
        }
    }

    private static SamplingUsed used(SamplingConfig c) {
        return new SamplingUsed(c.greedy(), c.temperature(), c.topK(), c.topP(), c.minP(), c.repetitionPenalty(), c.seed());
    }

    /** The token to explain: {@code target_id}, or {@code target} as one token, or the most likely one at {@code position}. */
    private long target(Long targetId, String target, long[] ids, int position) {
        return target(targetId, target, ids, position, "target");
    }

    /** {@link #target(Long, String, long[], int)} for fields named {@code name} and {@code name_id}. */
    long target(Long targetId, String target, long[] ids, int position, String name) {
        int v = model.config().vocabSize();
        if (targetId != null && target != null) {
            throw ApiError.badRequest("bad_field", "give " + name + "_id or " + name + ", not both");
        }
        if (targetId != null) {
            if (targetId < 0 || targetId >= v) {
                throw ApiError.badRequest("bad_field", name + "_id " + targetId + " is outside the vocabulary [0, " + v + ")");
            }
            return targetId;
        }
        if (target != null) {
            if (model.tokenizer() == null) {
                throw ApiError.badRequest("no_tokenizer", "this checkpoint has no tokenizer: give " + name + "_id");
            }
            long[] t = model.tokenizer().encode(target, false);
            if (t.length != 1) {
                throw ApiError.badRequest("bad_field", name + " '" + TokenLabels.escape(target) + "' is " + t.length
                        + " tokens " + Arrays.toString(t) + "; give text that is exactly one token, or " + name + "_id");
            }
            return t[0];
        }
        float[] logits = position == ids.length - 1 ? nextLogits(ids) : model.logits(Arrays.copyOf(ids, position + 1))[position];
        return Distributions.top(logits, 1, labels).get(0).id();
    }

    private float[] nextLogits(long[] ids) {
        if (!Arrays.equals(ids, lastIds)) {
            float[][] all = model.logits(ids);
            lastLogits = all[ids.length - 1];
            lastIds = ids.clone();
        }
        return lastLogits;
    }

    private List<String> texts(long[] ids) {
        List<String> out = new ArrayList<>();
        for (long id : ids) {
            out.add(labels.text(id));
        }
        return out;
    }

    private static int within(String field, Integer value, int fallback, int min, int max) {
        if (value == null) {
            return fallback;
        }
        if (value < min || value > max) {
            throw ApiError.badRequest("bad_field", field + " must be in " + min + ".." + max + ", found " + value);
        }
        return value;
    }
}
