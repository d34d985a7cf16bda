package dev.glassbox.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Rotary in one Java pass against HuggingFace's rotate_half written in DJL operations: bit for bit. */
class RotaryTest {

    private static NDArray rotateHalf(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        return x.mul(cos).add(NDArrays.concat(new NDList(x2.neg(), x1), -1).mul(sin));
    }

    @Test
    void equalsRotateHalfBitForBit() {
        // batch, positions, heads, head width, batch of the tables
        int[][] cases = {{1, 128, 9, 64, 1}, {1, 3, 3, 64, 1}, {2, 7, 4, 16, 2}, {3, 5, 2, 8, 1}, {1, 1, 12, 64, 1}};
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            for (int[] c : cases) {
                NDArray x = m.randomNormal(new Shape(c[0], c[1], c[2], c[3])).mul(3);
                NDArray angle = m.randomUniform(0, 100, new Shape(c[4], c[1], 1, c[3]));
                NDArray cos = angle.cos();
                NDArray sin = angle.sin();
                assertTrue(Rotary.applies(x, cos, sin));
                float[] expected = rotateHalf(x, cos, sin).toFloatArray();
                assertArrayEquals(expected, Rotary.apply(x, cos, sin).toFloatArray(), java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void leavesPartialRotaryOtherTablesAndGradientsToDjl() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(1, 4, 2, 8));
            NDArray cos = m.ones(new Shape(1, 4, 1, 8));
            assertTrue(Rotary.applies(x, cos, cos));
            NDArray partial = m.ones(new Shape(1, 4, 1, 4));
            assertFalse(Rotary.applies(x, partial, partial), "partial rotary");
            NDArray otherPositions = m.ones(new Shape(1, 5, 1, 8));
            assertFalse(Rotary.applies(x, otherPositions, otherPositions), "tables for other positions");
            assertFalse(Rotary.applies(x.toType(DataType.FLOAT16, false), cos, cos), "half precision");
            NDArray tracked = m.randomNormal(new Shape(1, 4, 2, 8));
            tracked.setRequiresGradient(true);
            assertFalse(Rotary.applies(tracked, cos, cos), "an input autograd must see");
        }
    }
}
