package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.GlassboxException;
import dev.glassbox.arch.Rope;

/**
 * Where each token of a padded batch sits: its position id, and which cache slots it may attend
 * to. As transformers' generate: position ids are the cumulative sum of the attention mask − 1
 * over the row's slots so far (cached and new), pads get 0; a real query sees the real keys at or
 * before its slot, within the layer's sliding window measured in slots (with left padding the slot
 * distance between two real tokens is their position distance). A pad query sees only its own slot,
 * so that its softmax has something to normalise (it is never read by a real token).
 */
final class BatchPositions {

    private final int batch;
    private final int past;
    private final int t;
    /** [B][past + t]: 1 for a real slot. */
    private final long[][] slots;
    /** [B][t]: position id of each of this call's tokens. */
    private final int[][] positionIds;
    private final int maxPosition;

    /**
     * @param pastMask the cached slots' mask [B][past], or null when all are real
     * @param newMask this call's mask [B][t], or null when all are real
     */
    BatchPositions(int batch, int past, int t, long[][] pastMask, long[][] newMask) {
        this.batch = batch;
        this.past = past;
        this.t = t;
        int s = past + t;
        slots = new long[batch][s];
        positionIds = new int[batch][t];
        int max = 0;
        for (int r = 0; r < batch; r++) {
            long[] row = slots[r];
            for (int j = 0; j < s; j++) {
                long[] src = j < past ? (pastMask == null ? null : pastMask[r]) : (newMask == null ? null : newMask[r]);
                int k = j < past ? j : j - past;
                row[j] = src == null ? 1 : src[k];
                if (row[j] != 0 && row[j] != 1) {
                    throw new GlassboxException("attention mask values must be 0 or 1, found " + row[j] + " in row " + r);
                }
                if (j > 0 && row[j - 1] == 1 && row[j] == 0) {
                    throw new GlassboxException("row " + r + " of the batch is not left-padded: a pad follows a real token at slot " + j);
                }
            }
            if (row[s - 1] == 0) {
                throw new GlassboxException("row " + r + " of the batch has no real token");
            }
            int real = 0;
            for (int j = 0; j < s; j++) {
                real += (int) row[j];
                if (j >= past) {
                    int pos = row[j] == 1 ? real - 1 : 0;
                    positionIds[r][j - past] = pos;
                    max = Math.max(max, pos);
                }
            }
        }
        maxPosition = max;
    }

    /** The highest position id of the call; max + 1 is the length transformers' rope sees. */
    int maxPosition() {
        return maxPosition;
    }

    /** Position ids [B][t]. */
    int[][] positionIds() {
        return positionIds;
    }

    /** The slot mask of this call's tokens [B][t] (what the cache records). */
    long[][] newSlots() {
        long[][] out = new long[batch][];
        for (int r = 0; r < batch; r++) {
            out[r] = java.util.Arrays.copyOfRange(slots[r], past, past + t);
        }
        return out;
    }

    /** Learned positions: row r, token i gets P[positionIds[r][i]], [B, t, D]. */
    NDArray learned(NDManager m, NDArray p) {
        long[] flat = new long[batch * t];
        for (int r = 0; r < batch; r++) {
            for (int i = 0; i < t; i++) {
                flat[r * t + i] = positionIds[r][i];
            }
        }
        NDArray idx = m.create(flat, new Shape(batch, t));
        return idx.getNDArrayInternal().embedding(idx, p, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    /** Rotary tables [B, t, 1, rotaryDim] at each token's own position, broadcast over heads. */
    NDArray[] rotary(NDManager m, Rope rope, DataType streamType) {
        int[] flat = new int[batch * t];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(positionIds[r], 0, flat, r * t, t);
        }
        float[][] cs = rope.cosSinAt(flat, maxPosition + 1);
        Shape s = new Shape(batch, t, 1, rope.rotaryDim());
        return new NDArray[] {
            Half.as(Owned.copyOf(m.create(cs[0], s)), streamType), Half.as(Owned.copyOf(m.create(cs[1], s)), streamType)};
    }

    /** The additive mask [B, 1, t, past + t] (0 visible, −∞ hidden) for a layer with {@code window} (null: none). */
    NDArray mask(NDManager m, Integer window) {
        int s = past + t;
        float[] mask = new float[batch * t * s];
        java.util.Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < batch; r++) {
            long[] row = slots[r];
            for (int i = 0; i < t; i++) {
                int q = past + i;
                int base = (r * t + i) * s;
                if (row[q] == 0) {
                    mask[base + q] = 0f;
                    continue;
                }
                int from = window == null ? 0 : Math.max(0, q - window + 1);
                for (int j = from; j <= q; j++) {
                    if (row[j] == 1) {
                        mask[base + j] = 0f;
                    }
                }
            }
        }
        return m.create(mask, new Shape(batch, 1, t, s));
    }
}
