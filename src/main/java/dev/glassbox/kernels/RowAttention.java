package dev.glassbox.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.djl.PyTorchInternals;
import java.nio.FloatBuffer;

/**
 * The attention core of a decode step of one sequence, written out in Java over the tensors' own
 * memory: the new key and value go into the KV cache, then for each head h
 * z_h = Σ_j softmax_j(q_h·k_j·scale [softcapped] + mask_j) v_j over the cached positions j, the
 * query heads of a group sharing their key/value head. The same sums as the DJL path in
 * {@code Attention} (matmul, scale, softcap, mask, softmax, matmul), in another order: parity within
 * float32 rounding.
 *
 * <p>Why: in a decode step that path is about 25 DJL operations per layer on vectors of a few
 * hundred values, each a JNI call and a tensor (3–40 µs each, measured); this is one pass over
 * the cache and three calls. Measured on GPT-2 small, attention outside its products took 0.28 ms
 * per layer through DJL (README "Performance").
 *
 * <p>Only for the plain step: one row, one new position, float32 on the CPU, no gradient, no hooks
 * (a hooked step shows and may change the scores, the pattern and z, so it takes the DJL path).
 */
public final class RowAttention {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.rowAttention"));

    private static final java.util.concurrent.atomic.LongAdder STEPS = new java.util.concurrent.atomic.LongAdder();

    private RowAttention() {}

    /** Layer steps run here since the JVM started (for tests: the path was taken). */
    public static long stepsRun() {
        return STEPS.sum();
    }

    /**
     * True when a step with queries {@code q} [1, 1, H, d], keys and values {@code k}, {@code v}
     * [1, 1, K, d] may run here against {@code cache}; the mask, if any, must hold one value per
     * cached position plus the new one.
     */
    public static boolean applies(NDArray q, NDArray k, NDArray v, KvCache cache, NDArray mask) {
        if (!ENABLED || cache == null || cache.batch() != 1) {
            return false;
        }
        Shape s = q.getShape();
        if (s.dimension() != 4 || s.get(0) != 1 || s.get(1) != 1) {
            return false;
        }
        if (mask != null && (mask.getDataType() != DataType.FLOAT32 || mask.getShape().size() != cache.length() + 1)) {
            return false;
        }
        return CpuFloat32.inference(q, k, v);
    }

    /**
     * Appends {@code k}, {@code v} [1, 1, K, d] to {@code layer}'s cache and returns z [1, 1, H·d]
     * (heads side by side, as the output projection reads them), or null when the cache cannot be
     * written here (the caller then takes the DJL path; nothing was written).
     *
     * @param softcap c for c·tanh(s/c) on the scores before the mask (Gemma 2), or null
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, KvCache cache, int layer, float scale, Float softcap) {
        if (!cache.appendRows(layer, k, v)) {
            return null;
        }
        FloatBuffer[] kv = cache.rowViews(layer);
        int heads = (int) q.getShape().get(2);
        int d = (int) q.getShape().get(3);
        int kvHeads = (int) k.getShape().get(2);
        int past = cache.length();
        int s = past + 1;
        int cap = cache.capacity();
        FloatBuffer kc = kv[0];
        FloatBuffer vc = kv[1];
        float[] qv = PyTorchInternals.toFloatArray(q);
        float[] m = mask == null ? null : PyTorchInternals.toFloatArray(mask);
        float[] z = new float[heads * d];
        float[] p = new float[s];
        float[] row = new float[d];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int base = (h / group) * cap * d;
            int qo = h * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                float x = dot(qv, qo, kc, base + j * d, d) * scale;
                if (softcap != null) {
                    x = (float) (softcap * Math.tanh(x / softcap));
                }
                if (m != null) {
                    x += m[j];
                }
                p[j] = x;
                max = Math.max(max, x);
            }
            float sum = 0f;
            for (int j = 0; j < s; j++) {
                float e = max == Float.NEGATIVE_INFINITY ? Float.NaN : (float) Math.exp(p[j] - max);
                p[j] = e;
                sum += e;
            }
            for (int j = 0; j < s; j++) {
                float w = p[j] / sum;
                if (w == 0f) {
                    continue;
                }
                vc.get(base + j * d, row, 0, d);
                for (int c = 0; c < d; c++) {
                    z[qo + c] += w * row[c];
                }
            }
        }
        STEPS.increment();
        return CpuFloat32.tensor(q.getManager(), z, new Shape(1, 1, (long) heads * d));
    }

    /** q[qo..qo+d)·k[ko..ko+d), four partial sums (the loop is latency-bound on one). */
    private static float dot(float[] q, int qo, FloatBuffer k, int ko, int d) {
        float a0 = 0f;
        float a1 = 0f;
        float a2 = 0f;
        float a3 = 0f;
        int c = 0;
        for (; c + 4 <= d; c += 4) {
            a0 += q[qo + c] * k.get(ko + c);
            a1 += q[qo + c + 1] * k.get(ko + c + 1);
            a2 += q[qo + c + 2] * k.get(ko + c + 2);
            a3 += q[qo + c + 3] * k.get(ko + c + 3);
        }
        for (; c < d; c++) {
            a0 += q[qo + c] * k.get(ko + c);
        }
        return (a0 + a1) + (a2 + a3);
    }
}
