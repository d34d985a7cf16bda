package dev.glassbox.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.glassbox.djl.PyTorchInternals;

/** The condition every kernel of this package shares: float32 tensors on the CPU that autograd need not see. */
final class CpuFloat32 {

    private CpuFloat32() {}

    /**
     * True when every array is float32 on the CPU, none wants a gradient, and this thread is not
     * recording one (training, attribution patching: PyTorch's path records the operation).
     */
    static boolean inference(NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a.getDataType() != DataType.FLOAT32 || !Device.Type.CPU.equals(a.getDevice().getDeviceType())) {
                return false;
            }
        }
        if (PyTorchInternals.isGradMode()) {
            return false;
        }
        for (NDArray a : arrays) {
            if (a.hasGradient()) {
                return false;
            }
        }
        return true;
    }

    /**
     * A new float32 CPU array of {@code shape} holding {@code values}, written straight into the
     * tensor's memory: {@code NDManager.create(float[])} would first copy them into a zeroed direct
     * buffer, which libtorch then copies again (two extra passes and a direct buffer for the GC).
     */
    static NDArray tensor(ai.djl.ndarray.NDManager manager, float[] values, ai.djl.ndarray.types.Shape shape) {
        NDArray t = manager.create(shape, DataType.FLOAT32);
        PyTorchInternals.directBuffer(t).asFloatBuffer().put(values);
        return t;
    }
}
