package dev.glassbox.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 GEMV y_r = s_r · Σ_c q_rc·x_c in the incubating Java Vector API (jdk.incubator.vector,
 * Java 17 and later; heap arrays only, so the same code runs on 17 and 25). Only {@link Gemv}
 * touches this class, and only after checking that the module is present.
 */
final class VectorGemv {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** As many int8 lanes as float lanes: one byte load widens into one float vector. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * Byte.SIZE));

    private VectorGemv() {}

    /** Rows [r0, r1) of y = W·x; four rows at a time share each load of x. */
    static void rows(byte[] q, float[] scale, int cols, float[] x, float[] y, int r0, int r1) {
        int lanes = F.length();
        int bound = cols - cols % lanes;
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int b0 = r * cols;
            int b1 = b0 + cols;
            int b2 = b1 + cols;
            int b3 = b2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < bound; c += lanes) {
                FloatVector xv = FloatVector.fromArray(F, x, c);
                a0 = widen(q, b0 + c).fma(xv, a0);
                a1 = widen(q, b1 + c).fma(xv, a1);
                a2 = widen(q, b2 + c).fma(xv, a2);
                a3 = widen(q, b3 + c).fma(xv, a3);
            }
            y[r] = (a0.reduceLanes(VectorOperators.ADD) + tail(q, b0, bound, cols, x)) * scale[r];
            y[r + 1] = (a1.reduceLanes(VectorOperators.ADD) + tail(q, b1, bound, cols, x)) * scale[r + 1];
            y[r + 2] = (a2.reduceLanes(VectorOperators.ADD) + tail(q, b2, bound, cols, x)) * scale[r + 2];
            y[r + 3] = (a3.reduceLanes(VectorOperators.ADD) + tail(q, b3, bound, cols, x)) * scale[r + 3];
        }
        for (; r < r1; r++) {
            y[r] = tail(q, r * cols, 0, cols, x) * scale[r];
        }
    }

    private static FloatVector widen(byte[] q, int offset) {
        return (FloatVector) ByteVector.fromArray(B, q, offset).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float tail(byte[] q, int base, int from, int cols, float[] x) {
        float s = 0f;
        for (int c = from; c < cols; c++) {
            s += q[base + c] * x[c];
        }
        return s;
    }
}
