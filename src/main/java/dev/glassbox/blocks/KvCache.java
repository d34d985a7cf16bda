package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the positions seen so far, so that a new token costs one
 * position instead of the whole prefix. Buffers are preallocated [B, K, capacity, d] and written
 * in place; they double when full. The cache owns its NDManager: close it to free the memory.
 *
 * <p>For a padded batch the cache also remembers which slots hold pads ({@link #slotMask}), so
 * that later decode steps keep masking them and number positions from each row's real tokens;
 * {@link #selectRows} keeps only some rows (a batched generation drops the rows that finished).
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final boolean ownsManager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int batch;
    private final int kvHeads;
    private final int headDim;
    private final int maxCapacity;
    private int capacity;
    private int length;
    /** The token ids of the cached positions, [B][capacity]; null for wrapped DJL buffers. */
    private long[][] tokenIds;
    /** 1 for a real slot and 0 for a pad, [B][capacity]; null while every slot is real. */
    private long[][] slotMask;
    /** Direct views of each layer's float32 buffers (for {@link #rowViews}), and the arrays they view. */
    private java.nio.FloatBuffer[][] views;
    private NDArray[] viewed;

    /**
     * @param parent the manager the cache's own manager hangs from
     * @param capacity positions to reserve now (grows on demand up to {@code maxCapacity})
     */
    public KvCache(NDManager parent, int layers, int batch, int kvHeads, int headDim, int capacity, int maxCapacity) {
        this.manager = parent.newSubManager();
        this.ownsManager = true;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.maxCapacity = maxCapacity;
        this.capacity = Math.max(1, Math.min(capacity, maxCapacity));
        this.tokenIds = new long[batch][0];
    }

    private KvCache(NDArray[] keys, NDArray[] values, int length) {
        Shape s = keys[0].getShape();
        this.manager = keys[0].getManager();
        this.ownsManager = false;
        this.keys = keys;
        this.values = values;
        this.batch = (int) s.get(0);
        this.kvHeads = (int) s.get(1);
        this.capacity = (int) s.get(2);
        this.headDim = (int) s.get(3);
        this.maxCapacity = capacity;
        this.length = length;
    }

    /**
     * Wraps caller-owned buffers {@code [k_0, v_0, …, k_{L-1}, v_{L-1}, length]} (the DJL
     * past-key-values form of {@link TransformerLM#forwardInternal}); they are written in place.
     */
    public static KvCache wrap(NDList list) {
        int layers = (list.size() - 1) / 2;
        if (layers < 1 || list.size() != 2 * layers + 1) {
            throw new IllegalArgumentException("expected [k_0, v_0, ..., k_L-1, v_L-1, length], found " + list.size() + " arrays");
        }
        NDArray[] k = new NDArray[layers];
        NDArray[] v = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            k[l] = list.get(2 * l);
            v[l] = list.get(2 * l + 1);
        }
        int length = (int) list.get(list.size() - 1).toType(DataType.INT64, false).getLong();
        return new KvCache(k, v, length);
    }

    /** Allocates caller-owned buffers for {@link #wrap}, with length 0. */
    public static NDList allocate(NDManager m, int layers, int batch, int kvHeads, int headDim, int capacity, DataType type) {
        NDList list = new NDList();
        for (int l = 0; l < 2 * layers; l++) {
            list.add(m.zeros(new Shape(batch, kvHeads, capacity, headDim), type));
        }
        list.add(m.create(0L));
        return list;
    }

    /** The buffers and length in the {@link #wrap} form. */
    public NDList toList(NDManager m) {
        NDList list = new NDList();
        for (int l = 0; l < keys.length; l++) {
            list.add(keys[l]);
            list.add(values[l]);
        }
        list.add(m.create((long) length));
        return list;
    }

    /** Positions cached so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Writes this call's keys and values [B, K, T, d] for {@code layer} after the cached ones and
     * returns views of all positions [B, K, length + T, d].
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        int t = (int) k.getShape().get(2);
        int end = length + t;
        ensureCapacity(end);
        if (keys[layer] == null) {
            keys[layer] = allocate(k.getDataType());
            values[layer] = allocate(v.getDataType());
        }
        NDIndex fresh = new NDIndex(":, :, {}:{}", length, end);
        keys[layer].set(fresh, k);
        values[layer].set(fresh, v);
        NDIndex upToNow = new NDIndex(":, :, :{}", end);
        return new NDArray[] {keys[layer].get(upToNow), values[layer].get(upToNow)};
    }

    /**
     * Writes this call's keys and values {@code k}, {@code v} [1, t, K, d] (positions first, as the
     * projections give them: a prompt's, or a decode step's one row) for {@code layer} after the
     * cached ones, straight into the layer's float32 buffers, one row of d values at a time; false,
     * with nothing written, where {@link #rowViews} cannot view the buffers (the caller then takes
     * {@link #append}). Why: on a fresh cache, {@code append}'s two indexed assignments through DJL,
     * behind transposed views, took 0.10 ms a layer of SmolLM-135M's 128-token prompt (3 % of the
     * forward outside its products); this is the same copy without the indexing.
     */
    public boolean appendRows(int layer, NDArray k, NDArray v) {
        Shape shape = k.getShape();
        if (batch != 1 || shape.dimension() != 4 || shape.get(0) != 1 || !shape.equals(v.getShape())
                || k.getDataType() != DataType.FLOAT32 || v.getDataType() != DataType.FLOAT32) {
            return false;
        }
        int t = (int) shape.get(1);
        int heads = (int) shape.get(2);
        int d = (int) shape.get(3);
        ensureCapacity(length + t);
        java.nio.FloatBuffer[] kv = rowViews(layer);
        if (kv == null) {
            return false;
        }
        java.nio.FloatBuffer kn = dev.glassbox.djl.PyTorchInternals.directBuffer(k).asFloatBuffer();
        java.nio.FloatBuffer vn = dev.glassbox.djl.PyTorchInternals.directBuffer(v).asFloatBuffer();
        for (int j = 0; j < t; j++) {
            for (int g = 0; g < heads; g++) {
                int at = (g * capacity + length + j) * d; // [1, K, capacity, d]; an int index: a layer's buffer fits one
                int from = (j * heads + g) * d; // [1, t, K, d]
                kv[0].put(at, kn, from, d);
                kv[1].put(at, vn, from, d);
            }
        }
        return true;
    }

    /**
     * Room for one more position of {@code layer}, for a single-row step that writes its key and
     * value itself ({@link dev.glassbox.kernels.RowAttention}): direct views of the layer's keys
     * and values [B, K, capacity, d] in the tensors' own memory, or null where that cannot be had
     * (not float32, or buffers that are not contiguous), in which case the caller takes
     * {@link #append}. The views are valid until the next call that grows or reorders the cache.
     */
    public java.nio.FloatBuffer[] rowViews(int layer) {
        ensureCapacity(length + 1);
        if (keys[layer] == null) {
            keys[layer] = allocate(DataType.FLOAT32);
            values[layer] = allocate(DataType.FLOAT32);
        }
        if (keys[layer].getDataType() != DataType.FLOAT32 || values[layer].getDataType() != DataType.FLOAT32) {
            return null;
        }
        if (views == null) {
            views = new java.nio.FloatBuffer[keys.length][];
            viewed = new NDArray[keys.length];
        }
        if (viewed[layer] != keys[layer]) {
            // asked once per buffer (a wrapped cache lives for one generation); for a buffer that is
            // not contiguous, the copies this makes belong to the buffer's manager and go with it
            boolean shared = dev.glassbox.djl.PyTorchInternals.sharesMemory(keys[layer])
                    && dev.glassbox.djl.PyTorchInternals.sharesMemory(values[layer]);
            views[layer] = shared ? new java.nio.FloatBuffer[] {
                dev.glassbox.djl.PyTorchInternals.directBuffer(keys[layer]).asFloatBuffer(),
                dev.glassbox.djl.PyTorchInternals.directBuffer(values[layer]).asFloatBuffer()} : null;
            viewed[layer] = keys[layer];
        }
        return views[layer];
    }

    /** Called once per forward call, after every layer has appended {@code t} positions. */
    public void advance(int t) {
        length += t;
    }

    /**
     * Records the ids of the {@code t} positions about to be appended ({@code flat} is [B, t] row
     * by row), so that the model can recompute the cached positions when it must (longrope).
     */
    public void recordIds(long[] flat, int t) {
        if (tokenIds == null) {
            return;
        }
        for (int r = 0; r < batch; r++) {
            if (tokenIds[r].length < length + t) {
                tokenIds[r] = java.util.Arrays.copyOf(tokenIds[r], Math.max(length + t, 2 * tokenIds[r].length));
            }
            System.arraycopy(flat, r * t, tokenIds[r], length, t);
        }
    }

    /**
     * Records the attention mask of the {@code t} positions about to be appended ([B][t], 1 real,
     * 0 pad); null when they are all real.
     */
    public void recordMask(long[][] mask, int t) {
        if (mask == null && slotMask == null) {
            return;
        }
        if (slotMask == null) {
            slotMask = new long[batch][];
            for (int r = 0; r < batch; r++) {
                slotMask[r] = new long[length + t];
                java.util.Arrays.fill(slotMask[r], 1L);
            }
        }
        for (int r = 0; r < batch; r++) {
            if (slotMask[r].length < length + t) {
                slotMask[r] = java.util.Arrays.copyOf(slotMask[r], Math.max(length + t, 2 * slotMask[r].length));
            }
            if (mask == null) {
                java.util.Arrays.fill(slotMask[r], length, length + t, 1L);
            } else {
                System.arraycopy(mask[r], 0, slotMask[r], length, t);
            }
        }
    }

    /** The mask of the cached slots, [B][length] (1 real, 0 pad), or null when every slot is real. */
    public long[][] slotMask() {
        if (slotMask == null) {
            return null;
        }
        long[][] out = new long[batch][];
        for (int r = 0; r < batch; r++) {
            out[r] = java.util.Arrays.copyOf(slotMask[r], length);
        }
        return out;
    }

    /** Rows in the cache. */
    public int batch() {
        return batch;
    }

    /**
     * Keeps only {@code rows} (indices into the current batch, in the order given): the keys,
     * values, ids and slot mask of the other rows are freed, so later steps cost only the rows kept.
     */
    public void selectRows(int[] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("keep at least one row of the cache");
        }
        long[] idx = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= batch) {
                throw new IllegalArgumentException("row " + rows[i] + " is outside the cache's " + batch + " rows");
            }
            idx[i] = rows[i];
        }
        try (NDArray index = manager.create(idx)) {
            for (int l = 0; l < keys.length; l++) {
                if (keys[l] != null) {
                    keys[l] = pick(keys[l], index);
                    values[l] = pick(values[l], index);
                }
            }
        }
        if (tokenIds != null) {
            tokenIds = pickRows(tokenIds, rows);
        }
        if (slotMask != null) {
            slotMask = pickRows(slotMask, rows);
        }
        batch = rows.length;
    }

    private static NDArray pick(NDArray buffer, NDArray index) {
        NDArray kept = buffer.get(index);
        NDScope.unregister(kept);
        buffer.close();
        return kept;
    }

    private static long[][] pickRows(long[][] a, int[] rows) {
        long[][] out = new long[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = a[rows[i]];
        }
        return out;
    }

    /**
     * Tells a wrapped cache (batch 1) the ids of the positions it already holds, so that from now on
     * it knows them as an owned cache does (a longrope model recomputes them when it must).
     */
    public void rememberIds(long[] ids) {
        if (batch != 1 || ids.length != length) {
            throw new IllegalArgumentException("expected the ids of " + length + " cached positions of one row, found " + ids.length);
        }
        tokenIds = new long[][] {ids.clone()};
    }

    /** The ids of the cached positions, [B][length], or null when the cache does not know them. */
    public long[][] cachedIds() {
        if (tokenIds == null) {
            return null;
        }
        long[][] out = new long[batch][];
        for (int r = 0; r < batch; r++) {
            out[r] = java.util.Arrays.copyOf(tokenIds[r], length);
        }
        return out;
    }

    /** Forgets positions from {@code newLength} on (e.g. to re-run from a shorter prefix). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength;
        if (newLength == 0) {
            slotMask = null;
        }
    }

    private NDArray allocate(DataType type) {
        NDArray a = manager.zeros(new Shape(batch, kvHeads, capacity, headDim), type);
        NDScope.unregister(a); // lives as long as the cache, not the caller's scope
        return a;
    }

    private void ensureCapacity(int needed) {
        if (needed <= capacity) {
            return;
        }
        if (needed > maxCapacity) {
            throw new IllegalStateException("KV cache full: " + needed + " positions exceed the model's " + maxCapacity);
        }
        int grown = Math.min(maxCapacity, Math.max(needed, capacity * 2));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = regrow(keys[l], grown);
            values[l] = regrow(values[l], grown);
        }
        capacity = grown;
    }

    private NDArray regrow(NDArray old, int grown) {
        if (old == null) {
            return null;
        }
        NDArray bigger = manager.zeros(new Shape(batch, kvHeads, grown, headDim), old.getDataType());
        NDScope.unregister(bigger);
        if (length > 0) {
            bigger.set(new NDIndex(":, :, :{}", length), old.get(new NDIndex(":, :, :{}", length)));
        }
        old.close();
        return bigger;
    }

    @Override
    public void close() {
        if (ownsManager) {
            manager.close();
        }
    }
}
