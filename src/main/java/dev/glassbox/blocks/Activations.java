package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import dev.glassbox.arch.ModelConfig.Activation;

/** The MLP non-linearities, written out where DJL has no exact equivalent. */
public final class Activations {

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private Activations() {}

    /** {@code a} applied elementwise to {@code x}. */
    public static NDArray apply(Activation a, NDArray x) {
        switch (a) {
            case GELU_TANH:
                // GPT-2's gelu_new, ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as x·σ(2√(2/π)·x·(1 + 0.044715x²)):
                // the same function (½(1 + tanh z) = σ(2z)) in 5 operations instead of 9, and libtorch's
                // sigmoid is vectorised where its tanh is not (3072 values on one thread: 13–17 µs
                // for tanh, 3.5–3.7 µs for sigmoid).
                // DJL's Activation.gelu is the exact erf form, which differs.
                NDArray z = x.square().mul(Constants.of(2 * SQRT_2_OVER_PI * 0.044715f, x)).add(Constants.of(2 * SQRT_2_OVER_PI, x)).mul(x);
                return x.mul(ai.djl.nn.Activation.sigmoid(z));
            case GELU:
                return ai.djl.nn.Activation.gelu(x);
            case SILU:
                // torch's silu rounds once: a half-precision input is computed in float32 and cast back
                NDArray x32 = Half.f32(x);
                return Half.like(x32.mul(ai.djl.nn.Activation.sigmoid(x32)), x);
            case RELU:
                return ai.djl.nn.Activation.relu(x);
            default:
                throw new IllegalStateException(a.toString());
        }
    }
}
