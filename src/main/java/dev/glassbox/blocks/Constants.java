package dev.glassbox.blocks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scalar constants as cached 0-d NDArrays. DJL turns every {@code x.mul(0.5f)} into a fresh
 * native scalar (about 0.1 ms here, longer than multiplying 3072 floats), which adds up to
 * milliseconds per decoded token; a cached scalar costs nothing after the first use.
 */
public final class Constants {

    private static final Map<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();
    private static final Map<String, NDArray> CACHE = new ConcurrentHashMap<>();

    private Constants() {}

    /** {@code value} as a float32 scalar on {@code like}'s device. */
    public static NDArray of(float value, NDArray like) {
        Device device = like.getDevice();
        String key = device + "/" + Float.floatToIntBits(value);
        NDArray c = CACHE.get(key);
        if (c == null) {
            synchronized (CACHE) {
                c = CACHE.get(key);
                if (c == null) {
                    NDManager m = MANAGERS.computeIfAbsent(device, d -> NDManager.newBaseManager(d, "PyTorch"));
                    c = m.create(value);
                    NDScope.unregister(c); // process-lifetime constant, not a temporary of the caller
                    CACHE.put(key, c);
                }
            }
        }
        return c;
    }
}
