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
 *   <li>PyTorch's intra-op thread count, which DJL sets from a system property but never reports
 *       and never changes afterwards (a decode step runs PyTorch on one thread: {@link dev.glassbox.kernels.ForwardThreads}).
 *   <li>A direct buffer over a CPU tensor's own memory, for the OpenBLAS linear layers
 *       ({@link dev.glassbox.kernels.BlasLinear}): {@code toByteBuffer} copies.
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

    /** True when libtorch records autograd on the calling thread (inside a GradientCollector). */
    public static boolean isGradMode() {
        return JniUtils.isGradMode();
    }

    /** Sets PyTorch's intra-op thread count (process-wide). */
    public static void setNumThreads(int n) {
        engine();
        JniUtils.setNumThreads(n);
    }

    /** PyTorch's intra-op thread count. */
    public static int numThreads() {
        engine();
        return JniUtils.getNumThreads();
    }

    /**
     * A direct buffer over the memory of {@code array} (float32 on the CPU), in native byte order.
     * A contiguous tensor is shared, not copied: writes through the buffer change the array. A
     * non-contiguous one is first copied into a contiguous array owned by its manager (DJL's rule),
     * so callers that keep the buffer check {@link #sharesMemory}.
     */
    public static java.nio.ByteBuffer directBuffer(NDArray array) {
        return JniUtils.getByteBuffer((PtNDArray) array, true).order(java.nio.ByteOrder.nativeOrder());
    }

    /**
     * {@code array}'s values as a Java array. Float32 on the CPU is read straight from the tensor's
     * memory: one copy, where DJL's {@code toFloatArray} first copies into a new, zeroed direct
     * buffer (for a 128-token prompt's logits at every position, 26 MB more to allocate, zero and
     * copy, and native memory the GC frees late). Anything else goes through DJL.
     */
    public static float[] toFloatArray(NDArray array) {
        if (array.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32
                || !ai.djl.Device.Type.CPU.equals(array.getDevice().getDeviceType())) {
            return array.toFloatArray();
        }
        float[] out = new float[Math.toIntExact(array.size())];
        directBuffer(array).asFloatBuffer().get(out);
        return out;
    }

    /** True when {@link #directBuffer} gives {@code array}'s own memory (asked twice: a copy would move). */
    public static boolean sharesMemory(NDArray array) {
        return address(directBuffer(array)) == address(directBuffer(array));
    }

    private static long address(java.nio.ByteBuffer b) {
        return new org.bytedeco.javacpp.Pointer(b).address();
    }

    /** Loads the PyTorch engine (libtorch and DJL's JNI) if nothing has yet; JniUtils needs it. */
    private static void engine() {
        if (!engineLoaded) {
            ai.djl.engine.Engine.getEngine("PyTorch");
            engineLoaded = true;
        }
    }

    private static volatile boolean engineLoaded;
}
