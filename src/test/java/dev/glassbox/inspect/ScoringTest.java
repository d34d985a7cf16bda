package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Per-position top-5, next-token log-probs and perplexity against transformers' reference.json. */
class ScoringTest {

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "models/stories260K"})
    void topTokensNextTokenAndPerplexityMatchTheReference(String dir) {
        JsonNode ref = Reference.reference(dir);
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            for (JsonNode r : ref.get("results")) {
                long[] ids = Reference.longs(r.get("input_ids"));
                Scoring.Result res = model.score(ids);
                assertEquals(ids.length, res.positions().size());
                for (int i = 0; i < ids.length; i++) {
                    JsonNode rp = r.get("positions").get(i);
                    long[] topIds = Reference.longs(rp.get("topk_ids"));
                    float[] topLp = Reference.floats(rp.get("topk_logprobs"));
                    Scoring.Position p = res.positions().get(i);
                    for (int j = 0; j < 5; j++) {
                        assertEquals(topLp[j], p.topkLogprobs()[j], 1e-4 * Math.max(1, Math.abs(topLp[j])), dir + " position " + i);
                        if (!nearTie(topLp, j)) {
                            assertEquals(topIds[j], p.topkIds()[j], dir + " position " + i + " rank " + (j + 1));
                        }
                    }
                }
                float[] next = Reference.floats(r.get("next_token_logprobs"));
                for (int i = 0; i < next.length; i++) {
                    assertEquals(next[i], res.nextTokenLogprobs()[i], 1e-4 * Math.max(1, Math.abs(next[i])), dir + " next " + i);
                }
                double ppl = r.get("perplexity").asDouble();
                assertEquals(ppl, res.perplexity(), 1e-4 * ppl, dir + " perplexity");
            }
        }
    }

    /** Rank j's log-prob is within 1e-5 of a neighbour's: the order there is float noise. */
    private static boolean nearTie(float[] lp, int j) {
        return (j > 0 && Math.abs(lp[j] - lp[j - 1]) < 1e-5) || (j + 1 < lp.length && Math.abs(lp[j] - lp[j + 1]) < 1e-5);
    }
}
