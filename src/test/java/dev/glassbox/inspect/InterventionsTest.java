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
