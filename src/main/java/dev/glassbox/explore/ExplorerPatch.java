package dev.glassbox.explore;

import dev.glassbox.LanguageModel;
import dev.glassbox.patching.ActivationPatching;
import dev.glassbox.patching.AttributionPatching;
import dev.glassbox.patching.PatchGrid;
import dev.glassbox.patching.PatchResult;
import dev.glassbox.patching.PatchSpec;
import dev.glassbox.inspect.TokenLabels;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/patch}: the patching sweep of {@code dev.glassbox.patching} (exact activation
 * patching, or attribution patching, its gradient estimate) between a clean and a corrupt input, laid
 * out as {@code glassbox patch --json} lays it out. Inputs are at most {@link #MAX_TOKENS} tokens,
 * since a sweep runs the model once per cell (layers × (3 + heads) × positions, in batches).
 */
final class ExplorerPatch {

    /** The longest inputs a sweep takes, in tokens. */
    static final int MAX_TOKENS = 64;

    private ExplorerPatch() {}

    static ApiResponses.Patch run(ExplorerApi api, ApiRequests.Patch req) {
        LanguageModel model = api.model();
        long[] clean = api.ids(new ApiRequests.Tokens(req.clean(), req.cleanIds()), "clean");
        long[] corrupt = api.ids(new ApiRequests.Tokens(req.corrupt(), req.corruptIds()), "corrupt");
        if (clean.length != corrupt.length) {
            throw ApiError.badRequest("bad_field", "clean and corrupt must have the same number of tokens: clean has "
                    + clean.length + ", corrupt has " + corrupt.length);
        }
        if (clean.length > MAX_TOKENS) {
            throw ApiError.badRequest("prompt_too_long", "the inputs have " + clean.length + " tokens; a patching sweep takes at most "
                    + MAX_TOKENS);
        }
        String method = req.method() == null ? "activation" : req.method();
        if (!method.equals("activation") && !method.equals("attribution")) {
            throw ApiError.badRequest("bad_field", "method must be activation or attribution, found '" + method + "'");
        }
        Set<PatchGrid> grids = EnumSet.noneOf(PatchGrid.class);
        if (req.what() != null) {
            for (String w : req.what()) {
                try {
                    grids.add(PatchGrid.parse(w));
                } catch (RuntimeException e) {
                    throw ApiError.badRequest("bad_field", "what: unknown grid '" + w + "' (expected resid_pre, attn_out, mlp_out or head_out)");
                }
            }
        }
        // by default, the clean run's next token against the corrupt run's
        long target = api.target(req.targetId(), req.target(), clean, clean.length - 1, "target");
        long baseline = api.target(req.baselineId(), req.baseline(), corrupt, corrupt.length - 1, "baseline");
        if (target == baseline) {
            throw ApiError.badRequest("bad_field", "target and baseline are the same token (" + target
                    + "), so the metric is 0 everywhere: give target or baseline");
        }
        PatchSpec spec = new PatchSpec(clean, corrupt, target, baseline, grids);
        PatchResult r = method.equals("activation") ? ActivationPatching.sweep(model, spec) : AttributionPatching.sweep(model, spec);
        boolean flat = r.cleanMetric() == r.corruptMetric();
        Map<String, Object> raw = new LinkedHashMap<>();
        Map<String, Object> normalized = new LinkedHashMap<>();
        for (PatchGrid g : r.grids().keySet()) {
            float[][][] v = r.grids().get(g);
            double[][][] n = new double[v.length][][];
            for (int l = 0; l < v.length; l++) {
                n[l] = new double[v[l].length][];
                for (int h = 0; h < v[l].length; h++) {
                    n[l][h] = new double[v[l][h].length];
                    for (int p = 0; p < v[l][h].length; p++) {
                        n[l][h][p] = r.normalize(v[l][h][p]);
                    }
                }
            }
            raw.put(g.jsonName(), g.perHead() ? v : r.grid2d(g));
            normalized.put(g.jsonName(), flat ? null : g.perHead() ? n : squeeze(n));
        }
        TokenLabels labels = new TokenLabels(model.tokenizer());
        return new ApiResponses.Patch(r.method(), clean, corrupt, target, labels.text(target), baseline, labels.text(baseline),
                r.cleanMetric(), r.corruptMetric(), r.layers(), r.positions(), raw, normalized);
    }

    private static double[][] squeeze(double[][][] n) {
        double[][] out = new double[n.length][];
        for (int l = 0; l < n.length; l++) {
            out[l] = n[l][0];
        }
        return out;
    }
}
