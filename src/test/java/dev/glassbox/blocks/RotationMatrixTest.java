package dev.glassbox.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** A decode step's rotation as one matrix product against the seven-operation rotate_half form. */
class RotationMatrixTest {

    @Test
    void theMatrixRotatesAsRotateHalfDoes() {
        int d = 64;
        java.util.Random rng = new java.util.Random(3);
        float[] cos = new float[d];
        float[] sin = new float[d];
        for (int i = 0; i < d / 2; i++) {
            double angle = 17 * Math.pow(10000, -2.0 * i / d); // position 17, as Llama's tables
            cos[i] = cos[i + d / 2] = (float) Math.cos(angle);
            sin[i] = sin[i + d / 2] = (float) Math.sin(angle);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Shape table = new Shape(1, 1, 1, d);
            NDArray c = m.create(cos, table);
            NDArray s = m.create(sin, table);
            NDArray r = m.create(TransformerLM.rotationMatrix(cos, sin), new Shape(d, d));
            float[] xs = new float[2 * 9 * d];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) rng.nextGaussian();
            }
            NDArray x = m.create(xs, new Shape(2, 1, 9, d)); // two rows of a batch, nine heads
            float[] expected = Attention.rotate(x, new NDArray[] {c, s}).toFloatArray();
            float[] actual = Attention.rotate(x, new NDArray[] {c, s, r}).toFloatArray();
            // the same function written out by hand, for one head: y_i = x_i cos_i + [-x₂, x₁]_i sin_i
            for (int i = 0; i < d; i++) {
                float half = i < d / 2 ? -xs[i + d / 2] : xs[i - d / 2];
                assertEquals(xs[i] * cos[i] + half * sin[i], expected[i], 1e-5f, "rotate_half at " + i);
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), "matrix form at " + i);
            }
        }
    }
}
