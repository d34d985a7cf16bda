package dev.glassbox.checkpoint;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.Precision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a checkpoint's weights are held for a requested {@link Precision}: the engine type
 * ({@code held}, float32 or float16), whether values are first rounded to bfloat16, and the one
 * line to tell the user when that differs from what was asked (null otherwise).
 *
 * <p>This PyTorch build (DJL's JNI maps no bfloat16 type: creating one aborts the JVM) cannot hold
 * bfloat16 arrays. Every bfloat16 value in float16's normal range is exactly a float16 value (its 7
 * mantissa bits fit in float16's 10), so bfloat16 weights are held as float16 when every value is
 * within ±65504, and as float32 (exact) otherwise.
 */
public record WeightPlan(DataType held, boolean roundToBf16, String note) {

    /** Everything widened to float32: today's exact-parity default. */
    public static final WeightPlan F32 = new WeightPlan(DataType.FLOAT32, false, null);

    /** Bits of float16's largest finite value rounded to bfloat16's grid: 65280 (0x477F); 65536 overflows float16. */
    private static final int BF16_MAX_FITTING_F16 = 0x477F;

    /**
     * Resolves {@code requested} for the tensors a model reads.
     *
     * @param config the checkpoint's config.json (its {@code dtype} / {@code torch_dtype} is the stored dtype)
     */
    public static WeightPlan resolve(Precision requested, JsonNode config, List<RawTensor> tensors) {
        switch (requested) {
            case F32:
                return F32;
            case F16:
                return new WeightPlan(DataType.FLOAT16, false, null);
            case BF16:
                return bf16(tensors, "--dtype bf16");
            case AUTO:
                DType stored = storedDtype(config, tensors);
                if (stored == DType.F16) {
                    return new WeightPlan(DataType.FLOAT16, false, null);
                }
                return stored == DType.BF16 ? bf16(tensors, "--dtype auto (the checkpoint is bfloat16)") : F32;
            default:
                throw new IllegalStateException(requested.toString());
        }
    }

    /**
     * The checkpoint's stored dtype, as transformers' {@code dtype="auto"} reads it: config
     * {@code dtype} (transformers 5) or {@code torch_dtype} (4.x), else the floating type that holds
     * most of the tensors' elements.
     */
    public static DType storedDtype(JsonNode config, List<RawTensor> tensors) {
        for (String key : new String[] {"dtype", "torch_dtype"}) {
            JsonNode v = config == null ? null : config.get(key);
            if (v != null && v.isTextual()) {
                switch (v.asText().toLowerCase(Locale.ROOT).replace("torch.", "")) {
                    case "float32":
                    case "float":
                        return DType.F32;
                    case "float16":
                    case "half":
                        return DType.F16;
                    case "bfloat16":
                        return DType.BF16;
                    case "float64":
                    case "double":
                        return DType.F64;
                    default:
                        break; // e.g. "auto": fall back to the tensors
                }
            }
        }
        Map<DType, Long> elements = new EnumMap<>(DType.class);
        for (RawTensor t : tensors) {
            if (t.dtype().isFloating()) {
                elements.merge(t.dtype(), t.numel(), Long::sum);
            }
        }
        return elements.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(DType.F32);
    }

    private static WeightPlan bf16(List<RawTensor> tensors, String asked) {
        boolean allBf16 = true;
        for (RawTensor t : tensors) {
            allBf16 &= t.dtype() == DType.BF16;
        }
        String what = allBf16 ? "the bfloat16 weights" : "the weights, rounded to bfloat16,";
        for (RawTensor t : tensors) {
            int bits = largestBf16Bits(t);
            if (bits > BF16_MAX_FITTING_F16) {
                float v = Float.intBitsToFloat(bits << 16);
                return new WeightPlan(DataType.FLOAT32, !allBf16, String.format(Locale.ROOT,
                        "glassbox: note: %s: this PyTorch build cannot create bfloat16 arrays; %s are held as float32 "
                                + "(tensor '%s' holds %s, beyond float16's range of ±65504)", asked, what, t.name(), v));
            }
        }
        return new WeightPlan(DataType.FLOAT16, !allBf16, String.format(Locale.ROOT,
                "glassbox: note: %s: this PyTorch build cannot create bfloat16 arrays; %s are held as float16 "
                        + "(every value fits float16's range)",
                asked, what));
    }

    /** The largest magnitude in {@code t} after rounding to bfloat16, as bfloat16 bits without the sign. */
    static int largestBf16Bits(RawTensor t) {
        ByteBuffer in = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long n = t.numel();
        int max = 0;
        switch (t.dtype()) {
            case BF16:
                for (long i = 0; i < n; i++) {
                    max = Math.max(max, in.getShort() & 0x7FFF);
                }
                break;
            case F32:
                for (long i = 0; i < n; i++) {
                    max = Math.max(max, roundToBf16(in.getInt()) & 0x7FFF);
                }
                break;
            case F16:
                for (long i = 0; i < n; i++) {
                    max = Math.max(max, roundToBf16(Float.floatToRawIntBits(halfToFloat(in.getShort()))) & 0x7FFF);
                }
                break;
            case F64:
                for (long i = 0; i < n; i++) {
                    max = Math.max(max, roundToBf16(Float.floatToRawIntBits((float) in.getDouble())) & 0x7FFF);
                }
                break;
            default:
                break; // not a weight type; WeightLoader reports it
        }
        return max;
    }

    /** The bfloat16 nearest to the float32 with these bits (ties to even), as its 16 bits; NaN stays NaN. */
    static int roundToBf16(int f32Bits) {
        if ((f32Bits & 0x7FFFFFFF) > 0x7F800000) {
            return (f32Bits >>> 16) | 0x40; // a quiet NaN
        }
        return (f32Bits + 0x7FFF + ((f32Bits >>> 16) & 1)) >>> 16;
    }

    /** IEEE half-precision bits to float (exact). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** {@code t}'s values rounded to bfloat16 and widened back, as a direct float32 buffer (native order). */
    static ByteBuffer bf16Floats(RawTensor t) {
        long n = t.numel();
        if (n * 4 > Integer.MAX_VALUE - 8) {
            throw new dev.glassbox.GlassboxException(
                    "tensor '" + t.name() + "' of " + n + " elements is too large to convert to float32 in one piece");
        }
        ByteBuffer in = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * 4)).order(ByteOrder.nativeOrder());
        for (long i = 0; i < n; i++) {
            int bits;
            switch (t.dtype()) {
                case BF16:
                    bits = in.getShort() & 0xFFFF;
                    break;
                case F32:
                    bits = roundToBf16(in.getInt());
                    break;
                case F16:
                    bits = roundToBf16(Float.floatToRawIntBits(halfToFloat(in.getShort())));
                    break;
                case F64:
                    bits = roundToBf16(Float.floatToRawIntBits((float) in.getDouble()));
                    break;
                default:
                    throw new IllegalStateException(t.dtype().toString());
            }
            out.putInt(bits << 16);
        }
        out.flip();
        return out;
    }
}
