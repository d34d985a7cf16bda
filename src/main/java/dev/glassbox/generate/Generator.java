package dev.glassbox.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.tokenizer.TextTokenizer;
import java.util.function.Consumer;

/**
 * The generation loop: run the prompt once (prefill), then one position per new token through the
 * KV cache; at each step turn the logits into a choice (greedy or sampled), append it and repeat.
 *
 * <p>There is one path: {@link #generate} (like {@code LanguageModel.generate} and
 * {@code glassbox generate}) runs a DJL {@code Predictor} whose
 * {@link dev.glassbox.djl.TextGenerationTranslator} is a thin adapter over this class:
 * {@link #prefillInputs} hands the block the prompt and empty KV-cache buffers, the predictor runs
 * the block, and {@link #continueFrom} chooses every token. Every NDArray of a generation lives in
 * the predictor's per-call manager, closed when the call returns, so long and repeated generations
 * do not grow native memory.
 *
 * <p>The caller's {@link SamplingConfig} is completed with the checkpoint's defaults by
 * {@link GenerationDefaults}. Context policy: a prompt longer than the model's context is an
 * error; a generation that reaches the end of the context stops there with
 * {@link StopReason#CONTEXT_FULL}.
 */
public final class Generator {

    private final TransformerLM block;
    private final TextTokenizer tokenizer;
    private final SamplingConfig defaults;
    private final LanguageModel model;

    /** Generation on {@code model} with its checkpoint's defaults (the same as {@code model.generate}). */
    public Generator(LanguageModel model) {
        this.block = model.block();
        this.tokenizer = model.tokenizer();
        this.defaults = model.generationDefaults();
        this.model = model;
    }

    /**
     * The decode loop for {@code block}, as the DJL translator runs it.
     *
     * @param tokenizer for the text of each token; may be null (ids only)
     * @param defaults the checkpoint's generation defaults ({@link GenerationDefaults#of})
     */
    public Generator(TransformerLM block, TextTokenizer tokenizer, SamplingConfig defaults) {
        this.block = block;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
        this.model = null;
    }

    public GenerationResult generate(long[] promptIds, SamplingConfig settings) {
        return generate(promptIds, settings, null);
    }

    /**
     * Continues {@code promptIds} with {@code settings} completed by the checkpoint's defaults.
     *
     * @param onToken called as each token is chosen (streaming); may be null
     */
    public GenerationResult generate(long[] promptIds, SamplingConfig settings, Consumer<GeneratedToken> onToken) {
        if (model == null) {
            throw new IllegalStateException("this Generator serves a DJL translator; generate through its Predictor");
        }
        return model.generate(promptIds, settings, onToken);
    }

    /** The full config for {@code settings} (null: the defaults alone), validated. */
    public SamplingConfig resolve(SamplingConfig settings) {
        return GenerationDefaults.resolve(defaults, settings);
    }

    /** Checks what a generation is given; a clear error for an empty or over-long prompt. */
    public void checkPrompt(long[] promptIds, SamplingConfig cfg) {
        cfg.validate();
        if (promptIds.length == 0) {
            throw new GlassboxException("the prompt is empty: give at least one token");
        }
        int context = block.config().maxPositions();
        if (promptIds.length > context) {
            throw new GlassboxException(
                    "the prompt has " + promptIds.length + " tokens but the model's context is " + context + " tokens");
        }
    }

    /**
     * What the block's DJL forward takes for the prefill: the prompt ids [1, T] and empty KV-cache
     * buffers with room for the prompt and its new tokens (see {@code TransformerLM}).
     */
    public NDList prefillInputs(NDManager m, long[] promptIds, SamplingConfig cfg) {
        checkPrompt(promptIds, cfg);
        ModelConfig c = block.config();
        int capacity = (int) Math.min(c.maxPositions(), (long) promptIds.length + Math.max(1, cfg.maxNewTokensFor(promptIds.length)));
        NDList input = new NDList(m.create(promptIds, new Shape(1, promptIds.length)));
        input.addAll(KvCache.allocate(m, c.numLayers(), 1, c.numKvHeads(), c.headDim(), capacity, block.dtype())); // K, V in the weights' type
        return input;
    }

    /**
     * The decode loop, after the prompt has run: {@code logits} are the last prompt position's,
     * and {@code ctx}'s cache holds the prompt. The DJL translator calls it after its predictor
     * ran the prompt; {@code cfg} is a resolved config ({@link #resolve}). The one place a
     * generated token is chosen.
     */
    public GenerationResult continueFrom(
            NDManager m, ForwardContext ctx, long[] promptIds, float[] logits, SamplingConfig cfg,
            Consumer<GeneratedToken> onToken, double prefillMs) {
        KvCache cache = ctx.cache();
        int context = block.config().maxPositions();
        RowDecoder row = new RowDecoder(promptIds, cfg, tokenizer, context - cache.length());
        long decodeStart = System.nanoTime();
        while (!row.finished()) {
            GeneratedToken g = row.choose(logits, cache.length() >= context);
            if (onToken != null) {
                onToken.accept(g);
            }
            if (!row.finished()) {
                logits = step(m, new long[] {row.lastId()}, ctx);
            }
        }
        return row.result(prefillMs, (System.nanoTime() - decodeStart) / 1e6);
    }

    /** One forward call on the cache; returns the last position's logits and frees the rest. */
    private float[] step(NDManager m, long[] ids, ForwardContext ctx) {
        try (NDArray x = m.create(ids, new Shape(1, ids.length));
                NDArray logits = block.forward(x, ctx, false)) {
            return dev.glassbox.djl.PyTorchInternals.toFloatArray(logits);
        }
    }
}
