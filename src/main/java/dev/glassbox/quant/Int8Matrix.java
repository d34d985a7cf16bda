package dev.glassbox.quant;

/**
 * A weight matrix W [rows = out, cols = in] held as int8 with one float32 scale per output row
 * (per output channel, as llama.cpp's q8_0 with one block per row, or torchao's int8 weight-only):
 * s_r = max_c |W_rc| / 127, q_rc = round(W_rc / s_r) in [-127, 127], and W ≈ q·s.
 */
public final class Int8Matrix {

    private final byte[] q;
    private final float[] scale;
    private final int rows;
    private final int cols;

    private Int8Matrix(byte[] q, float[] scale, int rows, int cols) {
        this.q = q;
        this.scale = scale;
        this.rows = rows;
        this.cols = cols;
    }

    /** Quantizes {@code w}, row-major [rows, cols]. */
    public static Int8Matrix quantize(float[] w, int rows, int cols) {
        if ((long) rows * cols != w.length) {
            throw new IllegalArgumentException("expected " + rows + "×" + cols + " weights, found " + w.length);
        }
        byte[] q = new byte[w.length];
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = 0f;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[base + c]));
            }
            float s = max / 127f;
            scale[r] = s;
            if (s == 0f) {
                continue; // an all-zero row stays zero
            }
            float inv = 1f / s;
            for (int c = 0; c < cols; c++) {
                q[base + c] = (byte) roundHalfAway(w[base + c] * inv);
            }
        }
        return new Int8Matrix(q, scale, rows, cols);
    }

    /** C's roundf, as llama.cpp rounds; clamped to ±127 against a 1-ulp overshoot of w/s. */
    private static int roundHalfAway(float v) {
        int r = (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
        return Math.max(-127, Math.min(127, r));
    }

    /** The weights this matrix stands for, q·s, row-major [rows, cols]. */
    public float[] dequantize() {
        float[] w = new float[q.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                w[base + c] = q[base + c] * scale[r];
            }
        }
        return w;
    }

    /** y = W·x for one input row (M = 1), through the Vector API kernel. */
    public void multiply(float[] x, float[] y) {
        Gemv.int8(this, x, y);
    }

    byte[] values() {
        return q;
    }

    float[] scales() {
        return scale;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }
}
