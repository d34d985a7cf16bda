package dev.glassbox.checkpoint;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One stored tensor before it becomes an NDArray: its checkpoint name, element type, shape and
 * its bytes (contiguous, row-major, little-endian). {@code data} is usually a slice of a
 * memory-mapped file, so nothing is copied onto the Java heap.
 */
public record RawTensor(String name, DType dtype, long[] shape, ByteBuffer data) {

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
