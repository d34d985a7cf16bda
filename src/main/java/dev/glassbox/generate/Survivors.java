package dev.glassbox.generate;

import java.util.List;

/**
 * Which tokens survive the processors at one step, for an inspection view.
 *
 * @param tokens survivors by renormalised probability, descending (lower id first on ties); possibly
 *     only the first few if a limit was asked for
 * @param keptCount how many tokens survived in all (can exceed tokens.size() under a limit)
 * @param greedyTokenId what greedy decoding picks: the argmax of the processed logits, first id on ties
 */
public record Survivors(List<Survivor> tokens, int keptCount, long greedyTokenId) {

    public Survivors {
        tokens = List.copyOf(tokens);
    }
}
