package dev.glassbox.inspect;

import static com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.glassbox.generate.Choice;
import dev.glassbox.generate.Sampler;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.generate.Survivor;
import dev.glassbox.generate.Survivors;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoding choice at one step, made visible: which tokens survive temperature, top-k, top-p
 * and min-p (the HuggingFace processors of {@link Sampler}), their renormalised probabilities,
 * what greedy decoding picks, and what the sampler actually picks (with its seed).
 */
public final class DecodingView {

    /**
     * A surviving token.
     *
     * @param prob its probability renormalised over the survivors (what sampling draws from)
     * @param rawProb its probability under the model's raw distribution (temperature 1, nothing cut)
     * @param processedLogit its logit after the processors (divided by the temperature)
     */
    public record Candidate(long id, String text, double prob, double rawProb, float processedLogit) {}

    /**
     * @param greedy whether the config decodes greedily; then temperature, top-k, top-p, min-p and
     *     seed, which it does not use, are null (left out of the JSON)
     * @param seed the sampler's seed (the configured one or the one it drew)
     * @param survivors the most likely survivors, at most the limit asked for
     * @param keptCount how many tokens survived in all (the whole vocabulary when greedy)
     * @param greedyId the argmax of the processed logits
     * @param chosenId the token the sampler picked (greedyId when greedy)
     * @param chosenProb its probability in the distribution it was drawn from (1 when greedy)
     * @param chosenRawProb its probability under the raw distribution
     */
    public record Result(
            boolean greedy, @JsonInclude(NON_NULL) Double temperature, @JsonInclude(NON_NULL) Integer topK,
            @JsonInclude(NON_NULL) Double topP, @JsonInclude(NON_NULL) Double minP, @JsonInclude(NON_NULL) Long seed,
            List<Candidate> survivors, int keptCount, long greedyId, String greedyText,
            long chosenId, String chosenText, double chosenProb, double chosenRawProb) {

        public Result {
            survivors = List.copyOf(survivors);
        }
    }

    private DecodingView() {}

    /** One step with a fresh sampler for {@code cfg} (for a seed, its first draw). */
    public static Result explain(SamplingConfig cfg, float[] logits, long[] context, int limit, TokenLabels labels) {
        return explain(new Sampler(cfg), logits, context, limit, labels);
    }

    /**
     * One step with {@code sampler}, which draws once (sampling configs) exactly as a generation
     * would at this step: pass the same sampler for consecutive steps to follow a generation.
     */
    public static Result explain(Sampler sampler, float[] logits, long[] context, int limit, TokenLabels labels) {
        Survivors sv = sampler.survivors(logits, context, limit);
        Choice choice = sampler.choose(logits, context);
        List<Candidate> out = new ArrayList<>();
        for (Survivor s : sv.tokens()) {
            out.add(new Candidate(s.tokenId(), labels.text(s.tokenId()), s.prob(), Math.exp(s.rawLogprob()), s.processedLogit()));
        }
        SamplingConfig cfg = sampler.config();
        boolean g = cfg.greedy();
        return new Result(g, g ? null : cfg.temperature(), g ? null : cfg.topK(), g ? null : cfg.topP(),
                g ? null : cfg.minP(), g ? null : sampler.seed(),
                out, sv.keptCount(), sv.greedyTokenId(), labels.text(sv.greedyTokenId()),
                choice.tokenId(), labels.text(choice.tokenId()), choice.processedProb(), Math.exp(choice.logprob()));
    }
}
