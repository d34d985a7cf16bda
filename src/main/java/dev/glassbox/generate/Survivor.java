package dev.glassbox.generate;

/**
 * A token that survived the processors at one step.
 *
 * @param tokenId the token id
 * @param prob its renormalised probability among the survivors (softmax of the processed logits)
 * @param processedLogit its logit after the processors
 * @param rawLogprob log-softmax of the raw logits at this id, for comparison
 */
public record Survivor(long tokenId, double prob, float processedLogit, double rawLogprob) {}
