package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;

/**
 * Operands that autograd may keep until the backward pass must live in memory the engine owns.
 * DJL's PyTorch engine wraps arrays made from Java values ({@code mul(0.5f)}'s scalar,
 * {@code manager.create(float[])}) around Java direct buffers without copying them; autograd saves
 * such an operand (the scalar of a product, the cos/sin table of a rotation) while the Java buffer
 * may be garbage-collected as soon as the array is closed, so the backward pass of a training step
 * would read freed memory. Inference is unaffected either way, and the values are identical.
 */
public final class Owned {

    private Owned() {}

    /** An engine-owned copy of an array made from Java values; closes the original. */
    public static NDArray copyOf(NDArray javaBacked) {
        NDArray copy = javaBacked.duplicate();
        javaBacked.close();
        return copy;
    }
}
