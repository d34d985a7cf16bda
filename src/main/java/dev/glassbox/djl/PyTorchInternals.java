package dev.glassbox.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The only calls glassbox makes into DJL's PyTorch engine internals ({@code JniUtils}), for the
 * three things DJL's public API has no equivalent of. Everything else (linear, layer norm,
 * embedding, activations, parameters) goes through DJL's public API.
 *
 * <ul>
 *   <li>Grad mode: DJL turns it on inside a {@code GradientCollector} only; the trainer's in-place
 *       optimizer updates need it explicitly off on the training thread (it is thread-local in libtorch).
 *   <li>Zeroing a gradient in place: {@code GradientCollector.zeroGradients()} walks only the system
 *       manager's arrays and subtracts each gradient from itself (NaN stays NaN); this zeroes the one
 *       tensor's gradient as torch's {@code zero_grad} does.
 *   <li>PyTorch's intra-op thread count, which DJL sets from a system property but never reports.
 * </ul>
 */
public final class PyTorchInternals {

    private PyTorchInternals() {}

    /** Turns libtorch's autograd recording on or off for the calling thread. */
    public static void setGradMode(boolean enabled) {
        JniUtils.setGradMode(enabled);
    }

    /** Sets the gradient of {@code parameter} (a PyTorch array) to zero in place. */
    public static void zeroGrad(NDArray parameter) {
        JniUtils.zeroGrad((PtNDArray) parameter);
    }

    /** PyTorch's intra-op thread count. */
    public static int numThreads() {
        return JniUtils.getNumThreads();
    }
}
