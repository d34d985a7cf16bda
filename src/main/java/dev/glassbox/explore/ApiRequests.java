package dev.glassbox.explore;

/**
 * The request bodies of the explorer's JSON API, one record per endpoint. Field names are the
 * snake_case forms of the components ({@code topK} is {@code top_k}); absent fields are null and
 * take the defaults {@link ExplorerApi} documents. Every request names its input as {@code prompt}
 * (text, tokenized as the checkpoint's tokenizer does) or {@code ids} (token ids), not both.
 */
public final class ApiRequests {

    private ApiRequests() {}

    /** What every request that runs the model carries. */
    public interface Input {
        String prompt();

        long[] ids();
    }

    /** The sampling settings of a request; absent ones come from the checkpoint's generation_config.json. */
    public interface Sampling {
        Boolean greedy();

        Double temperature();

        Integer topK();

        Double topP();

        Double minP();

        Double repetitionPenalty();

        Long seed();
    }

    /** {@code POST /api/tokens}. */
    public record Tokens(String prompt, long[] ids) implements Input {}

    /** {@code POST /api/distribution}: the next-token distribution and the survivors of the processors. */
    public record Distribution(String prompt, long[] ids, Boolean greedy, Double temperature, Integer topK, Double topP,
            Double minP, Double repetitionPenalty, Long seed, Integer showTop) implements Input, Sampling {}

    /** {@code POST /api/attention}: one layer's patterns, or one head's. */
    public record Attention(String prompt, long[] ids, Integer layer, Integer head) implements Input {}

    /** {@code POST /api/lens}: the logit lens over every stage and position. */
    public record Lens(String prompt, long[] ids, Long targetId, String target, Integer showTop) implements Input {}

    /** {@code POST /api/attribution}: direct logit attribution of one token at one position. */
    public record Attribution(String prompt, long[] ids, Long targetId, String target, Integer position) implements Input {}

    /** {@code POST /api/journey}: the journey report (the JSON of {@code glassbox journey --format json}). */
    public record Journey(String prompt, long[] ids, Integer steps, Integer showTop, Boolean greedy, Double temperature,
            Integer topK, Double topP, Double minP, Double repetitionPenalty, Long seed) implements Input, Sampling {}

    /**
     * {@code POST /api/patch}: an activation-patching sweep between two inputs of equal length
     * ({@code clean}/{@code corrupt} text, or {@code clean_ids}/{@code corrupt_ids}).
     */
    public record Patch(String clean, String corrupt, long[] cleanIds, long[] corruptIds, String target, Long targetId,
            String baseline, Long baselineId, java.util.List<String> what, String method) {}
}
