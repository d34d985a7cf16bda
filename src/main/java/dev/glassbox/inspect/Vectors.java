package dev.glassbox.inspect;

import java.util.Arrays;

/** Package-private helpers on flat row-major float arrays and plain vectors. */
final class Vectors {

    private Vectors() {}

    /** Row {@code i} of a flat array of rows of width {@code width}. */
    static float[] row(float[] flat, int i, int width) {
        return Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }

    /** The rows of a flat [rows, width] array. */
    static float[][] rows(float[] flat, int width) {
        int n = flat.length / width;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = row(flat, i, width);
        }
        return out;
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    static double dot(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static float[] head(float[] v, int n) {
        return Arrays.copyOf(v, Math.min(n, v.length));
    }

    static long[] shape(long... dims) {
        return dims;
    }
}
