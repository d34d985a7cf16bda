package dev.glassbox.djl;

import dev.glassbox.generate.GeneratedToken;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.hooks.Hooks;
import java.util.function.Consumer;

/**
 * The input of a text-generation predictor: a prompt (text, or ids for checkpoints without a
 * tokenizer), how to decode, and optionally a callback that sees each token as it is chosen
 * (streaming). A null {@code sampling} means the checkpoint's own generation defaults; settings a
 * {@link SamplingConfig} was not given come from them too (see
 * {@link dev.glassbox.generate.GenerationDefaults}). A plain {@code String} input uses the defaults.
 *
 * <p>{@code hooks} (null for none) run at every named activation of every forward call of the
 * generation: the prompt's and each decode step's, so steering, ablation and recording
 * ({@link dev.glassbox.hooks.GenerationTrace}) act on every generated token.
 */
public record GenerationRequest(String prompt, long[] ids, SamplingConfig sampling, Consumer<GeneratedToken> onToken, Hooks hooks) {

    public GenerationRequest(String prompt, long[] ids, SamplingConfig sampling, Consumer<GeneratedToken> onToken) {
        this(prompt, ids, sampling, onToken, null);
    }

    public GenerationRequest(String prompt, long[] ids, SamplingConfig sampling) {
        this(prompt, ids, sampling, null, null);
    }

    public static GenerationRequest of(String prompt, SamplingConfig sampling) {
        return new GenerationRequest(prompt, null, sampling);
    }

    public static GenerationRequest ofIds(long[] ids, SamplingConfig sampling) {
        return new GenerationRequest(null, ids, sampling);
    }

    /** This request, with {@code onToken} called as each token is chosen. */
    public GenerationRequest streaming(Consumer<GeneratedToken> onToken) {
        return new GenerationRequest(prompt, ids, sampling, onToken, hooks);
    }

    /** This request, with {@code hooks} on every forward call of the generation (prompt and decode steps). */
    public GenerationRequest withHooks(Hooks hooks) {
        return new GenerationRequest(prompt, ids, sampling, onToken, hooks);
    }
}
