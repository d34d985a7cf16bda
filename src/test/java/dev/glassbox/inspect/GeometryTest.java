package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.hooks.HookNames;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GeometryTest {

    /** For the final norm's output, alignment by dot product is the logits. */
    @Test
    void unembeddingAlignmentOfTheFinalHiddenStateIsTheTopLogits() {
        String dir = "models/stories260K";
        JsonNode r = Reference.reference(dir).get("results").get(0);
        long[] ids = Reference.longs(r.get("input_ids"));
        int last = ids.length - 1;
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int layers = model.config().numLayers();
            float[] h = Reference.floats(r.get("hidden_states_last").get(layers)); // after the final norm
            Geometry.Alignment a = Geometry.unembeddingAlignment(model, h, 5);
            long[] topIds = Reference.longs(r.get("positions").get(last).get("topk_ids"));
            float[] topLogits = Reference.floats(r.get("positions").get(last).get("topk_logits"));
            assertEquals(5, a.byDot().size());
            assertEquals(topIds[0], a.byDot().get(0).id());
            for (int j = 0; j < 5; j++) {
                assertEquals(topLogits[j], a.byDot().get(j).dot(), 1e-3 * Math.max(1, Math.abs(topLogits[j])));
            }
            // cosines, by hand from the unembedding matrix
            int d = model.config().hiddenSize();
            float[] e = model.block().unembedding().toFloatArray();
            int v = e.length / d;
            double hn = 0;
            for (float x : h) {
                hn += x * x;
            }
            double[] cos = new double[v];
            for (int t = 0; t < v; t++) {
                double dot = 0;
                double n = 0;
                for (int i = 0; i < d; i++) {
                    dot += h[i] * e[t * d + i];
                    n += e[t * d + i] * e[t * d + i];
                }
                cos[t] = dot / Math.sqrt(n * hn);
            }
            int[] order = IntStream.range(0, v).boxed().sorted(Comparator.comparingDouble(t -> -cos[t])).mapToInt(Integer::intValue).toArray();
            assertEquals(order[0], a.byCosine().get(0).id());
            for (int j = 0; j < 5; j++) {
                assertEquals(cos[order[j]], a.byCosine().get(j).cosine(), 1e-5);
            }
            // through the cache as well: ln_final at the last position
            try (ActivationCache cache = model.runWithCache(ids, HookNames.LN_FINAL::equals)) {
                float[] mine = Arrays.copyOfRange(cache.floats(HookNames.LN_FINAL), last * d, (last + 1) * d);
                assertEquals(topIds[0], Geometry.unembeddingAlignment(model, mine, 1).byDot().get(0).id());
            }
        }
    }

    @Test
    void nearestInputEmbeddingsByCosine() {
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/gpt2-tiny"))) {
            long id = 42;
            List<Geometry.Neighbour> withSelf = Geometry.nearestEmbeddings(model, id, 4, true);
            assertEquals(id, withSelf.get(0).id());
            assertEquals(1.0, withSelf.get(0).cosine(), 1e-5);
            List<Geometry.Neighbour> others = Geometry.nearestEmbeddings(model, id, 3, false);
            assertFalse(others.stream().anyMatch(n -> n.id() == id));
            assertEquals(withSelf.subList(1, 4).stream().map(Geometry.Neighbour::id).toList(),
                    others.stream().map(Geometry.Neighbour::id).toList());
            // by hand
            int d = model.config().hiddenSize();
            float[] e = model.block().embed().getArray().toFloatArray();
            float[] row = Geometry.embeddingRow(model, id);
            assertTrue(Arrays.equals(Arrays.copyOfRange(e, (int) id * d, (int) (id + 1) * d), row));
            int v = e.length / d;
            double best = -2;
            int bestId = -1;
            for (int t = 0; t < v; t++) {
                if (t == id) {
                    continue;
                }
                double dot = 0;
                double a = 0;
                double b = 0;
                for (int i = 0; i < d; i++) {
                    dot += row[i] * e[t * d + i];
                    a += row[i] * row[i];
                    b += e[t * d + i] * e[t * d + i];
                }
                double c = dot / Math.sqrt(a * b);
                if (c > best) {
                    best = c;
                    bestId = t;
                }
            }
            assertEquals(bestId, others.get(0).id());
            assertEquals(best, others.get(0).cosine(), 1e-5);
            assertTrue(others.get(0).cosine() >= others.get(1).cosine());
        }
    }
}
