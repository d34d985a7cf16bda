package dev.glassbox.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private VectorGemv() {}

    /**
     * Rows [r0, r1) of y = W·x, one row at a time. Why not several rows sharing each load of x:
     * measured on a 50257×768 matrix (one thread, AMD EPYC Zen 4, JDK 17), four rows at a time ran
     * at 5.3 billion weights/s and two at 6.1, against 12.8 for one (the JIT keeps one row's
     * vectors in registers; with four it spills).
     */
    static void rows(byte[] q, float[] scale, int cols, float[] x, float[] y, int r0, int r1) {
        int lanes = F.length();
        int bound = cols - cols % lanes;
        for (int r = r0; r < r1; r++) {
            int base = r * cols;
            FloatVector acc = FloatVector.zero(F);
            for (int c = 0; c < bound; c += lanes) {
                acc = widen(q, base + c).fma(FloatVector.fromArray(F, x, c), acc);
            }
            y[r] = (acc.reduceLanes(VectorOperators.ADD) + tail(q, base, bound, cols, x)) * scale[r];
        }
    }

    /** One float vector of weights: the bytes widened to ints, then converted (faster than B2F directly, measured). */
    private static FloatVector widen(byte[] q, int offset) {
        IntVector i = (IntVector) ByteVector.fromArray(B, q, offset).convertShape(VectorOperators.B2I, I, 0);
        return (FloatVector) i.convert(VectorOperators.I2F, 0);
    }

    private static float tail(byte[] q, int base, int from, int cols, float[] x) {
        float s = 0f;
        for (int c = from; c < cols; c++) {
            s += q[base + c] * x[c];
        }
        return s;
    }
}
