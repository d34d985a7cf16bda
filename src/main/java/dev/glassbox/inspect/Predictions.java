package dev.glassbox.inspect;

import dev.glassbox.LanguageModel;
import java.util.ArrayList;
import java.util.List;

/**
 * What the model predicts at every position of a sequence: the top-k next tokens with their
 * probabilities and log-probs, the entropy of the distribution, and how it rated the token that
 * actually follows.
 */
public final class Predictions {

    /**
     * The prediction made at one position (for the token at {@code position + 1}).
     *
     * @param position index in the sequence
     * @param tokenId the token at this position
     * @param token its text
     * @param top the k most likely next tokens, most likely first
     * @param entropy entropy of the next-token distribution, in nats (0 = certain, ln V = uniform)
     * @param next the token that actually follows, with its rank and probability; null at the
     *     last position
     */
    public record Position(int position, long tokenId, String token, List<TokenProb> top, double entropy, TokenProb next) {
        public Position {
            top = List.copyOf(top);
        }
    }

    private Predictions() {}

    /** Runs {@code ids} through {@code model} and describes the prediction at every position. */
    public static List<Position> analyze(LanguageModel model, long[] ids, int k) {
        return of(model.logits(ids), ids, k, new TokenLabels(model.tokenizer()));
    }

    /** The same, from logits already computed ([T][V], one row per position of {@code ids}). */
    public static List<Position> of(float[][] logits, long[] ids, int k, TokenLabels labels) {
        if (logits.length != ids.length) {
            throw new IllegalArgumentException(logits.length + " logits rows for " + ids.length + " ids");
        }
        List<Position> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            out.add(at(logits[i], ids, i, k, labels));
        }
        return out;
    }

    /** The prediction at position {@code i} of {@code ids}, whose logits row is {@code row}. */
    public static Position at(float[] row, long[] ids, int i, int k, TokenLabels labels) {
        TokenProb next = i + 1 < ids.length ? Distributions.of(row, ids[i + 1], labels) : null;
        return new Position(i, ids[i], labels.text(ids[i]), Distributions.top(row, k, labels), Distributions.entropy(row), next);
    }
}
