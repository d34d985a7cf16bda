package dev.glassbox.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Left-padded batches against transformers' batched runs (batch_reference.json): every row's last
 * logits, per-position log-probs and top-5, and 12 greedy tokens generated as one batch, equal
 * transformers' batched row and its single run.
 */
class BatchParityTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "fixtures/llama-tied", "fixtures/mistral-tiny"})
    void batchedRowsEqualTransformersBatchedAndSingleRuns(String dir) {
        JsonNode ref = Reference.json(Reference.model(dir).resolve("batch_reference.json"));
        JsonNode rows = ref.get("batch").get("rows");
        List<long[]> prompts = new ArrayList<>();
        for (JsonNode r : rows) {
            prompts.add(Reference.longs(r.get("prompt")));
        }
        assertTrue(prompts.stream().mapToInt(p -> p.length).distinct().count() > 1, "the reference batch mixes lengths");
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            float[][] last = model.lastLogits(prompts);
            List<Scoring.Result> scored = model.scoreBatch(prompts);
            for (int i = 0; i < prompts.size(); i++) {
                JsonNode row = rows.get(i);
                JsonNode single = ref.get("single").get(i);
                String where = dir + " row " + i + " (" + prompts.get(i).length + " tokens)";
                assertClose(Reference.floats(row.get("last_logits")), last[i], where + " last logits vs batched");
                assertClose(Reference.floats(single.get("last_logits")), last[i], where + " last logits vs single");
                assertClose(Reference.floats(row.get("last_logits")), scored.get(i).lastLogits(), where + " scored last logits");
                float[] next = Reference.floats(row.get("next_token_logprobs"));
                assertEquals(next.length, scored.get(i).nextTokenLogprobs().length, where);
                for (int p = 0; p < next.length; p++) {
                    assertEquals(next[p], scored.get(i).nextTokenLogprobs()[p], TOL * Math.max(1, Math.abs(next[p])), where + " position " + p);
                }
                JsonNode positions = row.get("positions");
                for (int p = 0; p < positions.size(); p++) {
                    float[] topLp = Reference.floats(positions.get(p).get("topk_logprobs"));
                    long[] topIds = Reference.longs(positions.get(p).get("topk_ids"));
                    Scoring.Position mine = scored.get(i).positions().get(p);
                    for (int k = 0; k < topLp.length; k++) {
                        assertEquals(topLp[k], mine.topkLogprobs()[k], TOL * Math.max(1, Math.abs(topLp[k])), where + " top-" + k + " at " + p);
                    }
                    assertEquals(topIds[0], mine.topkIds()[0], where + " top-1 id at " + p);
                }
            }
            SamplingConfig greedy = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(12).alternatives(5).build();
            List<GenerationResult> gen = model.generateBatch(prompts, greedy);
            for (int i = 0; i < prompts.size(); i++) {
                JsonNode g = rows.get(i).get("generate");
                String where = dir + " generated row " + i;
                assertArrayEquals(Reference.longs(g.get("ids")), gen.get(i).ids(), where + " vs transformers' batch");
                assertArrayEquals(Reference.longs(ref.get("single").get(i).get("generate").get("ids")), gen.get(i).ids(), where + " vs single");
                for (int s = 0; s < 12; s++) {
                    float[] lps = Reference.floats(g.get("steps").get(s).get("topk_logprobs"));
                    var alts = gen.get(i).tokens().get(s).alternatives();
                    for (int k = 0; k < lps.length; k++) {
                        assertEquals(lps[k], alts.get(k).logprob(), TOL * Math.max(1, Math.abs(lps[k])), where + " step " + s + " alt " + k);
                    }
                }
            }
        }
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int v = 0; v < expected.length; v++) {
            worst = Math.max(worst, Math.abs(expected[v] - actual[v]) / Math.max(1.0, Math.abs(expected[v])));
        }
        assertTrue(worst < TOL, what + ": worst error " + worst);
    }
}
