package dev.glassbox.patching;

import ai.djl.ndarray.NDArray;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.Half;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.HookNames;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Attribution patching: the first-order estimate of every activation-patching cell from one clean
 * forward and one corrupt forward + backward. The estimated change of the metric from patching a
 * cell is (clean activation − corrupt activation) · ∂metric/∂activation at the corrupt run, summed
 * over the cell's features (the hidden width, or the head's dimension).
 *
 * <p>The grids hold estimated patched metrics, corrupt_metric + estimate, so that
 * {@link PatchResult#normalize} reads as for exact patching.
 */
public final class AttributionPatching {

    private AttributionPatching() {}

    public static PatchResult sweep(LanguageModel model, PatchSpec spec) {
        spec.check(model);
        ModelConfig c = model.config();
        int t = spec.clean().length;
        Set<String> names = new LinkedHashSet<>();
        for (PatchGrid g : spec.grids()) {
            for (int l = 0; l < c.numLayers(); l++) {
                names.add(g.hookName(c, l));
            }
        }
        Map<PatchGrid, float[][][]> grids = new LinkedHashMap<>();
        double cleanMetric;
        double corruptMetric;
        Set<String> cleanNames = new LinkedHashSet<>(names);
        cleanNames.add(HookNames.LOGITS); // the clean metric, from the same forward pass
        try (ActivationCache clean = model.runWithCache(spec.clean(), cleanNames.toArray(String[]::new));
                GradientCache corrupt = GradientCache.of(model, spec.corrupt(), names,
                        GradientCache.logitDifference(spec.target(), spec.baseline()))) {
            cleanMetric = ActivationPatching.metricAtLast(clean.floats(HookNames.LOGITS), t, c.vocabSize(), spec);
            corruptMetric = corrupt.metric();
            for (PatchGrid g : spec.grids()) {
                int heads = g.perHead() ? c.numHeads() : 1;
                float[][][] grid = new float[c.numLayers()][heads][t];
                for (int l = 0; l < c.numLayers(); l++) {
                    String n = g.hookName(c, l);
                    NDArray a = Half.f32(clean.get(n)).sub(Half.f32(corrupt.activation(n)));
                    // [1, T, D] → [T]; [1, T, H, d] → [T, H]
                    float[] est = a.mul(Half.f32(corrupt.gradient(n))).sum(new int[] {-1}).toFloatArray();
                    for (int h = 0; h < heads; h++) {
                        for (int p = 0; p < t; p++) {
                            grid[l][h][p] = (float) (corruptMetric + est[g.perHead() ? p * heads + h : p]);
                        }
                    }
                    a.close();
                }
                grids.put(g, grid);
            }
        }
        return new PatchResult("attribution", cleanMetric, corruptMetric, grids, c.numLayers(), PatchSpec.tokenStrings(model, spec.corrupt()));
    }
}
