package dev.glassbox.checkpoint;

import dev.glassbox.GlassboxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A stored tensor's values as Java floats (F32, F64 or BF16), for small tensors read whole: SAEs, steering vectors. */
public final class RawFloats {

    private RawFloats() {}

    /** The values of {@code t}, row-major; {@code file} names the source in the error for other types. */
    public static float[] of(RawTensor t, Object file) {
        if (t.numel() > Integer.MAX_VALUE) {
            throw new GlassboxException(file + ": tensor '" + t.name() + "' is too large to read whole");
        }
        ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) t.numel()];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) b.getDouble();
                }
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                }
            }
            default -> throw new GlassboxException(file + ": tensor '" + t.name() + "' is " + t.dtype() + "; expected F32, F64 or BF16");
        }
        return out;
    }
}
