package dev.glassbox.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.djl.PyTorchInternals;

/**
 * Rotary position embedding in HuggingFace's rotate_half convention, x·cos + [−x₂, x₁]·sin on
 * every head, written out in Java over the tensors' own memory for float32 on the CPU. Each output
 * is the same two products and one sum, each rounded to float32, as the DJL path in
 * {@code Attention.rotate} (Java never fuses them into an FMA), so the result is bit-identical.
 *
 * <p>Why: that path is seven DJL operations (two slices, a negation, a concatenation, two products
 * and a sum) for q and again for k in every layer, each a pass over the tensor and a JNI call; in
 * a 128-token prompt of SmolLM-135M they took about 5 % of the forward (JFR samples).
 */
public final class Rotary {

    private static final boolean ENABLED = !"false".equals(System.getProperty("glassbox.rotary"));

    private Rotary() {}

    /**
     * True for {@code x} [B, t, H, d] with tables {@code cos}, {@code sin} [B or 1, t, 1, d] over the
     * whole head (no partial rotary), all float32 on the CPU, no gradient wanted.
     */
    public static boolean applies(NDArray x, NDArray cos, NDArray sin) {
        Shape s = x.getShape();
        Shape c = cos.getShape();
        if (!ENABLED || s.dimension() != 4 || c.dimension() != 4 || !c.equals(sin.getShape()) || s.get(3) % 2 != 0) {
            return false;
        }
        boolean tables = (c.get(0) == s.get(0) || c.get(0) == 1) && c.get(1) == s.get(1) && c.get(2) == 1 && c.get(3) == s.get(3);
        return tables && CpuFloat32.inference(x, cos, sin);
    }

    /** x rotated, a new array shaped like x. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        Shape s = x.getShape();
        int positions = Math.toIntExact(s.get(0) * s.get(1));
        int t = (int) s.get(1);
        boolean shared = cos.getShape().get(0) == 1; // one table for every row of the batch
        int heads = (int) s.get(2);
        int d = (int) s.get(3);
        float[] v = PyTorchInternals.toFloatArray(x);
        float[] c = PyTorchInternals.toFloatArray(cos);
        float[] sn = PyTorchInternals.toFloatArray(sin);
        rotate(v, c, sn, positions, shared ? t : positions, heads, d);
        return CpuFloat32.tensor(x.getManager(), v, s);
    }

    /**
     * Rotates each head of {@code positions} rows of v in place by table row p mod {@code rows}.
     * Plain arrays in a method of its own: compiled with the tensor plumbing around it, it took
     * C2 0.15 s (JFR jdk.Compilation) on a core the products of a prompt needed.
     */
    private static void rotate(float[] v, float[] c, float[] sn, int positions, int rows, int heads, int d) {
        int half = d / 2;
        for (int p = 0; p < positions; p++) {
            int tab = (p % rows) * d;
            for (int h = 0; h < heads; h++) {
                rotateHead(v, c, sn, (p * heads + h) * d, tab, half);
            }
        }
    }

    /**
     * One head at {@code base}, its table row at {@code tab}. x₁·cos − x₂·sin is x₁·cos + (−x₂)·sin
     * exactly (IEEE subtraction is the addition of the negation). In a method of its own, with both
     * results kept before either store, it ran about 20 % faster over [512, 9, 64] (255 against 324 µs,
     * and 324 against 400, in two runs).
     */
    private static void rotateHead(float[] v, float[] c, float[] sn, int base, int tab, int half) {
        for (int i = 0; i < half; i++) {
            float x1 = v[base + i];
            float x2 = v[base + half + i];
            float y1 = x1 * c[tab + i] - x2 * sn[tab + i];
            float y2 = x2 * c[tab + half + i] + x1 * sn[tab + half + i];
            v[base + i] = y1;
            v[base + half + i] = y2;
        }
    }
}
