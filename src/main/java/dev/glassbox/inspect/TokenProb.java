package dev.glassbox.inspect;

/**
 * One vocabulary entry of a next-token distribution.
 *
 * @param id token id
 * @param text the token as text ({@link TokenLabels#text}), "#id" without a tokenizer
 * @param logit its logit
 * @param prob softmax probability
 * @param logprob log of {@code prob} (natural log), computed in double as logit − logsumexp
 * @param rank 1 for the most likely token; 1 + the number of tokens with a strictly larger logit
 */
public record TokenProb(long id, String text, float logit, double prob, double logprob, int rank) {}
