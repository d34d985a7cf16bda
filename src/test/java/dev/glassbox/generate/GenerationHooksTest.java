package dev.glassbox.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.ModelLocator;
import dev.glassbox.djl.GenerationRequest;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.GenerationTrace;
import dev.glassbox.hooks.HookChain;
import dev.glassbox.hooks.Interventions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hooks across generation on the bundled model: steering with the KV cache against steered
 * recomputation of the whole sequence, the activations recorded at every step against a
 * runWithCache of the final sequence, and what a head ablation changes and leaves alone.
 */
class GenerationHooksTest {

    static final Path DIR = Path.of("model-zoo", ModelLocator.DEFAULT_MODEL);
    static LanguageModel model;
    static long[] prompt;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(DIR);
        prompt = model.toTokens("And God said, Let there be");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SamplingConfig greedy(int n) {
        return SamplingConfig.builder().greedy(true).maxNewTokens(n).stopAtEos(false).build();
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void steeredGenerationWithCacheEqualsSteeredRecomputation() {
        float[] v = new float[model.config().hiddenSize()];
        Random r = new Random(7);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        HookChain steer = new HookChain().add(Interventions.steer("blocks.1.resid_post", v, 3f));
        int n = 12;
        long[] steered = model.generate(GenerationRequest.ofIds(prompt, greedy(n)).withHooks(steer)).ids();
        long[] plain = model.generate(prompt, greedy(n)).ids();
        assertFalse(Arrays.equals(steered, plain), "the steering vector should change the greedy continuation");

        long[] seq = prompt.clone();
        for (int i = 0; i < n; i++) { // full re-forward of the growing sequence with the same hooks
            float[][] logits = model.runWithHooks(seq, steer);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = argmax(logits[logits.length - 1]);
        }
        assertArrayEquals(Arrays.copyOfRange(seq, prompt.length, seq.length), steered);
    }

    @Test
    void recordedActivationsPerStepEqualRunWithCacheOfTheFinalSequence() {
        String[] names = {"blocks.0.resid_post", "blocks.3.attn.z", "blocks.2.mlp.out", "embed"};
        GenerationTrace trace = GenerationTrace.of(names);
        int n = 8;
        GenerationResult res = model.generate(GenerationRequest.ofIds(prompt, greedy(n)).withHooks(trace));
        assertEquals(n, res.ids().length);
        assertEquals(n, trace.calls("embed").size()); // the prompt's call, then one per step but the last token's
        long[] all = new long[prompt.length + n];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(res.ids(), 0, all, prompt.length, n);
        long[] run = Arrays.copyOf(all, all.length - 1); // every position that went through the model
        try (ActivationCache cache = model.runWithCache(run, names)) {
            for (String name : names) {
                float[][] rows = trace.rows(name);
                assertEquals(run.length, rows.length, name);
                float[] full = cache.floats(name);
                int w = full.length / run.length;
                for (int p = 0; p < run.length; p++) {
                    float[] expected = Arrays.copyOfRange(full, p * w, (p + 1) * w);
                    assertClose(expected, rows[p], 2e-4, name + " at position " + p);
                }
            }
        }
    }

    @Test
    void headAblationZeroesThatHeadAndChangesOnlyLaterLayers() {
        int layer = 2;
        int head = 1;
        int heads = model.config().numHeads();
        String[] names = {"blocks.0.attn.z", "blocks.1.resid_post", "blocks.2.attn.z", "blocks.2.resid_post", "blocks.3.resid_post"};
        GenerationTrace ablated = GenerationTrace.of(names);
        HookChain chain = new HookChain().add(Interventions.zeroAblateHead(layer, head)).observe(ablated);
        int n = 6;
        GenerationResult res = model.generate(GenerationRequest.ofIds(prompt, greedy(n)).withHooks(chain));
        long[] run = new long[prompt.length + n - 1];
        System.arraycopy(prompt, 0, run, 0, prompt.length);
        System.arraycopy(res.ids(), 0, run, prompt.length, n - 1);
        try (ActivationCache clean = model.runWithCache(run, names)) {
            // Earlier layers: unchanged.
            for (String name : new String[] {"blocks.0.attn.z", "blocks.1.resid_post"}) {
                assertClose(clean.floats(name), flat(ablated.rows(name)), 2e-4, name);
            }
            // The ablated layer's z: that head exactly zero, the other heads unchanged.
            float[] z = flat(ablated.rows("blocks.2.attn.z"));
            float[] zClean = clean.floats("blocks.2.attn.z");
            int d = model.config().headDim();
            for (int p = 0; p < run.length; p++) {
                for (int h = 0; h < heads; h++) {
                    int at = (p * heads + h) * d;
                    float[] got = Arrays.copyOfRange(z, at, at + d);
                    if (h == head) {
                        assertArrayEquals(new float[d], got, 0f, "ablated head at position " + p);
                    } else {
                        assertClose(Arrays.copyOfRange(zClean, at, at + d), got, 2e-4, "head " + h + " at position " + p);
                    }
                }
            }
            // From the ablated layer's output on: changed.
            for (String name : new String[] {"blocks.2.resid_post", "blocks.3.resid_post"}) {
                assertTrue(maxDiff(clean.floats(name), flat(ablated.rows(name))) > 1e-2, name + " should change");
            }
        }
    }

    static float[] flat(float[][] rows) {
        int w = rows[0].length;
        float[] out = new float[rows.length * w];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * w, w);
        }
        return out;
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        double m = maxDiff(expected, actual);
        assertTrue(m <= tol, what + ": max difference " + m + " > " + tol);
    }
}
