package dev.glassbox.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.Hooks;
import dev.glassbox.hooks.Interventions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every checked cell of a sweep equals one patched run built by hand here (a hook that copies the
 * clean value into the corrupt run), and the exact invariants of denoising hold.
 */
class ActivationPatchingTest {

    static LanguageModel load(String fixture) {
        Path dir = Path.of("../shared/fixtures", fixture);
        assertTrue(Files.isDirectory(dir), dir + " is missing: the tests need ../shared beside the checkout");
        return LanguageModel.load(dir);
    }

    static final long[] CLEAN = {3, 17, 42, 8, 25, 11};
    static final long[] CORRUPT = {3, 29, 42, 8, 31, 11};

    /** The last-position logit difference of the corrupt run with {@code hooks}. */
    static double metric(LanguageModel model, long[] ids, Hooks hooks, long target, long baseline) {
        float[] last = model.runWithHooks(ids, hooks)[ids.length - 1];
        return last[(int) target] - last[(int) baseline];
    }

    /** A hook replacing row 0's values at {@code position} (and {@code head}, or −1) by {@code source}'s. */
    static Hooks copyAt(String name, NDArray source, int position, int head) {
        return (n, x) -> {
            if (!n.equals(name)) {
                return x;
            }
            NDArray out = x.duplicate();
            NDIndex at = head < 0 ? new NDIndex("0, {}", position) : new NDIndex("0, {}, {}", position, head);
            out.set(at, source.get(at));
            return out;
        };
    }

    @ParameterizedTest
    @CsvSource({"gpt2-tiny, attn.out, mlp.out", "llama-gqa, attn.out, mlp.out", "gemma2-tiny, ln1_post, ln2_post"})
    void cellsEqualHandPatchedRuns(String fixture, String attnOut, String mlpOut) {
        try (LanguageModel model = load(fixture)) {
            long target = 5;
            long baseline = 9;
            PatchResult r = ActivationPatching.sweep(model, PatchSpec.of(CLEAN, CORRUPT, target, baseline), 7, n -> {});
            assertEquals(metric(model, CLEAN, null, target, baseline), r.cleanMetric(), 1e-4);
            assertEquals(metric(model, CORRUPT, null, target, baseline), r.corruptMetric(), 1e-4);
            int layers = model.config().numLayers();
            int heads = model.config().numHeads();
            String[][] checks = {{"resid_pre", "RESID_PRE"}, {attnOut, "ATTN_OUT"}, {mlpOut, "MLP_OUT"}, {"attn.z", "HEAD_OUT"}};
            for (String[] check : checks) {
                PatchGrid grid = PatchGrid.valueOf(check[1]);
                for (int l = 0; l < layers; l++) {
                    String name = "blocks." + l + "." + check[0];
                    try (ActivationCache clean = model.runWithCache(CLEAN, name)) {
                        for (int p : new int[] {1, 4, 5}) {
                            int head = grid.perHead() ? (l + p) % heads : -1;
                            double expected = metric(model, CORRUPT, copyAt(name, clean.get(name), p, head), target, baseline);
                            float actual = r.grids().get(grid)[l][Math.max(head, 0)][p];
                            assertEquals(expected, actual, 1e-4 * Math.max(1, Math.abs(expected)),
                                    fixture + " " + grid + " layer " + l + " head " + head + " position " + p);
                        }
                    }
                }
            }
            double patched = r.grids().get(PatchGrid.RESID_PRE)[0][0][1];
            assertEquals((patched - r.corruptMetric()) / (r.cleanMetric() - r.corruptMetric()), r.normalize(patched), 1e-12);
        }
    }

    /**
     * With one differing position p: patching resid_pre of layer 0 at p makes the whole input clean
     * (normalized 1); patching any grid at a position before p changes nothing (causal attention).
     */
    @ParameterizedTest
    @CsvSource({"gpt2-tiny", "llama-gqa", "olmo2-tiny"})
    void exactInvariants(String fixture) {
        long[] corrupt = CLEAN.clone();
        corrupt[3] = 40;
        try (LanguageModel model = load(fixture)) {
            PatchResult r = ActivationPatching.sweep(model, PatchSpec.of(CLEAN, corrupt, 5, 9));
            assertEquals(r.cleanMetric(), r.grids().get(PatchGrid.RESID_PRE)[0][0][3], 1e-4 * Math.max(1, Math.abs(r.cleanMetric())));
            for (PatchGrid g : PatchGrid.values()) {
                float[][][] grid = r.grids().get(g);
                for (int l = 0; l < grid.length; l++) {
                    for (float[] row : grid[l]) {
                        for (int p = 0; p < 3; p++) {
                            assertEquals(r.corruptMetric(), row[p], 1e-4 * Math.max(1, Math.abs(r.corruptMetric())),
                                    fixture + " " + g + " layer " + l + " position " + p);
                        }
                    }
                }
            }
        }
    }

    /** The grid hook names agree with the library's own patchPosition intervention. */
    @ParameterizedTest
    @CsvSource({"llama-tied"})
    void agreesWithPatchPositionIntervention(String fixture) {
        try (LanguageModel model = load(fixture)) {
            PatchResult r = ActivationPatching.sweep(model, new PatchSpec(CLEAN, CORRUPT, 2, 3, java.util.Set.of(PatchGrid.RESID_PRE)));
            try (ActivationCache clean = model.runWithCache(CLEAN, "blocks.1.resid_pre")) {
                float[] last = model.runWithHooks(CORRUPT,
                        Interventions.patchPosition("blocks.1.resid_pre", 4, clean.get("blocks.1.resid_pre"), 4))[CORRUPT.length - 1];
                assertEquals(last[2] - last[3], r.grids().get(PatchGrid.RESID_PRE)[1][0][4], 1e-4);
            }
        }
    }
}
