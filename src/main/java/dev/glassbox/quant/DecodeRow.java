package dev.glassbox.quant;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The int8 fast path of a linear layer: one float32 input row on the CPU (a decode step of one
 * sequence), no gradient wanted, and the Vector API present. Anything else (prefill, a batch,
 * the GPU, autograd, a JVM without the module) takes the plain PyTorch product over the
 * dequantized weights, which is the same model.
 */
public final class DecodeRow {

    private DecodeRow() {}

    /** True when {@code x} [..., in] may be multiplied through {@link #multiply}. */
    public static boolean applies(NDArray x) {
        if (!Gemv.available() || x.getDataType() != DataType.FLOAT32 || !Device.Type.CPU.equals(x.getDevice().getDeviceType())) {
            return false;
        }
        return dev.glassbox.kernels.BlasLinear.singleRow(x.getShape()) && !x.hasGradient();
    }

    /** x·Wᵀ (+ b) for the single row {@code x}, shaped like x with its last axis W's rows. */
    public static NDArray multiply(Int8Matrix w, NDArray x, float[] bias) {
        float[] y = new float[w.rows()];
        w.multiply(x.toFloatArray(), y);
        if (bias != null) {
            for (int i = 0; i < y.length; i++) {
                y[i] += bias[i];
            }
        }
        Shape s = x.getShape();
        return x.getManager().create(y, s.slice(0, s.dimension() - 1).add(w.rows()));
    }
}
