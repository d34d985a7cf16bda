package dev.glassbox.inspect;
import dev.glassbox.hooks.HookChain;
import dev.glassbox.hooks.Interventions;
import dev.glassbox.hooks.ActivationCache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.hooks.Hooks;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hooks that intervene: ablation, identity, self-patching, steering. */
class InterventionsTest {

    static LanguageModel model;
    static long[] ids;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(Reference.model("fixtures/gpt2-tiny"));
        ids = Reference.longs(Reference.reference("fixtures/gpt2-tiny").get("results").get(0).get("input_ids"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static float[] logits(Hooks hooks) {
        try (NDManager m = model.manager().newSubManager()) {
            return model.forward(m, ids, hooks).toFloatArray();
        }
    }

    static List<String> allNames() {
        ModelConfig c = model.config();
        return HookNames.all(c.numLayers(), c.learnedPositions(), c.rope() != null, c.gatedMlp());
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void ablatingAHeadChangesTheLogits() {
        float[] clean = logits(null);
        float[] ablated = logits(new HookChain().add(Interventions.zeroAblateHead(1, 2)));
        assertTrue(maxDiff(clean, ablated) > 1e-3, "max change " + maxDiff(clean, ablated));
        // and the ablated head's output really is zero in the run
        try (ActivationCache cache = new ActivationCache(model.manager(), HookNames.block(1, "attn.z")::equals)) {
            logits(new HookChain().add(Interventions.zeroAblateHead(1, 2)).observe(cache));
            float[] z = cache.floats(HookNames.block(1, "attn.z")); // [1, T, H, d]
            int heads = model.config().numHeads();
            int d = model.config().headDim();
            for (int t = 0; t < ids.length; t++) {
                for (int j = 0; j < d; j++) {
                    assertEquals(0f, z[(t * heads + 2) * d + j]);
                }
            }
        }
    }

    /**
     * What a zero-ablation of head 2 in layer 1 touches, position by position: nothing before layer 1
     * (layer 0's residual output is identical), in layer 1 only head 2's z (every other head's z is
     * identical at every position), and from layer 1's attention output on, every position (each
     * position's head 2 output was non-zero in the clean run).
     */
    @Test
    void headAblationChangesOnlyThatHeadAndWhatFollowsIt() {
        String z1 = HookNames.block(1, "attn.z"), r0 = HookNames.block(0, "resid_post"), r1 = HookNames.block(1, "resid_mid");
        java.util.Set<String> names = java.util.Set.of(z1, r0, r1);
        try (ActivationCache clean = new ActivationCache(model.manager(), names::contains);
                ActivationCache ablated = new ActivationCache(model.manager(), names::contains)) {
            logits(new HookChain().observe(clean));
            logits(new HookChain().add(Interventions.zeroAblateHead(1, 2)).observe(ablated));
            assertEquals(0.0, maxDiff(clean.floats(r0), ablated.floats(r0)), "layer 0 is before the ablation");
            int heads = model.config().numHeads(), d = model.config().headDim(), width = model.config().hiddenSize();
            float[] zc = clean.floats(z1), za = ablated.floats(z1);
            float[] rc = clean.floats(r1), ra = ablated.floats(r1);
            for (int t = 0; t < ids.length; t++) {
                for (int h = 0; h < heads; h++) {
                    double change = 0, size = 0;
                    for (int j = 0; j < d; j++) {
                        int i = (t * heads + h) * d + j;
                        change = Math.max(change, Math.abs(zc[i] - za[i]));
                        size = Math.max(size, Math.abs(zc[i]));
                    }
                    if (h == 2) {
                        assertEquals(size, change, 0.0, "position " + t + ": head 2's z is set to zero");
                        assertTrue(size > 0, "position " + t + ": head 2 had an output to remove");
                    } else {
                        assertEquals(0.0, change, "position " + t + ", head " + h + " is not ablated");
                    }
                }
                double moved = 0;
                for (int j = 0; j < width; j++) {
                    moved = Math.max(moved, Math.abs(rc[t * width + j] - ra[t * width + j]));
                }
                assertTrue(moved > 1e-6, "position " + t + ": layer 1's residual after attention changes (" + moved + ")");
            }
        }
    }

    @Test
    void identityHooksOnEveryActivationChangeNothing() {
        float[] clean = logits(null);
        HookChain chain = new HookChain();
        for (String name : allNames()) {
            chain.add(name, x -> x);
        }
        int[] seen = {0};
        chain.observe((name, x) -> {
            seen[0]++;
            return x;
        });
        assertArrayEquals(clean, logits(chain)); // bit for bit
        assertEquals(allNames().size(), seen[0]);
    }

    @Test
    void patchingEveryActivationFromItsOwnRunChangesNothing() {
        float[] clean = logits(null);
        try (ActivationCache cache = model.runWithCache(ids, n -> true)) {
            HookChain chain = new HookChain();
            for (String name : allNames()) {
                if (!name.equals(HookNames.LOGITS)) { // logits are what is compared
                    chain.add(Interventions.replace(name, cache.get(name)));
                }
            }
            assertArrayEquals(clean, logits(chain));
            // patching one position of the residual stream from its own run: also nothing
            HookChain one = new HookChain().add(Interventions.patchPosition(HookNames.block(1, "resid_pre"), 3, cache.get(HookNames.block(1, "resid_pre")), 3));
            assertArrayEquals(clean, logits(one));
        }
    }

    @Test
    void aSteeringVectorShiftsTheLogits() {
        float[] clean = logits(null);
        int v = model.config().vocabSize();
        int last = ids.length - 1;
        // steer the last residual stream towards the unembedding row of a token the model finds unlikely
        float[] row = new float[v];
        System.arraycopy(clean, last * v, row, 0, v);
        int target = 0;
        for (int i = 0; i < v; i++) {
            if (row[i] < row[target]) {
                target = i;
            }
        }
        float[] u = Geometry.embeddingRow(model, target); // tied: the unembedding row
        int layers = model.config().numLayers();
        float[] steered = logits(new HookChain().add(Interventions.steer(HookNames.block(layers - 1, "resid_post"), u, 20f)));
        assertTrue(maxDiff(clean, steered) > 1e-2);
        float[] srow = new float[v];
        System.arraycopy(steered, last * v, srow, 0, v);
        double before = Distributions.of(row, target, TokenLabels.idsOnly()).logprob();
        double after = Distributions.of(srow, target, TokenLabels.idsOnly()).logprob();
        assertTrue(after > before + 1, "log-prob of the steered-to token: " + before + " -> " + after);
        // a zero vector steers nowhere
        assertArrayEquals(clean, logits(new HookChain().add(Interventions.steer(HookNames.block(0, "resid_post"), new float[model.config().hiddenSize()], 1f))));
    }
}
