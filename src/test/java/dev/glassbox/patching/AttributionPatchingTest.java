package dev.glassbox.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.Hooks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attribution patching is the directional derivative of the metric along (clean − corrupt) at
 * one cell: checked against central finite differences of runs built by hand, and compared with
 * exact patching (the correlation is printed for the README).
 */
class AttributionPatchingTest {

    static final long[] CLEAN = ActivationPatchingTest.CLEAN;
    static final long[] CORRUPT = ActivationPatchingTest.CORRUPT;

    /** The corrupt run with the cell moved ε of the way towards the clean value. */
    static Hooks interpolate(String name, NDArray clean, NDArray corrupt, int position, int head, float eps) {
        return (n, x) -> {
            if (!n.equals(name)) {
                return x;
            }
            NDArray out = x.duplicate();
            NDIndex at = head < 0 ? new NDIndex("0, {}", position) : new NDIndex("0, {}, {}", position, head);
            NDArray c = corrupt.get(at);
            out.set(at, c.add(clean.get(at).sub(c).mul(eps)));
            return out;
        };
    }

    @ParameterizedTest
    @CsvSource({"gpt2-tiny, blocks.1.resid_pre, RESID_PRE, 1, -1", "gpt2-tiny, blocks.2.attn.z, HEAD_OUT, 5, 2", "gpt2-tiny, blocks.0.attn.z, HEAD_OUT, 4, 1",
        "llama-gqa, blocks.0.mlp.out, MLP_OUT, 4, -1", "llama-gqa, blocks.1.attn.z, HEAD_OUT, 5, 5",
        "gemma2-tiny, blocks.0.ln1_post, ATTN_OUT, 4, -1", "gemma2-tiny, blocks.1.ln2_post, MLP_OUT, 5, -1"})
    void matchesFiniteDifferences(String fixture, String name, String grid, int position, int head) {
        try (LanguageModel model = ActivationPatchingTest.load(fixture)) {
            long target = 5;
            long baseline = 9;
            PatchResult r = AttributionPatching.sweep(model, PatchSpec.of(CLEAN, CORRUPT, target, baseline));
            int layer = Integer.parseInt(name.split("\\.")[1]);
            double estimate = r.grids().get(PatchGrid.valueOf(grid))[layer][Math.max(head, 0)][position] - r.corruptMetric();
            try (ActivationCache clean = model.runWithCache(CLEAN, name); ActivationCache corrupt = model.runWithCache(CORRUPT, name)) {
                float eps = 0.01f;
                double plus = ActivationPatchingTest.metric(model, CORRUPT,
                        interpolate(name, clean.get(name), corrupt.get(name), position, head, eps), target, baseline);
                double minus = ActivationPatchingTest.metric(model, CORRUPT,
                        interpolate(name, clean.get(name), corrupt.get(name), position, head, -eps), target, baseline);
                double fd = (plus - minus) / (2 * eps);
                assertTrue(Math.abs(fd) > 1e-3, "the cell must matter for the check to mean something: " + fd);
                assertEquals(fd, estimate, 2e-3 + 2e-2 * Math.abs(fd), fixture + " " + name + " at " + position + "/" + head);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"gpt2-tiny", "llama-gqa", "mistral-tiny"})
    void correlatesWithExactPatching(String fixture) {
        try (LanguageModel model = ActivationPatchingTest.load(fixture)) {
            PatchSpec spec = PatchSpec.of(CLEAN, CORRUPT, 5, 9);
            PatchResult exact = ActivationPatching.sweep(model, spec);
            PatchResult approx = AttributionPatching.sweep(model, spec);
            assertEquals(exact.cleanMetric(), approx.cleanMetric(), 1e-4);
            assertEquals(exact.corruptMetric(), approx.corruptMetric(), 1e-4);
            StringBuilder line = new StringBuilder("attribution vs exact patching, " + fixture + ":");
            for (PatchGrid g : PatchGrid.values()) {
                line.append(String.format(" %s r=%.3f", g.jsonName(), pearson(exact.grids().get(g), approx.grids().get(g))));
            }
            System.out.println(line);
        }
    }

    static double pearson(float[][][] a, float[][][] b) {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                for (int k = 0; k < a[i][j].length; k++) {
                    double x = a[i][j][k];
                    double y = b[i][j][k];
                    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; n++;
                }
            }
        }
        double cov = sab / n - sa / n * sb / n;
        return cov / Math.sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
    }
}
