package dev.glassbox.explore;

import dev.glassbox.inspect.AttentionAnalysis;
import dev.glassbox.inspect.DecodingView;
import dev.glassbox.inspect.JourneyReport;
import dev.glassbox.inspect.LogitAttribution;
import dev.glassbox.inspect.LogitLens;
import java.util.List;

/**
 * The response bodies of the explorer's JSON API (snake_case in JSON). Probabilities are in [0, 1],
 * log-probs in nats, ranks start at 1, positions, layers and heads at 0; {@code tokens} are the
 * input's tokens as text, one per position.
 */
public final class ApiResponses {

    private ApiResponses() {}

    /** {@code GET /api/model}: the checkpoint, the explorer's limits, the sampling defaults. */
    public record Model(JourneyReport.ModelInfo model, int maxPromptChars, int maxPromptTokens, int maxBodyBytes,
            SamplingUsed samplingDefaults, List<String> endpoints) {}

    /** The sampling settings a response used, after the checkpoint's defaults filled in what was not given. */
    public record SamplingUsed(boolean greedy, double temperature, int topK, double topP, double minP,
            double repetitionPenalty, Long seed) {}

    /** A token of the input. {@code string} is the vocabulary's spelling (null without tokenizer). */
    public record Token(int position, long id, String text, String string) {}

    /** {@code POST /api/tokens}. */
    public record Tokens(long[] inputIds, List<Token> tokens) {}

    /**
     * One of the most likely next tokens under the raw distribution.
     *
     * @param survives whether it survives the processors (repetition penalty, temperature, top-k, top-p, min-p)
     * @param survivorProb its probability renormalised over the survivors, where it is among the
     *     {@code show_top} most likely survivors (null otherwise)
     */
    public record Candidate(long id, String text, float logit, double prob, double logprob, int rank, boolean survives,
            Double survivorProb) {}

    /**
     * {@code POST /api/distribution}: the next token after the input's last position.
     *
     * @param top the {@code show_top} most likely tokens of the raw distribution (temperature 1, nothing cut)
     * @param entropy of the raw distribution, in nats
     * @param decoding the decoding view of {@code glassbox journey}: the survivors, their count, the greedy
     *     pick and the sampler's pick with its seed
     */
    public record Distribution(long[] inputIds, int position, int vocabSize, SamplingUsed sampling, double entropy,
            List<Candidate> top, DecodingView.Result decoding) {}

    /** One head's attention pattern and where the last position reads from. */
    public record HeadPattern(int head, float[][] pattern, List<AttentionAnalysis.Source> sources) {}

    /**
     * {@code POST /api/attention}.
     *
     * @param patterns [query][key] per head (every head of the layer, or the one asked for); row q sums to 1
     *     over keys 0..q
     * @param averaged the strongest sources of the last position in the head-averaged pattern
     */
    public record Attention(long[] inputIds, List<String> tokens, int layer, int heads, List<HeadPattern> patterns,
            List<AttentionAnalysis.Source> averaged) {}

    /**
     * {@code POST /api/lens}.
     *
     * @param stages short labels ("embed", "L0", …); {@code hooks} the activations read
     * @param cells [stage][position]: the top tokens under that stage's lens and the target's entry
     * @param targetProbs the target's probability at the last position, stage by stage
     */
    public record Lens(long[] inputIds, List<String> tokens, List<String> stages, List<String> hooks, long targetId,
            String target, LogitLens.Cell[][] cells, double[] targetProbs, int[] targetRanks) {}

    /** One layer's share of a logit: attention (the sum of its heads and bias), MLP, and each head. */
    public record LayerShare(int layer, double attention, double mlp, double[] heads) {}

    /**
     * {@code POST /api/attribution}.
     *
     * @param logit the logit explained (before a final softcap); {@code sum} the terms' sum, equal up to rounding
     * @param scale the frozen final-norm scale
     * @param terms every additive term in residual-stream order
     */
    public record Attribution(long[] inputIds, List<String> tokens, int position, long targetId, String target,
            float logit, double sum, double scale, double embedding, List<LayerShare> layers,
            List<LogitAttribution.Term> terms) {}

    /**
     * {@code POST /api/patch}: the fields of {@code glassbox patch --json}. {@code raw} and {@code normalized}
     * map each grid asked for ({@code resid_pre}, {@code attn_out}, {@code mlp_out}: [layer][position];
     * {@code attn_head_out_by_pos}: [layer][head][position]) to its values; normalized = (patched − corrupt) /
     * (clean − corrupt), null where clean and corrupt metrics are equal.
     */
    public record Patch(String method, long[] cleanIds, long[] corruptIds, long targetId, String target, long baselineId,
            String baseline, double cleanMetric, double corruptMetric, int layers, List<String> positions,
            java.util.Map<String, Object> raw, java.util.Map<String, Object> normalized) {}

    /** A response already rendered as JSON (the journey report, by JourneyJson). */
    record RawJson(String json) {}
}
