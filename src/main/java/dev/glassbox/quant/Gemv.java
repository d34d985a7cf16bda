package dev.glassbox.quant;

/**
 * The decode-time (one input row) product with int8 weights, y = W·x, on the CPU. It runs the
 * Vector API kernel when the JVM was started with {@code --add-modules jdk.incubator.vector}
 * (bin/glassbox adds it with {@code --quantize int8}); otherwise {@link #available()} is false
 * and callers take the plain PyTorch path over the dequantized weights. Large matrices are split
 * by rows over the PyTorch engine's thread count ({@link dev.glassbox.kernels.RowSplit}).
 */
public final class Gemv {

    private static final boolean AVAILABLE = probe();

    private Gemv() {}

    /** True when the Vector API kernel can run in this JVM. */
    public static boolean available() {
        return AVAILABLE;
    }

    private static boolean probe() {
        if (Boolean.getBoolean("glassbox.noVectorApi") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            // one tiny product: the module is there and the kernel links on this JDK
            float[] y = new float[1];
            VectorGemv.rows(new byte[] {2}, new float[] {0.5f}, 1, new float[] {3f}, y, 0, 1);
            return y[0] == 3f;
        } catch (LinkageError e) {
            return false;
        }
    }

    static void int8(Int8Matrix w, float[] x, float[] y) {
        if (!AVAILABLE) {
            throw new IllegalStateException("the Vector API kernel is not available (start the JVM with --add-modules jdk.incubator.vector)");
        }
        if (x.length != w.cols() || y.length != w.rows()) {
            throw new IllegalArgumentException("W is " + w.rows() + "×" + w.cols() + ", x has " + x.length + ", y has " + y.length);
        }
        // split over PyTorch's configured thread count, as the float32 products are
        dev.glassbox.kernels.RowSplit.run(w.rows(), (long) w.rows() * w.cols(),
                (r0, r1) -> VectorGemv.rows(w.values(), w.scales(), w.cols(), x, y, r0, r1));
    }
}
