package dev.glassbox.generate;

import java.util.List;

/**
 * What a generation produced.
 *
 * @param inputIds the prompt ids
 * @param ids the new ids only
 * @param text the new text (cut before a stop string), or "" without a tokenizer
 * @param tokens every new token with its log-probability and alternatives
 * @param stopReason why it ended; its {@link StopReason#jsonName()} is what the CLI prints
 * @param prefillMs time to run the prompt
 * @param decodeMs time for the tokens after the first
 */
public record GenerationResult(
        long[] inputIds, long[] ids, String text, List<GeneratedToken> tokens, StopReason stopReason,
        double prefillMs, double decodeMs) {

    /** Decode speed: tokens after the first, per second. */
    public double decodeTokensPerSecond() {
        int n = ids.length - 1;
        return n <= 0 || decodeMs <= 0 ? 0 : n / (decodeMs / 1000.0);
    }

    public double sumLogprob() {
        return tokens.stream().mapToDouble(GeneratedToken::logprob).sum();
    }
}
