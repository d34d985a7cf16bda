package dev.glassbox.quant;

import dev.glassbox.GlassboxException;
import java.util.Locale;

/** How a model's weights are stored for speed ({@code --quantize}): as loaded, or int8 weight-only. */
public enum Quantization {
    /** The weights as loaded (the default). */
    NONE,
    /** Every linear weight and the output head as int8 with one scale per output channel ({@link Int8Matrix}). */
    INT8;

    /** Parses {@code none|int8}; a clear error otherwise. */
    public static Quantization parse(String s) {
        switch (s == null ? "none" : s.trim().toLowerCase(Locale.ROOT)) {
            case "none":
                return NONE;
            case "int8":
            case "q8":
                return INT8;
            default:
                throw new GlassboxException("--quantize must be none or int8, found '" + s + "'");
        }
    }

    /** The name {@code --quantize} takes. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
