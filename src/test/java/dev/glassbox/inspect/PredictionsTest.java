package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Per-position predictions against transformers' reference.json. */
class PredictionsTest {

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "models/stories260K"})
    void topTokensNextTokenAndEntropyMatchTheReference(String dir) {
        JsonNode ref = Reference.reference(dir);
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int vocab = model.config().vocabSize();
            for (JsonNode r : ref.get("results")) {
                long[] ids = Reference.longs(r.get("input_ids"));
                List<Predictions.Position> ps = Predictions.analyze(model, ids, 5);
                assertEquals(ids.length, ps.size());
                float[] next = Reference.floats(r.get("next_token_logprobs"));
                for (int i = 0; i < ids.length; i++) {
                    Predictions.Position p = ps.get(i);
                    assertEquals(i, p.position());
                    assertEquals(ids[i], p.tokenId());
                    JsonNode rp = r.get("positions").get(i);
                    long[] topIds = Reference.longs(rp.get("topk_ids"));
                    float[] topLp = Reference.floats(rp.get("topk_logprobs"));
                    for (int j = 0; j < 5; j++) {
                        TokenProb tp = p.top().get(j);
                        assertEquals(topLp[j], tp.logprob(), 1e-4 * Math.max(1, Math.abs(topLp[j])));
                        assertEquals(Math.exp(tp.logprob()), tp.prob(), 1e-12);
                        if (!nearTie(topLp, j)) {
                            assertEquals(topIds[j], tp.id(), dir + " position " + i + " rank " + (j + 1));
                        }
                    }
                    assertTrue(p.entropy() >= 0 && p.entropy() <= Math.log(vocab) + 1e-9);
                    if (i + 1 < ids.length) {
                        TokenProb n = p.next();
                        assertEquals(ids[i + 1], n.id());
                        assertEquals(next[i], n.logprob(), 1e-4 * Math.max(1, Math.abs(next[i])));
                        int expectedRank = -1;
                        for (int j = 0; j < 5; j++) {
                            if (topIds[j] == ids[i + 1]) {
                                expectedRank = j + 1;
                            }
                        }
                        if (expectedRank > 0 && !nearTie(topLp, expectedRank - 1)) {
                            assertEquals(expectedRank, n.rank());
                        } else if (expectedRank < 0 && next[i] < topLp[4] - 1e-3) {
                            assertTrue(n.rank() > 5, "rank " + n.rank());
                        }
                    } else {
                        assertNull(p.next());
                    }
                }
                // Entropy of the last position, computed here from the reference logits.
                float[] last = Reference.floats(r.get("last_logits"));
                double max = Double.NEGATIVE_INFINITY;
                for (float v : last) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (float v : last) {
                    z += Math.exp(v - max);
                }
                double h = 0;
                for (float v : last) {
                    double q = Math.exp(v - max) / z;
                    if (q > 0) {
                        h -= q * Math.log(q);
                    }
                }
                assertEquals(h, ps.get(ids.length - 1).entropy(), 1e-4 * Math.max(1, h));
            }
        }
    }

    /** Whether entry j's log-prob is within float noise of a neighbour's (order may differ then). */
    static boolean nearTie(float[] lp, int j) {
        return (j > 0 && Math.abs(lp[j] - lp[j - 1]) < 2e-4) || (j + 1 < lp.length && Math.abs(lp[j] - lp[j + 1]) < 2e-4);
    }
}
