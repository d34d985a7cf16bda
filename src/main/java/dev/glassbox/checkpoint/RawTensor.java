package dev.glassbox.checkpoint;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One stored tensor before it becomes an NDArray: its checkpoint name, element type, shape and
 * its bytes (contiguous, row-major, little-endian). {@code data} is a direct buffer read from the
 * file (see {@link FileBytes}), so nothing is copied onto the Java heap.
 */
public record RawTensor(String name, DType dtype, long[] shape, ByteBuffer data) {

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Frees the bytes now rather than at the next garbage collection; the tensor is unusable after. */
    public void release() {
        FileBytes.free(data);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
