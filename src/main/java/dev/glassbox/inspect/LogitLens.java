package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.blocks.TransformerLM;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The logit lens (nostalgebraist, 2020): read the residual stream after every layer as if it were
 * the last one, by passing it through the final norm and the output projection. Stage 0 is the
 * embedding ({@code blocks.0.resid_pre}: token plus position embedding), stage l + 1 the output of
 * layer l ({@code blocks.l.resid_post}); the last stage is exactly what the model outputs.
 */
public final class LogitLens {

    /**
     * What one stage predicts at one position.
     *
     * @param top the k most likely next tokens under this stage's lens
     * @param target the chosen target token's entry (rank, probability), or null without target
     */
    public record Cell(List<TokenProb> top, TokenProb target) {
        public Cell {
            top = List.copyOf(top);
        }
    }

    /**
     * @param stages hook names read, one per stage: blocks.0.resid_pre, then blocks.l.resid_post
     * @param ids the input
     * @param targetId the target token followed across stages, or -1
     * @param cells [stage][position]
     */
    public record Result(List<String> stages, long[] ids, long targetId, Cell[][] cells) {

        public Cell cell(int stage, int position) {
            return cells[stage][position];
        }

        /** The target's probability at {@code position}, stage by stage (needs a target). */
        public double[] targetProbs(int position) {
            double[] p = new double[cells.length];
            for (int s = 0; s < cells.length; s++) {
                p[s] = cells[s][position].target().prob();
            }
            return p;
        }

        /** The target's rank at {@code position}, stage by stage (needs a target). */
        public int[] targetRanks(int position) {
            int[] r = new int[cells.length];
            for (int s = 0; s < cells.length; s++) {
                r[s] = cells[s][position].target().rank();
            }
            return r;
        }
    }

    private LogitLens() {}

    /** The hook name read at {@code stage} (0 = embeddings). */
    public static String stageHook(int stage) {
        return stage == 0 ? HookNames.block(0, "resid_pre") : HookNames.block(stage - 1, "resid_post");
    }

    /** A short label for a stage: "embed", then "L0", "L1", … */
    public static String stageLabel(int stage) {
        return stage == 0 ? "embed" : "L" + (stage - 1);
    }

    /** The activations the lens needs, for {@link ActivationCache#of}. */
    public static Set<String> hookNames(int layers) {
        Set<String> names = new LinkedHashSet<>();
        for (int s = 0; s <= layers; s++) {
            names.add(stageHook(s));
        }
        return names;
    }

    /**
     * Runs {@code ids} and reads every stage at every position.
     *
     * @param targetId a token to follow across stages (rank and probability), or -1 for none
     */
    public static Result run(LanguageModel model, long[] ids, int k, long targetId) {
        try (ActivationCache cache = model.runWithCache(ids, hookNames(model.config().numLayers())::contains)) {
            return fromCache(model, cache, ids, k, targetId, new TokenLabels(model.tokenizer()));
        }
    }

    /** The lens over a cache that holds {@link #hookNames} (for the run of {@code ids}). */
    public static Result fromCache(LanguageModel model, ActivationCache cache, long[] ids, int k, long targetId, TokenLabels labels) {
        int layers = model.config().numLayers();
        if (targetId >= model.config().vocabSize()) {
            throw new IllegalArgumentException("target id " + targetId + " is outside the vocabulary");
        }
        List<String> stages = new ArrayList<>();
        Cell[][] cells = new Cell[layers + 1][];
        for (int s = 0; s <= layers; s++) {
            stages.add(stageHook(s));
            float[][] logits = stageLogits(model, cache, s);
            cells[s] = new Cell[logits.length];
            for (int p = 0; p < logits.length; p++) {
                TokenProb target = targetId < 0 ? null : Distributions.of(logits[p], targetId, labels);
                cells[s][p] = new Cell(Distributions.top(logits[p], k, labels), target);
            }
        }
        return new Result(stages, ids.clone(), targetId, cells);
    }

    /**
     * The lens logits of one stage, [T][V]: finalNorm(resid) projected onto the vocabulary, with
     * the same blocks the model's own forward pass uses. Every intermediate NDArray is closed.
     */
    public static float[][] stageLogits(LanguageModel model, ActivationCache cache, int stage) {
        TransformerLM block = model.block();
        NDArray resid = cache.get(stageHook(stage));
        try (NDScope scope = new NDScope()) {
            NDArray logits = block.project(block.finalNorm().apply(resid));
            return Vectors.rows(logits.toFloatArray(), model.config().vocabSize());
        }
    }

    /** The lens logits of one stage at one position, [V]; cheaper than {@link #stageLogits}. */
    public static float[] stageLogitsAt(LanguageModel model, ActivationCache cache, int stage, int position) {
        TransformerLM block = model.block();
        NDArray resid = cache.get(stageHook(stage));
        try (NDScope scope = new NDScope()) {
            NDArray row = resid.get(new NDIndex(":, {}:{}", position, position + 1));
            return block.project(block.finalNorm().apply(row)).toFloatArray();
        }
    }
}
