package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttentionAnalysisTest {

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "models/stories260K", "fixtures/llama-gqa", "fixtures/gemma2-tiny",
        "fixtures/qwen3-tiny", "fixtures/mixtral-tiny", "fixtures/qwen2-moe-tiny", "glassbox-fixtures/mixtral-top1-window-tiny"})
    void lastLayerPatternsAndFocusMatchTheReference(String dir) {
        JsonNode r = Reference.reference(dir).get("results").get(1);
        long[] ids = Reference.longs(r.get("input_ids"));
        int t = ids.length;
        JsonNode att = r.get("last_layer_attentions");
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int layers = model.config().numLayers();
            int heads = model.config().numHeads();
            AttentionAnalysis.Result res = AttentionAnalysis.run(model, ids);
            assertEquals(layers, res.layers());
            assertEquals(heads, res.heads());
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < heads; h++) {
                    float[][] p = res.pattern(l, h);
                    assertEquals(t, p.length);
                    for (int q = 0; q < t; q++) {
                        double sum = 0;
                        for (int s = 0; s < t; s++) {
                            sum += p[q][s];
                            if (s > q) {
                                assertEquals(0f, p[q][s], "causal: layer " + l + " head " + h);
                            }
                        }
                        assertEquals(1.0, sum, 1e-5);
                    }
                }
            }
            float[][][] last = res.patterns()[layers - 1];
            for (int h = 0; h < heads; h++) {
                for (int q = 0; q < t; q++) {
                    float[] row = Reference.floats(att.get(h).get(q));
                    for (int s = 0; s < t; s++) {
                        assertEquals(row[s], last[h][q][s], 1e-4, dir + " head " + h + " query " + q + " key " + s);
                    }
                }
            }
            // Where the middle position looks, computed here from the reference rows.
            int pos = t / 2;
            AttentionAnalysis.Focus f = AttentionAnalysis.focus(res, layers - 1, pos, 3, new TokenLabels(model.tokenizer()));
            assertEquals(heads, f.perHead().size());
            double[] mean = new double[t];
            for (int h = 0; h < heads; h++) {
                float[] row = Reference.floats(att.get(h).get(pos));
                int best = 0;
                for (int s = 0; s < t; s++) {
                    mean[s] += row[s] / heads;
                    if (row[s] > row[best]) {
                        best = s;
                    }
                }
                AttentionAnalysis.Source top = f.perHead().get(h).get(0);
                assertEquals(row[best], top.weight(), 1e-4);
                assertEquals(ids[top.position()], top.tokenId());
                assertTrue(top.position() <= pos);
            }
            int best = 0;
            for (int s = 0; s <= pos; s++) {
                if (mean[s] > mean[best]) {
                    best = s;
                }
            }
            assertEquals(mean[best], f.averaged().get(0).weight(), 1e-4);
            assertEquals(3, f.averaged().size());
            assertTrue(f.averaged().get(0).weight() >= f.averaged().get(1).weight());
        }
    }
}
