package dev.glassbox.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.djl.PyTorchInternals;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The attention core of a prompt (several new positions of one sequence) with its two products
 * per head in OpenBLAS: S_h = q_h·k_gᵀ·scale, P_h = softmax(S_h + mask) (in libtorch), z_h = P_h·v_g,
 * where g is the key/value head that query head h shares with its group. The same sums as the DJL
 * path in {@code Attention}, in another order: parity within float32 rounding.
 *
 * <p>Why: inside a one-thread forward ({@link ForwardThreads}) libtorch's batched products ran on
 * one core; with SmolLM-135M's shape at 512 tokens they took a fifth of the prompt's time, and the
 * mask's addition over every score 5 %. Here the products run on OpenBLAS's threads, read q, k and
 * v where they lie (strided, no transposed copies) and write z in the [t, H·d] layout the output
 * projection reads. A causal or sliding-window mask (each row: zeros over one run of positions,
 * −∞ elsewhere, as {@code TransformerLM} makes it) is not added: each block of 64 query rows gets
 * the scores of only the positions some row of it sees, [H, rows, seen], the few a row of it does
 * not see set to −∞ (which softmax turns into exact zeros), and its own softmax; z then skips
 * those positions too. At 512 causal tokens that leaves out 44 % of the scores a whole [H, t, s]
 * softmax would exponentiate. Any other mask is added to every score, as is. A block's heads
 * are split between the calling thread and a {@link RowSplit} worker, each running its heads'
 * products on one OpenBLAS thread and its own softmax: in one JVM, alternating forward by
 * forward, SmolLM-135M's 512-token prompt took 717–729 ms (minimum–median of 16) against 782–789
 * with each product split by OpenBLAS instead. Below {@link #ONE_THREAD_BELOW} scores a head (a
 * 128-token prompt) one thread runs every head: split, the same 194–205 ms in one JVM, and in
 * {@code bench} JVMs a longer tail (all-position logits 299 and 260 ms against 260 and 261).
 *
 * <p>Only unhooked, float32 on the CPU, no gradient, batch 1, no softcap (the DJL path handles
 * those), and only inside a one-thread forward, where OpenBLAS's threads do not compete with OpenMP's.
 */
public final class PromptAttention {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.promptAttention"));

    /**
     * Below this many scores per head (t·s), a prompt's attention products run on one OpenBLAS
     * thread. Measured on SmolLM's and GPT-2's shapes at 128 tokens (300 calls alternating, one
     * JVM): the same median on one thread as on two (0.56 against 0.55 ms a layer, 0.80 against 0.94),
     * and a far shorter tail (90th percentile 0.85 against 4.6 ms, 1.7 against 5.1): each
     * of these small products otherwise waits for the second thread, which a busy machine has
     * often descheduled. At 512 tokens two threads are faster (median 6.2 against 8.0 ms).
     */
    static final long ONE_THREAD_BELOW = 256L * 256;

    /**
     * How long the split's worker waits for the next block before it parks: long enough for the
     * next block of the same layer, short enough that it does not take turns on the core with
     * OpenBLAS's thread through the products that follow.
     */
    static final long LINGER_NS = 30_000;

    /** Query rows per block: each block multiplies the key range its rows see (32, 128, 256, 512 rows: no faster at 512 tokens). */
    static final int BLOCK = 64;

    private static final java.util.concurrent.atomic.LongAdder CALLS = new java.util.concurrent.atomic.LongAdder();

    private PromptAttention() {}

    /** Layer calls run here since the JVM started (for tests: the path was taken). */
    public static long callsRun() {
        return CALLS.sum();
    }

    /**
     * Keys and values of one layer as the products read them: position j of key/value head g starts
     * at {@code g·headStride + j·rowStride} in {@code k} and {@code v}.
     */
    public record KeysValues(FloatBuffer k, FloatBuffer v, int positions, int headStride, int rowStride) {

        /** The cache's buffers [1, K, capacity, d] after this call's keys were appended (null where they cannot be viewed). */
        public static KeysValues ofCache(KvCache cache, int layer, int positions, int headDim) {
            FloatBuffer[] kv = cache.rowViews(layer);
            return kv == null ? null : new KeysValues(kv[0], kv[1], positions, cache.capacity() * headDim, headDim);
        }

        /** This call's own keys and values [1, t, K, d] (no cache). */
        public static KeysValues ofFresh(NDArray k, NDArray v) {
            int kvHeads = (int) k.getShape().get(2);
            int d = (int) k.getShape().get(3);
            return new KeysValues(PyTorchInternals.directBuffer(k).asFloatBuffer(), PyTorchInternals.directBuffer(v).asFloatBuffer(),
                    (int) k.getShape().get(1), d, kvHeads * d);
        }
    }

    /**
     * True when queries {@code q} [B, t, H, d] with the additive {@code mask} (null, or t·s float32
     * values) may run here.
     */
    public static boolean applies(NDArray q, NDArray mask, Float softcap, int positions) {
        Shape s = q.getShape();
        if (!ENABLED || softcap != null || s.dimension() != 4 || s.get(0) != 1 || s.get(1) < 2 || !ForwardThreads.inside()) {
            return false;
        }
        if (mask != null && (mask.getDataType() != DataType.FLOAT32 || mask.getShape().size() != s.get(1) * positions)) {
            return false;
        }
        return CpuFloat32.inference(q) && OpenBlas.available();
    }

    /** z [1, t, H·d] for queries {@code q} [1, t, H, d] (already rotated) against {@code kvHeads} heads of {@code kv}. */
    public static NDArray attend(NDArray q, KeysValues kv, int kvHeads, NDArray mask, float scale) {
        int t = (int) q.getShape().get(1);
        int heads = (int) q.getShape().get(2);
        int d = (int) q.getShape().get(3);
        int s = kv.positions();
        int group = heads / kvHeads;
        FloatBuffer qb = PyTorchInternals.directBuffer(q).asFloatBuffer();
        int[][] seen = mask == null ? everything(t, s) : runsOf(mask, t, s);
        // the strips of a long prompt split their heads between threads, each product on one OpenBLAS
        // thread; other products are split by OpenBLAS, except small ones (see ONE_THREAD_BELOW)
        boolean narrow = (seen != null || (long) t * s < ONE_THREAD_BELOW) && ForwardThreads.threads() > 1;
        if (narrow) {
            OpenBlas.threads(1);
        }
        try {
            return attendBlocks(q, qb, kv, group, mask, seen, scale, t, heads, d, s);
        } finally {
            if (narrow) {
                OpenBlas.threads(ForwardThreads.threads());
            }
        }
    }

    private static NDArray attendBlocks(NDArray q, FloatBuffer qb, KeysValues kv, int group, NDArray mask, int[][] seen,
            float scale, int t, int heads, int d, int s) {
        NDManager m = q.getManager();
        NDArray z = m.create(new Shape(1, t, (long) heads * d), DataType.FLOAT32);
        FloatPointer qp = new FloatPointer(qb);
        FloatPointer kp = new FloatPointer(kv.k());
        FloatPointer vp = new FloatPointer(kv.v());
        FloatPointer zp = new FloatPointer(PyTorchInternals.directBuffer(z).asFloatBuffer());
        if (seen == null) {
            masked(m, qp, kp, vp, zp, kv, group, mask, scale, t, heads, d, s);
        } else {
            strips(m, qp, kp, vp, zp, kv, group, seen, scale, t, heads, d);
        }
        CALLS.increment();
        return z;
    }

    /**
     * Any other mask: every score of a head at once, the mask added to all of them, one softmax.
     */
    private static void masked(NDManager m, FloatPointer qp, FloatPointer kp, FloatPointer vp, FloatPointer zp, KeysValues kv,
            int group, NDArray mask, float scale, int t, int heads, int d, int s) {
        try (NDArray scores = m.create(new Shape(1, heads, t, s), DataType.FLOAT32)) {
            FloatPointer sp = new FloatPointer(PyTorchInternals.directBuffer(scores).asFloatBuffer());
            for (int r0 = 0; r0 < t; r0 += BLOCK) {
                scores(qp, kp, kv, sp, r0 * s, t * s, s, group, scale, r0, Math.min(BLOCK, t - r0), 0, s, 0, heads, 0, heads, d);
            }
            try (NDArray added = scores.add(mask.reshape(1, 1, t, s)); NDArray pattern = added.softmax(-1)) {
                FloatPointer pp = new FloatPointer(PyTorchInternals.directBuffer(pattern).asFloatBuffer());
                for (int r0 = 0; r0 < t; r0 += BLOCK) {
                    values(pp, vp, kv, zp, r0 * s, t * s, s, group, r0, Math.min(BLOCK, t - r0), 0, s, 0, heads, 0, heads, d);
                }
            }
        }
    }

    /**
     * A causal or windowed mask, block by block of query rows: the scores of the positions the
     * block sees, [H, rows, hi − lo + 1], what each row of it does not see set to −∞, their
     * softmax, and z for those rows. Neither the positions no row of the block sees nor their
     * softmax are computed (at 512 causal tokens, 44 % of a full [H, t, s] softmax's values), and
     * only the edges of each block are written with −∞. From {@link #ONE_THREAD_BELOW} scores a
     * head on, the heads of a block are split between threads ({@link RowSplit}), each product on
     * one OpenBLAS thread.
     */
    private static void strips(NDManager m, FloatPointer qp, FloatPointer kp, FloatPointer vp, FloatPointer zp, KeysValues kv,
            int group, int[][] seen, float scale, int t, int heads, int d) {
        boolean split = (long) t * kv.positions() >= ONE_THREAD_BELOW; // below, one thread (see ONE_THREAD_BELOW)
        for (Strip block : blocks(seen, t)) {
            try (NDArray strip = m.create(new Shape(heads, block.rows(), block.w()), DataType.FLOAT32)) {
                FloatBuffer sb = PyTorchInternals.directBuffer(strip).asFloatBuffer();
                if (split) {
                    RowSplit.split(heads, 1, LINGER_NS, (h0, h1) -> stripHeads(strip, sb, qp, kp, vp, zp, kv, group, seen, scale, block, h0, h1, heads, d));
                } else {
                    stripHeads(strip, sb, qp, kp, vp, zp, kv, group, seen, scale, block, 0, heads, heads, d);
                }
            }
        }
    }

    /** One block of query rows [r0, r0 + rows) over positions [lo, lo + w). */
    private record Strip(int r0, int rows, int lo, int w) {}

    /**
     * Heads [h0, h1) of one block: their scores into {@code strip} [H, rows, w], the unseen
     * positions hidden, their softmax, and their z. Pointers of its own (a call moves their
     * positions): another thread may be running the block's other heads.
     */
    private static void stripHeads(NDArray strip, FloatBuffer sb, FloatPointer qp, FloatPointer kp, FloatPointer vp, FloatPointer zp,
            KeysValues kv, int group, int[][] seen, float scale, Strip b, int h0, int h1, int heads, int d) {
        int size = b.rows() * b.w();
        scores(new FloatPointer(qp), new FloatPointer(kp), kv, new FloatPointer(sb), 0, size, b.w(), group, scale, b.r0(), b.rows(),
                b.lo(), b.w(), h0, h1, 0, heads, d);
        hideUnseen(sb, seen[0], seen[1], b.r0(), b.rows(), b.lo(), b.w(), h0, h1);
        try (NDArray mine = h0 == 0 && h1 == heads ? null : strip.get(new NDIndex("{}:{}", h0, h1));
                NDArray pattern = (mine == null ? strip : mine).softmax(-1)) {
            values(new FloatPointer(PyTorchInternals.directBuffer(pattern).asFloatBuffer()), new FloatPointer(vp), kv, new FloatPointer(zp),
                    0, size, b.w(), group, b.r0(), b.rows(), b.lo(), b.w(), h0, h1, h0, heads, d);
        }
    }

    // The loops below work on JavaCPP pointers (moved by position) and on absolute puts rather
    // than on FloatBuffer duplicate/position/bulk-put code: inlined into these loops, that made C2
    // spend 0.4-0.7 s on each compilation of this class's old single method (three in a run, JFR
    // jdk.Compilation), on a core the products needed (README "Performance").

    /**
     * S_h = q_h·k_gᵀ·scale for heads [h0, h1), query rows [r0, r0 + rows) over positions [lo, lo + w);
     * head h's block at {@code at + (h − first)·headStride} of {@code sp}, rows {@code lds} apart.
     */
    private static void scores(FloatPointer qp, FloatPointer kp, KeysValues kv, FloatPointer sp, int at, int headStride, int lds,
            int group, float scale, int r0, int rows, int lo, int w, int h0, int h1, int first, int heads, int d) {
        for (int h = h0; h < h1; h++) {
            int kOff = (h / group) * kv.headStride();
            OpenBlas.gemmAt(rows, w, d, scale, qp.position((long) (r0 * heads + h) * d), heads * d,
                    kp.position(kOff + (long) lo * kv.rowStride()), kv.rowStride(), true, sp.position(at + (long) (h - first) * headStride), lds);
        }
    }

    /** z_h = P_h·v_g for the same heads, rows and positions as {@link #scores}, into z [t, H·d]; P_h at {@code at + (h − first)·headStride}. */
    private static void values(FloatPointer pp, FloatPointer vp, KeysValues kv, FloatPointer zp, int at, int headStride, int ldp,
            int group, int r0, int rows, int lo, int w, int h0, int h1, int first, int heads, int d) {
        for (int h = h0; h < h1; h++) {
            int vOff = (h / group) * kv.headStride();
            OpenBlas.gemmAt(rows, d, w, 1f, pp.position(at + (long) (h - first) * headStride), ldp,
                    vp.position(vOff + (long) lo * kv.rowStride()), kv.rowStride(), false, zp.position((long) r0 * heads * d + (long) h * d),
                    heads * d);
        }
    }

    /** −∞ in heads [h0, h1) of a strip [H, rows, w] (positions lo…) wherever row r0 + i does not see a position: its run is [first, last]. */
    private static void hideUnseen(FloatBuffer strip, int[] first, int[] last, int r0, int rows, int lo, int w, int h0, int h1) {
        for (int h = h0; h < h1; h++) {
            for (int i = 0; i < rows; i++) {
                int row = (h * rows + i) * w;
                fill(strip, row, row + first[r0 + i] - lo);
                fill(strip, row + last[r0 + i] - lo + 1, row + w);
            }
        }
    }

    private static void fill(FloatBuffer b, int from, int to) {
        for (int j = from; j < to; j++) {
            b.put(j, Float.NEGATIVE_INFINITY);
        }
    }

    /** The last mask read by {@link #runsOf}, and what was found in it. */
    private record MaskRuns(java.lang.ref.WeakReference<NDArray> mask, int t, int s, int[][] seen) {}

    private static MaskRuns lastMask;

    /**
     * {@link #visibleRuns} of {@code mask}, read once per forward: every layer of a forward gets the
     * same mask array (TransformerLM builds it once per window), which is never written after, so
     * the other layers reuse what the first one found instead of copying and scanning t·s values again.
     */
    private static synchronized int[][] runsOf(NDArray mask, int t, int s) {
        MaskRuns last = lastMask;
        if (last != null && last.mask().get() == mask && last.t() == t && last.s() == s) {
            return last.seen();
        }
        int[][] seen = visibleRuns(PyTorchInternals.toFloatArray(mask), t, s);
        lastMask = new MaskRuns(new java.lang.ref.WeakReference<>(mask), t, s, seen);
        return seen;
    }

    /** Row i sees positions [seen[0][i], seen[1][i]]: every position. */
    private static int[][] everything(int t, int s) {
        int[] lo = new int[t];
        int[] hi = new int[t];
        Arrays.fill(hi, s - 1);
        return new int[][] {lo, hi};
    }

    /**
     * For a mask [t, s] whose every row is 0 over one run of positions and −∞ elsewhere, each row's
     * first and last visible position; null for any other mask (it is then added as is).
     */
    static int[][] visibleRuns(float[] mask, int t, int s) {
        int[] lo = new int[t];
        int[] hi = new int[t];
        for (int i = 0; i < t; i++) {
            int base = i * s;
            int a = 0;
            while (a < s && mask[base + a] == Float.NEGATIVE_INFINITY) {
                a++;
            }
            int b = a;
            while (b < s && mask[base + b] == 0f) {
                b++;
            }
            for (int j = b; j < s; j++) {
                if (mask[base + j] != Float.NEGATIVE_INFINITY) {
                    return null;
                }
            }
            if (a == b) {
                return null; // a row that sees nothing: left to the general path
            }
            lo[i] = a;
            hi[i] = b - 1;
        }
        return new int[][] {lo, hi};
    }

    /**
     * The blocks of {@link #BLOCK} query rows, each over the positions from the first to the last
     * any of its rows sees.
     */
    private static Strip[] blocks(int[][] seen, int t) {
        Strip[] blocks = new Strip[(t + BLOCK - 1) / BLOCK];
        for (int b = 0; b < blocks.length; b++) {
            int r0 = b * BLOCK;
            int rows = Math.min(BLOCK, t - r0);
            int lo = Integer.MAX_VALUE;
            int hi = Integer.MIN_VALUE;
            for (int i = r0; i < r0 + rows; i++) {
                lo = Math.min(lo, seen[0][i]);
                hi = Math.max(hi, seen[1][i]);
            }
            blocks[b] = new Strip(r0, rows, lo, hi - lo + 1);
        }
        return blocks;
    }
}
