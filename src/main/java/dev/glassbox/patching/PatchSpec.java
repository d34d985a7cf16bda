package dev.glassbox.patching;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a patching sweep compares: a clean and a corrupt input of the same length, and the metric
 * logit(target) − logit(baseline) at the last position (TransformerLens's logit difference).
 *
 * @param clean the clean input's ids
 * @param corrupt the corrupt input's ids (same length)
 * @param target the token whose logit counts positively
 * @param baseline the token whose logit counts negatively
 * @param grids which grids to fill (all four by default)
 */
public record PatchSpec(long[] clean, long[] corrupt, long target, long baseline, Set<PatchGrid> grids) {

    public PatchSpec {
        grids = grids == null || grids.isEmpty() ? EnumSet.allOf(PatchGrid.class) : EnumSet.copyOf(grids);
    }

    /** All four grids. */
    public static PatchSpec of(long[] clean, long[] corrupt, long target, long baseline) {
        return new PatchSpec(clean, corrupt, target, baseline, null);
    }

    /** A clear error for inputs a sweep cannot compare. */
    void check(LanguageModel model) {
        if (clean.length == 0) {
            throw new GlassboxException("the clean input has no tokens");
        }
        if (clean.length != corrupt.length) {
            throw new GlassboxException("clean and corrupt inputs must have the same number of tokens: clean has "
                    + clean.length + ", corrupt has " + corrupt.length);
        }
        int vocab = model.config().vocabSize();
        for (long id : new long[] {target, baseline}) {
            if (id < 0 || id >= vocab) {
                throw new GlassboxException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (clean.length > model.config().maxPositions()) {
            throw new GlassboxException("the inputs have " + clean.length + " tokens but the model's context is "
                    + model.config().maxPositions());
        }
    }

    /** Each token as text (" world") as {@link LanguageModel#toStrTokens(long[])} gives it, or {@code <id>} without a tokenizer. */
    static java.util.List<String> tokenStrings(LanguageModel model, long[] ids) {
        if (model.tokenizer() != null) {
            return model.toStrTokens(ids);
        }
        return java.util.Arrays.stream(ids).mapToObj(id -> "<" + id + ">").toList();
    }
}
