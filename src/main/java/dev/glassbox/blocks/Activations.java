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
                // GPT-2's gelu_new; DJL's Activation.gelu is the exact erf form, which differs.
                NDArray cube = x.mul(x).mul(x);
                NDArray inner = x.add(cube.mul(Constants.of(0.044715f, x))).mul(Constants.of(SQRT_2_OVER_PI, x));
                return x.mul(Constants.of(0.5f, x)).mul(inner.tanh().add(Constants.of(1f, x)));
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
