package dev.glassbox.patching;

import java.util.List;
import java.util.Map;

/**
 * The result of a patching sweep. Every grid holds raw metric values, indexed [layer][position]
 * for the residual, attention and MLP grids and [layer][head][position] for the per-head grid
 * (the per-head grid is stored as {@code float[layer][head][position]}; the others as
 * {@code float[layer][1][position]}, see {@link #grid2d}).
 *
 * @param method "activation" (exact patching) or "attribution" (its gradient approximation)
 * @param cleanMetric logit(target) − logit(baseline) at the last position of the clean run
 * @param corruptMetric the same on the corrupt run
 * @param grids raw values per grid, in the order asked for
 * @param positions the corrupt input's tokens as strings, one per position
 */
public record PatchResult(String method, double cleanMetric, double corruptMetric,
        Map<PatchGrid, float[][][]> grids, int layers, List<String> positions) {

    /** (patched − corrupt) / (clean − corrupt): 0 is no recovery, 1 is the clean run's metric. */
    public double normalize(double patched) {
        return (patched - corruptMetric) / (cleanMetric - corruptMetric);
    }

    /** A [layer][position] grid (resid_pre, attn_out, mlp_out). */
    public float[][] grid2d(PatchGrid g) {
        float[][][] v = grids.get(g);
        float[][] out = new float[v.length][];
        for (int l = 0; l < v.length; l++) {
            out[l] = v[l][0];
        }
        return out;
    }

    /** The [layer][head][position] grid of attn_head_out_by_pos. */
    public float[][][] headGrid() {
        return grids.get(PatchGrid.HEAD_OUT);
    }
}
