package dev.glassbox;

import java.util.Locale;

/**
 * The precision a model's weights are held and run in ({@code --dtype}). {@link #F32} widens
 * every weight to float32 (exact parity with transformers' float32 run, the default);
 * {@link #F16} and {@link #BF16} hold the weights in half precision, with norms, softmax and
 * logits computed in float32 as transformers upcasts them; {@link #AUTO} takes the checkpoint's
 * stored dtype (config {@code dtype} / {@code torch_dtype}, else the tensors'). This PyTorch build
 * cannot create bfloat16 arrays, so bfloat16 is held as float16 when every value fits float16's
 * range, else as float32 (see the README's "Precision (dtype policy)").
 */
public enum Precision {
    F32, F16, BF16, AUTO;

    /** Parses {@code f32|f16|bf16|auto} (also float32, float16, half, bfloat16); a clear error otherwise. */
    public static Precision parse(String s) {
        switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "f32":
            case "fp32":
            case "float32":
                return F32;
            case "f16":
            case "fp16":
            case "float16":
            case "half":
                return F16;
            case "bf16":
            case "bfloat16":
                return BF16;
            case "auto":
                return AUTO;
            default:
                throw new GlassboxException("--dtype must be f32, f16, bf16 or auto, found '" + s + "'");
        }
    }

    /** The option's spelling: f32, f16, bf16 or auto. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
