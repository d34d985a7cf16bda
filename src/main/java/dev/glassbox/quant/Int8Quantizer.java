package dev.glassbox.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.glassbox.GlassboxException;
import dev.glassbox.blocks.Linear;
import dev.glassbox.blocks.MoeMlp;
import dev.glassbox.blocks.TransformerLM;

/**
 * Turns a loaded float32 model into an int8 weight-only one: every linear weight of attention and
 * the MLPs (experts included; a mixture's router stays float32, its choices being discrete), and
 * the output head (the embedding too when tied, it being the same matrix). Each parameter then
 * holds the dequantized weights q·s, so every path computes the same model: the one-row decode
 * product runs on the int8 values through {@link Gemv}; prefill, batches, gradients and the
 * weight views use the dequantized float32 array. Norms, biases and position embeddings stay
 * float32, as in llama.cpp's q8_0 files.
 */
public final class Int8Quantizer {

    private Int8Quantizer() {}

    /** Quantizes {@code lm} in place; {@code progress} (may be null) is told each matrix done. */
    public static void quantize(TransformerLM lm, Runnable progress) {
        if (lm.dtype() != DataType.FLOAT32) {
            throw new GlassboxException("--quantize int8 needs float32 weights (--dtype f32), found " + lm.dtype());
        }
        walk(lm, progress);
        boolean tied = lm.lmHead() == null;
        Parameter head = tied ? lm.embed() : lm.lmHead();
        lm.useInt8Head(quantizeRowMajor(head.getArray()));
        if (progress != null) {
            progress.run();
        }
    }

    /** How many matrices {@link #quantize} turns into int8 (for a progress bar). */
    public static int matrixCount(TransformerLM lm) {
        int[] n = {1};
        count(lm, n);
        return n[0];
    }

    private static void count(Block b, int[] n) {
        for (Block child : b.getChildren().values()) {
            if (child instanceof Linear) {
                n[0] += skipped(b, (Linear) child) ? 0 : 1;
            } else {
                count(child, n);
            }
        }
    }

    private static void walk(Block b, Runnable progress) {
        for (Block child : b.getChildren().values()) {
            if (child instanceof Linear) {
                Linear l = (Linear) child;
                if (!skipped(b, l)) {
                    quantize(l);
                    if (progress != null) {
                        progress.run();
                    }
                }
            } else {
                walk(child, progress);
            }
        }
    }

    private static boolean skipped(Block parent, Linear l) {
        return parent instanceof MoeMlp && (l == ((MoeMlp) parent).router() || l.outFeatures() == 1); // router and shared-expert gate
    }

    private static void quantize(Linear l) {
        int out = l.outFeatures();
        int in = l.inFeatures();
        Int8Matrix q;
        try (NDArray w = l.inputMajor() ? l.weightOutIn() : null) {
            q = Int8Matrix.quantize((w != null ? w : l.weight().getArray()).toFloatArray(), out, in);
        }
        float[] w = q.dequantize(); // [out, in]
        if (l.inputMajor()) {
            w = transpose(w, out, in); // GPT-2's Conv1D keeps W as [in, out]
        }
        overwrite(l.weight().getArray(), w);
        l.useInt8(q);
    }

    private static Int8Matrix quantizeRowMajor(NDArray w) {
        int rows = (int) w.getShape().get(0);
        int cols = (int) w.getShape().get(1);
        Int8Matrix q = Int8Matrix.quantize(w.toFloatArray(), rows, cols);
        overwrite(w, q.dequantize());
        return q;
    }

    /** Writes {@code values} into {@code target} in place (an indexed copy: NDArray.set(Buffer) makes libtorch print a deprecation warning). */
    private static void overwrite(NDArray target, float[] values) {
        try (NDArray src = target.getManager().create(values, target.getShape())) {
            target.set(new ai.djl.ndarray.index.NDIndex("..."), src);
        }
    }

    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = w[r * cols + c];
            }
        }
        return t;
    }
}
