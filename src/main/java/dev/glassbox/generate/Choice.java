package dev.glassbox.generate;

import java.util.List;

/**
 * The token picked at one decoding step, with what is needed to explain it.
 *
 * @param tokenId the chosen token id
 * @param logprob log-softmax of the raw logits at tokenId (the model's own belief, before any
 *     processor)
 * @param processedProb the probability under the processed distribution it was sampled from; 1.0 for
 *     greedy decoding
 * @param alternatives the top tokens of the raw distribution, most likely first (may include tokenId)
 * @param keptCount how many tokens survived the processors (finite processed logits); the whole
 *     vocabulary for greedy decoding, where no warper runs
 */
public record Choice(
        long tokenId, double logprob, double processedProb, List<Alternative> alternatives, int keptCount) {

    public Choice {
        alternatives = List.copyOf(alternatives);
    }
}
