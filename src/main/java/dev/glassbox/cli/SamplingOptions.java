package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.generate.GenerationDefaults;
import dev.glassbox.generate.SamplingConfig;
import picocli.CommandLine.Option;

/**
 * How the next token is chosen, the same options with the same meaning in every command that
 * chooses tokens ({@code generate}, {@code journey}). Without any of them the checkpoint's own
 * generation_config.json decides (greedy unless it says do_sample), as transformers does; naming a
 * sampling option samples. {@link #check} refuses bad values and contradictions before any model
 * loads; the merge with the checkpoint's defaults is {@link GenerationDefaults}'s.
 */
public final class SamplingOptions {

    @Option(names = "--greedy", description = "Always pick the most likely token (cannot be combined with the sampling options).")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample from softmax(logits / T) (0 = greedy).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample among the fewest tokens whose probability reaches P (1 = off).")
    Double topP;

    @Option(names = "--min-p", paramLabel = "M", description = "Drop tokens less likely than M times the most likely one (0 = off).")
    Double minP;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for reproducible sampling.")
    Long seed;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "Penalise tokens already in the context (1 = off).")
    Double repetitionPenalty;

    /** The settings these options give (only those), as a builder for the command to add its own. */
    SamplingConfig.Builder settings() {
        SamplingConfig.Builder b = SamplingConfig.builder();
        if (greedy) {
            b.greedy(true);
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
        return b;
    }

    /**
     * Refuses contradictory options, builds {@code settings} (these options' {@link #settings()}
     * plus the command's own) and checks their values: before the model loads, and with the same
     * messages in every command.
     */
    SamplingConfig checked(SamplingConfig.Builder settings) {
        if (greedy && (temperature != null || topK != null || topP != null || minP != null || seed != null)) {
            throw new GlassboxException("--greedy cannot be combined with --temperature, --top-k, --top-p, --min-p or --seed "
                    + "(they only apply when sampling)");
        }
        return settings.build().validate();
    }

    /** The full config for {@code model}: its generation defaults completed by {@code settings}. */
    static SamplingConfig resolve(LanguageModel model, SamplingConfig settings) {
        return GenerationDefaults.resolve(model.generationDefaults(), settings);
    }
}
