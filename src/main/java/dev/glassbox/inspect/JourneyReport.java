package dev.glassbox.inspect;

import static com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The journey of tokens through a model, as plain data: what {@link Journey#run} computes and the
 * text, JSON and HTML renderers show. Every array is a Java array; no NDArray is kept.
 *
 * <p>The JSON document ({@link JourneyJson}) is this record tree with snake_case field names;
 * see there for the field list.
 *
 * @param format "glassbox.journey/1", the version of this layout
 * @param model what was run
 * @param prompt the prompt text, or null when ids were given
 * @param promptTokens every token of the input, with position, id, text and vocabulary string
 * @param position the position whose prediction the first step explains (the input is cut after
 *     it: later tokens could not change that prediction, since attention is causal)
 * @param sampling the decoding settings
 * @param steps one walkthrough per generated token
 * @param generatedIds the tokens appended, in order
 * @param generatedText their text (ids joined by commas without a tokenizer)
 * @param stopReason "steps" (all asked for were made), "eos" or "context_full"
 * @param attention the attention patterns of the last step's forward pass (the same as the last
 *     step's own {@link Step#attention}; kept here for readers of the first layout)
 * @param lens the logit-lens grid of the last step's forward pass (as {@link Step#lens})
 * @param cacheBytes the most activation memory one step cached (see {@link Journey#hookNames})
 */
public record JourneyReport(
        String format,
        ModelInfo model,
        String prompt,
        List<TokenInfo> promptTokens,
        int position,
        SamplingInfo sampling,
        List<Step> steps,
        long[] generatedIds,
        String generatedText,
        String stopReason,
        AttentionMaps attention,
        LensGrid lens,
        long cacheBytes) {

    public static final String FORMAT = "glassbox.journey/1";

    /** The text of the token at position {@code i} of a step's context (prompt or generated). */
    public String textAt(Step step, int i) {
        long id = step.contextIds()[i];
        if (i < promptTokens.size() && promptTokens.get(i).id() == id) {
            return promptTokens.get(i).text();
        }
        for (Step s : steps) {
            if (s.appended().position() == i && s.appended().id() == id) {
                return s.appended().text();
            }
        }
        return "#" + id;
    }

    /**
     * The model's shape.
     *
     * @param positions "learned" (a position embedding row is added) or "rotary" (positions
     *     rotate q and k inside attention)
     * @param ropeTheta the rotary base, null for learned positions
     * @param embeddingScale the factor the embedding rows are multiplied by (Gemma: √D), else 1
     */
    public record ModelInfo(
            String name, String path, String modelType, int vocabSize, int hiddenSize, int layers, int heads,
            int kvHeads, int headDim, int mlpWidth, String norm, String activation, boolean gatedMlp,
            String positions, Double ropeTheta, boolean tiedEmbeddings, int contextLength, double embeddingScale,
            boolean tokenizer) {}

    /** A token of the sequence. {@code string} is the vocabulary's spelling (null without tokenizer). */
    public record TokenInfo(int position, long id, String text, String string) {}

    /**
     * The decoding settings; {@code seed} is the one in use (drawn when none was given). Greedy
     * decoding has only {@code greedy}: the sampling parameters are null (left out of the JSON).
     */
    public record SamplingInfo(
            boolean greedy, @JsonInclude(NON_NULL) Double temperature, @JsonInclude(NON_NULL) Integer topK,
            @JsonInclude(NON_NULL) Double topP, @JsonInclude(NON_NULL) Double minP, @JsonInclude(NON_NULL) Long seed) {

        /** What {@code cfg} decodes with; greedy decoding reports none of the sampling parameters it does not use. */
        public static SamplingInfo of(dev.glassbox.generate.SamplingConfig cfg, long seed) {
            return cfg.greedy() ? new SamplingInfo(true, null, null, null, null, null)
                    : new SamplingInfo(false, cfg.temperature(), cfg.topK(), cfg.topP(), cfg.minP(), seed);
        }
    }

    /**
     * One generated token's walkthrough: the prediction at {@code position}, the last position of
     * {@code contextIds}.
     *
     * @param actualNext on the first step, when the input continued after {@code position}, the
     *     token that followed there with its rank and probability; else null
     * @param appended the token chosen and appended to the context
     * @param attention this step's attention patterns (heatmaps)
     * @param lens this step's logit-lens grid, following {@code appended}
     */
    public record Step(
            int step, int position, long[] contextIds, Embedding embedding, List<Layer> layers, Output output,
            Attribution attribution, DecodingView.Result decoding, TokenProb actualNext, TokenInfo appended,
            AttentionMaps attention, LensGrid lens) {}

    /**
     * Stage 1: the token becomes a vector.
     *
     * @param idsShape the input's shape, [T]
     * @param shape the embedded sequence's shape, [T, D]
     * @param row the first values of E[id] (times the embedding scale)
     * @param rowNorm the L2 norm of that row
     * @param positionKind "learned" or "rotary"
     * @param positionRow the first values of the position row P[position] (null for rotary)
     * @param positionNorm its norm (null for rotary)
     * @param positionNote how the position enters the computation, in words
     * @param sum the first values of the residual stream entering layer 0 at this position
     * @param sumNorm its norm
     * @param nearest the tokens whose embedding rows are closest by cosine (the token itself left out)
     */
    public record Embedding(
            long tokenId, String token, long[] idsShape, long[] shape, float[] row, double rowNorm,
            String positionKind, float[] positionRow, Double positionNorm, String positionNote,
            float[] sum, double sumNorm, List<Geometry.Neighbour> nearest) {}

    /**
     * Stage 2, one per layer: attention (one head shown in detail), then the MLP.
     *
     * @param residInNorm norm of the residual stream entering the layer at this position
     * @param qShape per-head query shape [T, d] and the whole [T, H, d]: {@code [T, H, d]}
     * @param kShape {@code [T, K, d]} (K key/value heads; K < H means grouped-query attention)
     * @param vShape {@code [T, K, d]}
     * @param head the head shown: the one whose attention at this position is most concentrated
     *     on a single token other than the first (which many heads use as a resting place)
     * @param scoresShape {@code [T, T]}, the score matrix of one head
     * @param scores that head's q·k/√d for this position against every position 0..position
     * @param probs the softmax of {@code scores}: the attention probabilities
     * @param sources the head's strongest sources, strongest first
     * @param sourcesAveraged the strongest sources averaged over all heads
     * @param zNorm norm of the head's probability-weighted sum of values (its z, shape [d])
     * @param woShape the output projection's shape {@code [D, H·d]}
     * @param attnOutNorm norm of the attention output (all heads through W_O), [D]
     * @param residMidNorm norm of the residual stream after adding it
     * @param mlpWidth the MLP's hidden width I; on a mixture-of-experts layer every MLP figure is
     *     that of the expert with the largest routing weight at this position, which
     *     {@code activation} names
     * @param mlpActiveFraction the share of the I hidden values that are positive after the
     *     activation (times up, for gated MLPs)
     * @param topNeuron the hidden unit with the largest value, and that value
     * @param mlpOutNorm norm of the MLP output, [D]
     * @param residOutNorm norm of the residual stream leaving the layer
     * @param lens what this layer's residual stream would predict (logit lens)
     */
    public record Layer(
            int layer, double residInNorm, String norm, long[] qShape, long[] kShape, long[] vShape,
            int head, long[] scoresShape, float[] scores, float[] probs, List<AttentionAnalysis.Source> sources,
            List<AttentionAnalysis.Source> sourcesAveraged, double zNorm, long[] woShape, double attnOutNorm,
            double residMidNorm, int mlpWidth, String activation, boolean gated, double mlpActiveFraction,
            int topNeuron, float topNeuronValue, double mlpOutNorm, double residOutNorm, TokenProb lens) {}

    /**
     * Stage 3: final norm, logits, softmax.
     *
     * @param finalNormNorm norm of the final norm's output at this position
     * @param logitsShape {@code [T, V]}
     * @param top the k highest logits with their probabilities (temperature 1)
     * @param temperature the decoding temperature
     * @param topProbsAtTemperature the same tokens' probabilities at that temperature
     * @param entropy entropy of the next-token distribution (nats, temperature 1)
     */
    public record Output(
            String norm, double finalNormNorm, long[] logitsShape, List<TokenProb> top, double temperature,
            double[] topProbsAtTemperature, double entropy) {}

    /**
     * The components that wrote the chosen token's logit most directly (see
     * {@link LogitAttribution}), largest |value| first.
     */
    public record Attribution(long targetId, String target, float logit, List<LogitAttribution.Term> top) {}

    /**
     * Attention patterns for heatmaps: {@code patterns[layer][head][i][j]} is how much position
     * {@code first + i} attends to position {@code first + j} (only the last positions are kept
     * for long inputs, see {@link Journey.Options#maxMapPositions}).
     */
    public record AttentionMaps(int first, List<String> tokens, float[][][][] patterns) {}

    /**
     * The logit-lens grid: {@code top[stage][i]} is the most likely next token at position
     * {@code first + i} when the residual stream after stage {@code stage} (embed, L0, L1, …) is
     * read through the final norm and the unembedding; {@code target} follows the token chosen
     * at the last step across stages at the last position.
     */
    public record LensGrid(
            List<String> stages, int first, List<String> tokens, TokenProb[][] top, long targetId, String target,
            double[] targetProbs, int[] targetRanks) {}
}
