package dev.glassbox.generate;

/**
 * One of the most likely tokens under the raw (unprocessed) distribution at a step.
 *
 * @param tokenId the token id
 * @param logprob log-softmax of the raw logits at this id
 * @param prob exp(logprob)
 * @param logit the raw logit
 */
public record Alternative(long tokenId, double logprob, double prob, float logit) {}
