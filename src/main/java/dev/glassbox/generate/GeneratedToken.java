package dev.glassbox.generate;

import java.util.List;

/**
 * One generated token and why it was chosen.
 *
 * @param step 0 for the first new token
 * @param id the token id
 * @param token the token as text on its own (e.g. " world"), or null without a tokenizer
 * @param text the text this token completed in the stream (may be "" mid-character)
 * @param logprob the model's log-probability of the token (raw logits, before processors)
 * @param sampledProb its probability in the processed distribution it was drawn from
 * @param alternatives the most likely tokens at this step under the raw distribution
 * @param keptCount how many tokens survived top-k / top-p / min-p
 */
public record GeneratedToken(
        int step, long id, String token, String text, double logprob, double sampledProb,
        List<Alternative> alternatives, int keptCount) {}
