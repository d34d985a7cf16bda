package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.GlassboxException;
import java.util.List;

/**
 * Sequences of different lengths as one batch, LEFT-padded as transformers' generate pads them:
 * row r is {@code padCount(r)} pad tokens followed by its {@code length(r)} real tokens, so every
 * row's last token sits in the last slot. The attention mask is 0 on pads and 1 on real tokens;
 * the model turns it into position ids (cumulative sum of the mask − 1, pads 0) and into a mask
 * that keeps pads out of every real token's attention.
 *
 * @param ids [B][T] token ids, pads included
 * @param attentionMask [B][T] 1 for a real token, 0 for a pad
 * @param lengths the real tokens of each row
 */
public record PaddedBatch(long[][] ids, long[][] attentionMask, int[] lengths) {

    /**
     * The id written into pad slots. Its value never reaches a real token (pads are masked out);
     * 0 is inside every vocabulary.
     */
    public static final long PAD_ID = 0;

    /** Left-pads {@code rows} to the longest; every row needs at least one token. */
    public static PaddedBatch leftPad(List<long[]> rows) {
        if (rows.isEmpty()) {
            throw new GlassboxException("the batch is empty: give at least one sequence");
        }
        int t = 0;
        for (int r = 0; r < rows.size(); r++) {
            if (rows.get(r).length == 0) {
                throw new GlassboxException("sequence " + (r + 1) + " of the batch has no tokens");
            }
            t = Math.max(t, rows.get(r).length);
        }
        int b = rows.size();
        long[][] ids = new long[b][t];
        long[][] mask = new long[b][t];
        int[] lengths = new int[b];
        for (int r = 0; r < b; r++) {
            long[] row = rows.get(r);
            int pad = t - row.length;
            java.util.Arrays.fill(ids[r], 0, pad, PAD_ID);
            System.arraycopy(row, 0, ids[r], pad, row.length);
            java.util.Arrays.fill(mask[r], pad, t, 1L);
            lengths[r] = row.length;
        }
        return new PaddedBatch(ids, mask, lengths);
    }

    public int size() {
        return ids.length;
    }

    /** Slots per row, the longest row's length. */
    public int width() {
        return ids[0].length;
    }

    /** Pad slots at the start of row {@code r}. */
    public int padCount(int r) {
        return width() - lengths[r];
    }

    /** True when some row is padded. */
    public boolean padded() {
        for (int r = 0; r < size(); r++) {
            if (lengths[r] != width()) {
                return true;
            }
        }
        return false;
    }

    /** The ids as an int64 NDArray [B, T] in {@code m}. */
    public NDArray idsArray(NDManager m) {
        long[] flat = new long[size() * width()];
        for (int r = 0; r < size(); r++) {
            System.arraycopy(ids[r], 0, flat, r * width(), width());
        }
        return m.create(flat, new Shape(size(), width()));
    }

    /** The forward context for this batch: the mask goes with it (null when no row is padded). */
    public ForwardContext context(KvCache cache, dev.glassbox.hooks.Hooks hooks) {
        return new ForwardContext(cache, hooks, padded() ? attentionMask : null);
    }
}
