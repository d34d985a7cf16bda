package dev.glassbox.hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.glassbox.blocks.Half;
import dev.glassbox.blocks.PaddedBatch;
import java.util.Set;

/**
 * The activations of a padded batch, and each row's real positions. The cached tensors keep the
 * batch's layout, [B, T, …] with row r's {@code padCount(r)} pad slots first (the attention
 * scores and pattern [B, H, T, T] on both position axes); the values in pad slots belong to the pad
 * tokens and mean nothing. {@link #row} cuts one row's real positions out, the batch axis
 * dropped: the tensor a run of that sequence alone would have cached.
 */
public final class BatchCache implements AutoCloseable {

    private final ActivationCache cache;
    private final PaddedBatch batch;

    public BatchCache(ActivationCache cache, PaddedBatch batch) {
        this.cache = cache;
        this.batch = batch;
    }

    /** The padded tensors as recorded, [B, T, …]. */
    public ActivationCache padded() {
        return cache;
    }

    public PaddedBatch batch() {
        return batch;
    }

    /** Rows in the batch. */
    public int size() {
        return batch.size();
    }

    public Set<String> names() {
        return cache.names();
    }

    /**
     * Row {@code r}'s real positions of activation {@code name}: [T_r, …], or [H, T_r, T_r] for the
     * attention scores and pattern. The slice lives in the cache's memory (freed by {@link #close}).
     */
    public NDArray row(String name, int r) {
        if (r < 0 || r >= batch.size()) {
            throw new IndexOutOfBoundsException("row " + r + " of a batch of " + batch.size());
        }
        NDArray a = cache.get(name);
        int pad = batch.padCount(r);
        // Without padding learned positions are one [1, T, D] row shared by the batch.
        long at = a.getShape().get(0) == 1 ? 0 : r;
        if (name.endsWith("attn.scores") || name.endsWith("attn.pattern")) {
            return a.get(new NDIndex("{}, :, {}:, {}:", at, pad, pad));
        }
        return a.get(new NDIndex("{}, {}:", at, pad));
    }

    /** {@link #row} as floats, row-major (a half-precision model's widened). */
    public float[] rowFloats(String name, int r) {
        try (NDArray slice = row(name, r)) {
            return Half.floats(slice);
        }
    }

    /** The shape of {@link #row}. */
    public long[] rowShape(String name, int r) {
        try (NDArray slice = row(name, r)) {
            return slice.getShape().getShape();
        }
    }

    @Override
    public void close() {
        cache.close();
    }
}
