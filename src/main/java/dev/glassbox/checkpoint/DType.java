package dev.glassbox.checkpoint;

import java.util.Locale;

/** Element types a checkpoint may store, with their safetensors names and sizes in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses a safetensors dtype name ("F32", "BF16", ...); null if unknown. */
    public static DType fromSafetensors(String name) {
        if (name == null) {
            return null;
        }
        try {
            return DType.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }
}
