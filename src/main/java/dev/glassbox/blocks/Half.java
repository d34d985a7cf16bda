package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The casts of a half-precision model ({@code --dtype f16}). Weights and the residual stream stay
 * in the weights' type; transformers computes norms and the attention softmax in float32 and casts
 * back, and glassbox does the same through these helpers. On a float32 model every call returns
 * its argument, so the float32 path is untouched.
 */
public final class Half {

    private Half() {}

    /** {@code a} in float32 (itself when it already is). */
    public static NDArray f32(NDArray a) {
        return as(a, DataType.FLOAT32);
    }

    /** {@code a} in {@code type} (itself when it already is). */
    public static NDArray as(NDArray a, DataType type) {
        return a.getDataType() == type ? a : a.toType(type, false);
    }

    /** {@code a} in the type of {@code like}. */
    public static NDArray like(NDArray a, NDArray like) {
        return as(a, like.getDataType());
    }

    /** The values of {@code a} as Java floats, whatever its floating type; no temporary is left behind. */
    public static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return dev.glassbox.djl.PyTorchInternals.toFloatArray(a);
        }
        try (NDArray wide = a.toType(DataType.FLOAT32, false)) {
            return dev.glassbox.djl.PyTorchInternals.toFloatArray(wide);
        }
    }
}
