package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.Reference;
import dev.glassbox.generate.SamplingConfig;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The decoding view over a real next-token distribution (stories260K's reference logits). */
class DecodingViewTest {

    static final float[] LOGITS = Reference.floats(Reference.reference("models/stories260K").get("results").get(0).get("last_logits"));
    static final long[] CONTEXT = {1, 2, 3};
    static final TokenLabels IDS = TokenLabels.idsOnly();

    /** Ids by logit, descending. */
    static int[] order() {
        return IntStream.range(0, LOGITS.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -LOGITS[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    static double[] softmax(int[] ids, double temperature) {
        double max = LOGITS[ids[0]] / temperature;
        double[] p = new double[ids.length];
        double z = 0;
        for (int i = 0; i < ids.length; i++) {
            p[i] = Math.exp(LOGITS[ids[i]] / temperature - max);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    @Test
    void topKSurvivorsAreRenormalised() {
        SamplingConfig cfg = SamplingConfig.builder().temperature(0.7).topK(5).seed(11L).build();
        DecodingView.Result r = DecodingView.explain(cfg, LOGITS, CONTEXT, 10, IDS);
        int[] top5 = Arrays.copyOf(order(), 5);
        double[] p = softmax(top5, 0.7);
        assertEquals(5, r.keptCount());
        assertEquals(5, r.survivors().size());
        for (int i = 0; i < 5; i++) {
            assertEquals(top5[i], r.survivors().get(i).id());
            assertEquals(p[i], r.survivors().get(i).prob(), 1e-6);
        }
        assertEquals(top5[0], r.greedyId());
        assertTrue(Arrays.stream(top5).anyMatch(i -> i == r.chosenId()));
        double chosenP = r.survivors().stream().filter(c -> c.id() == r.chosenId()).findFirst().orElseThrow().prob();
        assertEquals(chosenP, r.chosenProb(), 1e-6);
        assertEquals(11L, r.seed());
        // the same seed picks the same token
        assertEquals(r.chosenId(), DecodingView.explain(cfg, LOGITS, CONTEXT, 10, IDS).chosenId());
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        SamplingConfig cfg = SamplingConfig.builder().topP(0.9).seed(3L).build();
        DecodingView.Result r = DecodingView.explain(cfg, LOGITS, CONTEXT, 1000, IDS);
        int[] all = order();
        double[] p = softmax(all, 1.0);
        double cum = 0;
        int n = 0;
        while (cum < 0.9) {
            cum += p[n++];
        }
        assertEquals(n, r.keptCount());
        double[] renorm = softmax(Arrays.copyOf(all, n), 1.0);
        for (int i = 0; i < n; i++) {
            assertEquals(all[i], r.survivors().get(i).id());
            assertEquals(renorm[i], r.survivors().get(i).prob(), 1e-6);
            assertEquals(p[i], r.survivors().get(i).rawProb(), 1e-6);
        }
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        SamplingConfig cfg = SamplingConfig.builder().minP(0.05).seed(5L).build();
        DecodingView.Result r = DecodingView.explain(cfg, LOGITS, CONTEXT, 1000, IDS);
        int[] all = order();
        double[] p = softmax(all, 1.0);
        int n = 0;
        while (n < p.length && p[n] >= 0.05 * p[0]) {
            n++;
        }
        assertEquals(n, r.keptCount());
        assertEquals(1.0, r.survivors().stream().mapToDouble(DecodingView.Candidate::prob).sum(), 1e-6);
    }

    @Test
    void greedyPicksTheArgmax() {
        SamplingConfig cfg = SamplingConfig.builder().greedy(true).build();
        DecodingView.Result r = DecodingView.explain(cfg, LOGITS, CONTEXT, 5, IDS);
        assertTrue(r.greedy());
        assertEquals(order()[0], r.chosenId());
        assertEquals(order()[0], r.greedyId());
        assertEquals(1.0, r.chosenProb());
        assertEquals(LOGITS.length, r.keptCount());
        assertEquals(softmax(order(), 1.0)[0], r.chosenRawProb(), 1e-6);
    }
}
