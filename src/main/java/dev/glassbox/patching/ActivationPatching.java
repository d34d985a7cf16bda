package dev.glassbox.patching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.hooks.Hooks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Activation patching (denoising), as TransformerLens's {@code patching.get_act_patch_*}: run the
 * corrupt input with one activation replaced by the clean run's value at one (layer, position) or
 * (layer, head, position), and read the metric at the last position.
 *
 * <p>The clean run is cached once; the patched corrupt runs go through the model as batches, each
 * batch row patching its own cell (the inputs have equal length, so no padding is involved).
 */
public final class ActivationPatching {

    /** Rows per batched forward: bounds the memory of one patched batch. */
    public static final int DEFAULT_BATCH = 32;

    private ActivationPatching() {}

    /** One patched cell: a grid's hook in {@code layer}, at {@code position}, for {@code head} (or −1). */
    record Cell(PatchGrid grid, int layer, int head, int position) {}

    /** The sweep over every cell of the asked grids. */
    public static PatchResult sweep(LanguageModel model, PatchSpec spec) {
        return sweep(model, spec, DEFAULT_BATCH, done -> {});
    }

    /**
     * @param batch rows per patched forward
     * @param progress told the number of cells done after each batch
     */
    public static PatchResult sweep(LanguageModel model, PatchSpec spec, int batch, IntConsumer progress) {
        spec.check(model);
        ModelConfig c = model.config();
        int t = spec.clean().length;
        List<Cell> cells = cells(c, spec.grids(), t);
        Set<String> names = new LinkedHashSet<>();
        for (Cell cell : cells) {
            names.add(cell.grid().hookName(c, cell.layer()));
        }
        names.add(HookNames.LOGITS);
        Map<PatchGrid, float[][][]> grids = new LinkedHashMap<>();
        for (PatchGrid g : spec.grids()) {
            grids.put(g, new float[c.numLayers()][g.perHead() ? c.numHeads() : 1][t]);
        }
        double cleanMetric;
        double corruptMetric;
        try (ActivationCache clean = model.runWithCache(spec.clean(), names.toArray(String[]::new))) {
            cleanMetric = metricAtLast(clean.floats(HookNames.LOGITS), t, c.vocabSize(), spec);
            float[] corrupt = model.runWithHooks(spec.corrupt(), (Hooks) null)[t - 1];
            corruptMetric = corrupt[(int) spec.target()] - corrupt[(int) spec.baseline()];
            for (int from = 0; from < cells.size(); from += batch) {
                List<Cell> rows = cells.subList(from, Math.min(cells.size(), from + batch));
                float[] metrics = patchedMetrics(model, spec, clean, rows);
                for (int r = 0; r < rows.size(); r++) {
                    Cell cell = rows.get(r);
                    grids.get(cell.grid())[cell.layer()][Math.max(cell.head(), 0)][cell.position()] = metrics[r];
                }
                progress.accept(from + rows.size());
            }
        }
        return new PatchResult("activation", cleanMetric, corruptMetric, grids, c.numLayers(), PatchSpec.tokenStrings(model, spec.corrupt()));
    }

    /** Every cell of the grids, grid by grid, layer-major. */
    static List<Cell> cells(ModelConfig c, Set<PatchGrid> grids, int t) {
        List<Cell> cells = new ArrayList<>();
        for (PatchGrid g : grids) {
            for (int l = 0; l < c.numLayers(); l++) {
                for (int h = 0; h < (g.perHead() ? c.numHeads() : 1); h++) {
                    for (int p = 0; p < t; p++) {
                        cells.add(new Cell(g, l, g.perHead() ? h : -1, p));
                    }
                }
            }
        }
        return cells;
    }

    /** One forward of rows.size() copies of the corrupt input, row r patched at rows[r]. */
    private static float[] patchedMetrics(LanguageModel model, PatchSpec spec, ActivationCache clean, List<Cell> rows) {
        ModelConfig c = model.config();
        int t = spec.corrupt().length;
        int b = rows.size();
        Map<String, List<Integer>> rowsByHook = new HashMap<>();
        for (int r = 0; r < b; r++) {
            Cell cell = rows.get(r);
            rowsByHook.computeIfAbsent(cell.grid().hookName(c, cell.layer()), k -> new ArrayList<>()).add(r);
        }
        Hooks patch = (name, x) -> {
            List<Integer> mine = rowsByHook.get(name);
            if (mine == null) {
                return x;
            }
            NDArray source = clean.get(name);
            NDArray out = x.duplicate();
            for (int r : mine) {
                Cell cell = rows.get(r);
                NDIndex at = cell.head() < 0
                        ? new NDIndex("{}, {}", r, cell.position())
                        : new NDIndex("{}, {}, {}", r, cell.position(), cell.head());
                NDIndex from = cell.head() < 0
                        ? new NDIndex("0, {}", cell.position())
                        : new NDIndex("0, {}, {}", cell.position(), cell.head());
                out.set(at, source.get(from));
            }
            return out;
        };
        long[] ids = new long[b * t];
        for (int r = 0; r < b; r++) {
            System.arraycopy(spec.corrupt(), 0, ids, r * t, t);
        }
        try (NDManager m = model.manager().newSubManager()) {
            NDArray logits = model.block().forward(m.create(ids, new Shape(b, t)), new ForwardContext(null, patch), false);
            NDArray last = logits.reshape(b, c.vocabSize()).toType(DataType.FLOAT32, false);
            NDArray diff = last.get(new NDIndex(":, {}", spec.target())).sub(last.get(new NDIndex(":, {}", spec.baseline())));
            return diff.toFloatArray();
        }
    }

    static double metricAtLast(float[] logits, int t, int vocab, PatchSpec spec) {
        int base = (t - 1) * vocab;
        return logits[base + (int) spec.target()] - logits[base + (int) spec.baseline()];
    }
}
