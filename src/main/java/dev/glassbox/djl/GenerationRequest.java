package dev.glassbox.djl;

import dev.glassbox.generate.GeneratedToken;
import dev.glassbox.generate.SamplingConfig;
import java.util.function.Consumer;

/**
 * The input of a text-generation predictor: a prompt (text, or ids for checkpoints without a
 * tokenizer), how to decode, and optionally a callback that sees each token as it is chosen
 * (streaming). A null {@code sampling} means the checkpoint's own generation defaults; settings a
 * {@link SamplingConfig} was not given come from them too (see
 * {@link dev.glassbox.generate.GenerationDefaults}). A plain {@code String} input uses the defaults.
 */
public record GenerationRequest(String prompt, long[] ids, SamplingConfig sampling, Consumer<GeneratedToken> onToken) {

    public GenerationRequest(String prompt, long[] ids, SamplingConfig sampling) {
        this(prompt, ids, sampling, null);
    }

    public static GenerationRequest of(String prompt, SamplingConfig sampling) {
        return new GenerationRequest(prompt, null, sampling);
    }

    public static GenerationRequest ofIds(long[] ids, SamplingConfig sampling) {
        return new GenerationRequest(null, ids, sampling);
    }

    /** This request, with {@code onToken} called as each token is chosen. */
    public GenerationRequest streaming(Consumer<GeneratedToken> onToken) {
        return new GenerationRequest(prompt, ids, sampling, onToken);
    }
}
