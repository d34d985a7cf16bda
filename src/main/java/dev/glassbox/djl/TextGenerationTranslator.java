package dev.glassbox.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import dev.glassbox.GlassboxException;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.tokenizer.TextTokenizer;
import java.nio.file.Path;

/**
 * Text generation behind a DJL {@code Predictor}: {@code processInput} tokenizes the prompt and
 * hands the block the ids plus empty KV-cache buffers; the block's forward runs the prompt and
 * fills them; {@code processOutput} continues the decode loop on those buffers and returns plain
 * Java results (ids, text, log-probs, alternatives). Every NDArray lives in the predictor's
 * manager, which DJL closes when {@code predict} returns.
 */
public final class TextGenerationTranslator implements NoBatchifyTranslator<GenerationRequest, GenerationResult> {

    private static final String PROMPT = "glassbox.prompt";
    private static final String SAMPLING = "glassbox.sampling";

    private TextTokenizer tokenizer;
    private final SamplingConfig defaults;

    public TextGenerationTranslator(SamplingConfig defaults) {
        this.defaults = defaults;
    }

    @Override
    public void prepare(TranslatorContext ctx) {
        Path dir = ctx.getModel().getModelPath();
        tokenizer = TextTokenizer.find(dir).orElse(null);
    }

    @Override
    public NDList processInput(TranslatorContext ctx, GenerationRequest req) {
        TransformerLM block = (TransformerLM) ctx.getBlock();
        long[] ids = req.ids();
        if (ids == null) {
            if (tokenizer == null) {
                throw new GlassboxException(ctx.getModel().getModelPath() + ": no tokenizer; pass token ids (GenerationRequest.ofIds)");
            }
            if (req.prompt() == null || req.prompt().isEmpty()) {
                throw new GlassboxException("the prompt is empty");
            }
            ids = tokenizer.encode(req.prompt());
        }
        SamplingConfig cfg = req.sampling() == null ? defaults : req.sampling();
        new Generator(block, tokenizer, ctx.getPredictorManager()).checkPrompt(ids, cfg);
        ctx.setAttachment(PROMPT, ids);
        ctx.setAttachment(SAMPLING, cfg);
        NDManager m = ctx.getPredictorManager();
        int capacity = (int) Math.min(block.config().maxPositions(), (long) ids.length + Math.max(1, cfg.maxNewTokens()));
        NDList input = new NDList(m.create(ids, new Shape(1, ids.length)));
        input.addAll(KvCache.allocate(m, block.config().numLayers(), 1, block.config().numKvHeads(), block.config().headDim(), capacity));
        return input;
    }

    @Override
    public GenerationResult processOutput(TranslatorContext ctx, NDList list) {
        TransformerLM block = (TransformerLM) ctx.getBlock();
        long[] prompt = (long[]) ctx.getAttachment(PROMPT);
        SamplingConfig cfg = (SamplingConfig) ctx.getAttachment(SAMPLING);
        NDArray logits = list.get(0);
        KvCache cache = KvCache.wrap(list.subNDList(1));
        Generator gen = new Generator(block, tokenizer, ctx.getPredictorManager());
        return gen.continueFrom(ctx.getPredictorManager(), new ForwardContext(cache, null), prompt, logits.toFloatArray(), cfg, null, 0);
    }
}
