package dev.glassbox.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import dev.glassbox.GlassboxException;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.Checkpoint;
import dev.glassbox.generate.GenerationDefaults;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.tokenizer.TextTokenizer;
import java.nio.file.Path;

/**
 * Text generation behind a DJL {@code Predictor}, as a thin adapter over {@link Generator}:
 * {@code processInput} tokenizes the prompt, completes the request's settings with the
 * checkpoint's defaults and hands the block the ids plus empty KV-cache buffers
 * ({@link Generator#prefillInputs}); the block's forward runs the prompt and fills them;
 * {@code processOutput} continues the decode loop on those buffers ({@link Generator#continueFrom})
 * and returns plain Java results (ids, text, log-probs, alternatives). Every NDArray lives in the
 * call's own manager ({@code ctx.getNDManager()}, not the predictor's, which outlives the call),
 * and DJL closes it when {@code predict} returns. {@code LanguageModel.generate}
 * and {@code glassbox generate} run through this translator too.
 */
public final class TextGenerationTranslator implements NoBatchifyTranslator<GenerationRequest, GenerationResult> {

    private static final String PROMPT = "glassbox.prompt";
    private static final String SAMPLING = "glassbox.sampling";
    private static final String REQUEST = "glassbox.request";
    private static final String PREFILL_START = "glassbox.prefillStart";

    private final Integer maxNewTokens;
    private Generator generator;
    private TextTokenizer tokenizer;

    /**
     * For a model loaded through {@code Criteria}: {@link #prepare} reads the tokenizer and the
     * generation defaults from the model's folder.
     *
     * @param maxNewTokens replaces the checkpoint's default length (the factory's
     *     {@code maxNewTokens} argument); null keeps it
     */
    public TextGenerationTranslator(Integer maxNewTokens) {
        this.maxNewTokens = maxNewTokens;
    }

    /** Over a generator that already knows its block, tokenizer and defaults. */
    public TextGenerationTranslator(Generator generator, TextTokenizer tokenizer) {
        this.maxNewTokens = null;
        this.generator = generator;
        this.tokenizer = tokenizer;
    }

    @Override
    public void prepare(TranslatorContext ctx) {
        if (generator != null) {
            return;
        }
        Path dir = ctx.getModel().getModelPath();
        TransformerLM block = (TransformerLM) ctx.getBlock();
        SamplingConfig defaults = GenerationDefaults.of(Checkpoint.readGenerationConfig(dir), block.config().eosTokenIds());
        if (maxNewTokens != null) {
            defaults = GenerationDefaults.resolve(defaults, SamplingConfig.builder().maxNewTokens(maxNewTokens).build());
        }
        tokenizer = TextTokenizer.find(dir).orElse(null);
        generator = new Generator(block, tokenizer, defaults);
    }

    @Override
    public NDList processInput(TranslatorContext ctx, GenerationRequest req) {
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
        SamplingConfig cfg = generator.resolve(req.sampling());
        NDList input = generator.prefillInputs(ctx.getNDManager(), ids, cfg);
        ctx.setAttachment(PROMPT, ids);
        ctx.setAttachment(SAMPLING, cfg);
        ctx.setAttachment(REQUEST, req);
        ctx.setAttachment(PREFILL_START, System.nanoTime());
        return input;
    }

    @Override
    public GenerationResult processOutput(TranslatorContext ctx, NDList list) {
        double prefillMs = (System.nanoTime() - (Long) ctx.getAttachment(PREFILL_START)) / 1e6;
        long[] prompt = (long[]) ctx.getAttachment(PROMPT);
        SamplingConfig cfg = (SamplingConfig) ctx.getAttachment(SAMPLING);
        GenerationRequest req = (GenerationRequest) ctx.getAttachment(REQUEST);
        KvCache cache = KvCache.wrap(list.subNDList(1));
        cache.rememberIds(prompt); // the prefill wrote the prompt's positions
        float[] logits = list.get(0).toFloatArray();
        if (req.hooks() != null) {
            // A Predictor calls its block without extra arguments, so hooks cannot reach that
            // prefill: run the prompt again on the same buffers with the hooks on.
            cache.truncate(0);
            TransformerLM block = (TransformerLM) ctx.getBlock();
            try (NDArray x = ctx.getNDManager().create(prompt, new Shape(1, prompt.length));
                    NDArray last = block.forward(x, new ForwardContext(cache, req.hooks()), false)) {
                logits = last.toFloatArray();
            }
        }
        return generator.continueFrom(ctx.getNDManager(), new ForwardContext(cache, req.hooks()), prompt,
                logits, cfg, req.onToken(), prefillMs);
    }
}
