package dev.glassbox.cli;

import dev.glassbox.LanguageModel;
import dev.glassbox.generate.SamplingConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * How the next token is chosen. Without any of these options the checkpoint's own
 * generation_config.json decides (greedy unless it says do_sample), as transformers does.
 */
public final class SamplingOptions {

    @Option(names = "--greedy", description = "Always pick the most likely token.")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = "Divide logits by T before sampling (0 = greedy).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample among the smallest set of tokens whose probability reaches P (1 = off).")
    Double topP;

    @Option(names = "--min-p", paramLabel = "M", description = "Drop tokens less likely than M times the most likely one (0 = off).")
    Double minP;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for reproducible sampling.")
    Long seed;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "Penalise tokens already in the context (1 = off).")
    Double repetitionPenalty;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "How many tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop when this text appears (repeatable); it is cut from the output.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--no-eos", description = "Do not stop at the end-of-sequence token.")
    boolean noEos;

    /** The config for {@code model}: its generation_config.json, overridden by the options. */
    public SamplingConfig build(LanguageModel model, int alternatives) {
        SamplingConfig base = SamplingConfig.fromGenerationConfig(
                Json.MAPPER.convertValue(model.generationConfig(), java.util.Map.class));
        boolean sampling = temperature != null || topK != null || topP != null || minP != null || seed != null;
        SamplingConfig.Builder b = base.toBuilder();
        if (greedy) {
            b.greedy(true);
        } else if (sampling) {
            b.greedy(false);
            if (base.greedy()) {
                // generation_config said greedy; the user asked to sample: start from plain sampling.
                b.topK(0).topP(1.0).minP(0).temperature(1.0);
            }
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (minP != null) {
            b.minP(minP);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        b.maxNewTokens(maxNewTokens);
        b.stopStrings(stop);
        b.stopAtEos(!noEos);
        Set<Long> eos = new LinkedHashSet<>(base.eosTokenIds());
        eos.addAll(model.config().eosTokenIds());
        b.eosTokenIds(eos);
        b.alternatives(alternatives);
        return b.build().validate();
    }
}
