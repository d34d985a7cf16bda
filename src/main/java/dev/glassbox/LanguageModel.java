package dev.glassbox;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.hooks.HookChain;
import dev.glassbox.hooks.Hooks;
import dev.glassbox.hooks.Interventions;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.tokenizer.TextTokenizer;
import java.util.function.Predicate;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.PaddedBatch;
import dev.glassbox.hooks.BatchCache;
import dev.glassbox.generate.BatchGenerator;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.Checkpoint;
import dev.glassbox.checkpoint.WeightLoader;
import dev.glassbox.checkpoint.WeightPlan;
import dev.glassbox.djl.BlockModel;
import dev.glassbox.djl.GenerationRequest;
import dev.glassbox.djl.TextGenerationTranslator;
import dev.glassbox.generate.GeneratedToken;
import dev.glassbox.generate.GenerationDefaults;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A loaded checkpoint, ready to run: the DJL block, its config, the checkpoint's generation
 * defaults and (when the folder has one) its tokenizer. Closing it frees the weights.
 *
 * <p>Shaped like TransformerLens's {@code HookedTransformer}: {@link #generate(String, SamplingConfig)},
 * {@link #toTokens}, {@link #toStrTokens(String)}, {@link #score(String)} and
 * {@link #runWithCache} manage their NDArrays themselves. Generation runs through a DJL
 * {@code Predictor} with the checkpoint's generation_config.json as defaults.
 */
public final class LanguageModel implements AutoCloseable {

    private final Path dir;
    private final ModelConfig config;
    private final Architecture architecture;
    private final TransformerLM block;
    private final NDManager manager;
    private final com.fasterxml.jackson.databind.JsonNode generationConfig;
    private final Checkpoint checkpoint;
    private final TextTokenizer tokenizer;
    // Generation (created on first use): the block as a DJL Model, and its text-generation predictor.
    private SamplingConfig generationDefaults;
    private Model djlModel;
    private Predictor<GenerationRequest, GenerationResult> predictor;
    private Weights weights;

    private LanguageModel(
            Path dir, ModelConfig config, Architecture arch, TransformerLM block, NDManager manager, Checkpoint checkpoint,
            TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.dir = dir;
        this.config = config;
        this.architecture = arch;
        this.block = block;
        this.manager = manager;
        this.generationConfig = checkpoint.generationConfig();
        this.checkpoint = checkpoint;
    }

    /**
     * TransformerLens's {@code from_pretrained}: loads a checkpoint folder, a bundled model's name
     * (model-zoo/) or a HuggingFace model id ({@code org/name}, fetched into the HuggingFace cache
     * when missing), as {@code --model} resolves them, onto the CPU in float32.
     */
    public static LanguageModel load(String pathOrHubId) {
        return load(pathOrHubId, LoadOptions.defaults());
    }

    /** {@link #load(String)} with a device, dtype and revision ({@link LoadOptions}). */
    public static LanguageModel load(String pathOrHubId, LoadOptions options) {
        Path dir = ModelLocator.resolve(pathOrHubId, options.revision(), options.quiet());
        return load(dir, options);
    }

    /** Loads a checkpoint folder onto the CPU, in float32. */
    public static LanguageModel load(Path dir) {
        return load(dir, LoadOptions.defaults());
    }

    /** Loads a checkpoint folder with {@code options}' device, dtype and progress callback. */
    public static LanguageModel load(Path dir, LoadOptions options) {
        return load(dir, options.device(), options.dtype(), options.quantize(), options.progress());
    }

    /**
     * Loads a checkpoint folder onto the CPU, its weights held in {@code precision} ({@code --dtype}).
     *
     * @deprecated use {@link #load(Path, LoadOptions)} with {@code LoadOptions.defaults().dtype(precision)}
     */
    @Deprecated
    public static LanguageModel load(Path dir, Precision precision) {
        return load(dir, Device.cpu(), precision, null);
    }

    /**
     * Loads a checkpoint folder, every weight widened to float32.
     *
     * @param progress told how many tensors are loaded so far, out of {@link #tensorCount}
     * @deprecated use {@link #load(Path, LoadOptions)}
     */
    @Deprecated
    public static LanguageModel load(Path dir, Device device, Consumer<Integer> progress) {
        return load(dir, device, Precision.F32, progress);
    }

    /**
     * Loads a checkpoint folder with its weights held in {@code precision}. When that is not what
     * was asked (bfloat16 held as float16 or float32), one line saying so goes to stderr.
     *
     * @param progress told how many tensors are loaded so far, out of {@link #tensorCount}
     */
    public static LanguageModel load(Path dir, Device device, Precision precision, Consumer<Integer> progress) {
        Engines.init();
        Checkpoint ckpt = Checkpoint.open(dir);
        NDManager manager = null;
        try {
            String file = dir.resolve("config.json").toString();
            Architecture arch = Architecture.forModelType(ckpt.modelType(), file);
            ModelConfig cfg = arch.parseConfig(ckpt.config(), file);
            arch.checkTensors(cfg, ckpt.tensors()::contains, file);
            TransformerLM block = new TransformerLM(cfg, arch);
            manager = NDManager.newBaseManager(device, "PyTorch");
            WeightPlan plan = WeightLoader.plan(block, arch, ckpt.tensors(), ckpt.config(), precision);
            if (plan.note() != null) {
                System.err.println(plan.note());
            }
            WeightLoader.load(block, arch, ckpt.tensors(), manager, progress, plan);
            TextTokenizer tokenizer = loadTokenizer(dir);
            if (tokenizer != null) {
                try {
                    tokenizer.requireWithin(cfg.vocabSize(), file);
                } catch (GlassboxException e) {
                    tokenizer.close();
                    throw e;
                }
            }
            return new LanguageModel(dir, cfg, arch, block, manager, ckpt, tokenizer);
        } catch (RuntimeException e) {
            if (manager != null) {
                manager.close();
            }
            ckpt.close();
            throw e;
        }
    }

    /**
     * Loads a checkpoint folder as {@link #load(Path, Device, Precision, Consumer)} does, then
     * stores its weights as {@code quantization} says ({@code --quantize int8}: int8 weight-only
     * with per-output-channel scales, see {@link dev.glassbox.quant.Int8Quantizer}). int8 needs
     * float32 weights; its fast decode kernel needs the JVM option
     * {@code --add-modules jdk.incubator.vector}, without which the same (dequantized) model runs
     * through PyTorch.
     */
    public static LanguageModel load(
            Path dir, Device device, Precision precision, dev.glassbox.quant.Quantization quantization, Consumer<Integer> progress) {
        LanguageModel model = load(dir, device, precision, progress);
        if (quantization == dev.glassbox.quant.Quantization.INT8) {
            try {
                dev.glassbox.quant.Int8Quantizer.quantize(model.block(), null);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        return model;
    }

    /**
     * The folder's tokenizer, or null when it has none (then only ids can be given). A folder
     * whose only tokenizer is one glassbox cannot read (a sentencepiece tokenizer.model) also
     * loads without one; {@link #requireTokenizer} then says what is needed.
     */
    private static TextTokenizer loadTokenizer(Path dir) {
        try {
            return TextTokenizer.find(dir).orElse(null);
        } catch (GlassboxException e) {
            return null; // requireTokenizer() reports the reason when text is actually needed
        }
    }

    /** Number of weights {@link #load} reads (the product of every tensor's shape), without reading them. */
    public static long parameterCount(Path dir) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            String file = dir.resolve("config.json").toString();
            Architecture arch = Architecture.forModelType(ckpt.modelType(), file);
            long n = 0;
            for (WeightLoader.Slot slot : WeightLoader.slots(new TransformerLM(arch.parseConfig(ckpt.config(), file), arch))) {
                n += slot.expected().size();
            }
            return n;
        }
    }

    /** Number of tensors {@link #load} reads, for a progress bar. */
    public static int tensorCount(Path dir) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            String file = dir.resolve("config.json").toString();
            Architecture arch = Architecture.forModelType(ckpt.modelType(), file);
            ModelConfig cfg = arch.parseConfig(ckpt.config(), file);
            arch.checkTensors(cfg, ckpt.tensors()::contains, file);
            return WeightLoader.slots(new TransformerLM(cfg, arch)).size();
        }
    }

    /** The tokenizer, or null when the checkpoint has none. */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokenizer, or the clear error saying why there is none and that ids still work. */
    public TextTokenizer requireTokenizer() {
        if (tokenizer != null) {
            return tokenizer;
        }
        TextTokenizer.load(dir).close(); // throws the specific reason (e.g. only a sentencepiece model)
        throw new GlassboxException(dir + ": the tokenizer could not be loaded; pass token ids instead");
    }

    /**
     * The token ids of {@code text}, as the checkpoint's tokenizer gives them (special tokens such
     * as a BOS included when its tokenizer adds them, as transformers' {@code tokenizer(text)} does).
     */
    public long[] toTokens(String text) {
        return requireTokenizer().encode(text);
    }

    /** Each token of {@code text} as text on its own (" world"), like TransformerLens's {@code to_str_tokens}. */
    public List<String> toStrTokens(String text) {
        return toStrTokens(toTokens(text));
    }

    /** Each of {@code ids} as text on its own; ids the tokenizer does not know show as {@code <id>}. */
    public List<String> toStrTokens(long[] ids) {
        TextTokenizer tok = requireTokenizer();
        List<String> out = new ArrayList<>(ids.length);
        for (long id : ids) {
            out.add(tok.hasToken(id) ? tok.tokenText(id) : "<" + id + ">");
        }
        return out;
    }

    /**
     * How well the model predicts each token of {@code text}: the five most likely next tokens at
     * every position, the log-prob of each actual next token and the perplexity (what
     * {@code glassbox score --json} prints).
     */
    public Scoring.Result score(String text) {
        return score(toTokens(text));
    }

    /** {@link #score(String)} for token ids. */
    public Scoring.Result score(long[] ids) {
        return Scoring.score(this, ids, 5, false, false);
    }

    /**
     * Logits for {@code ids} (one sequence) at every position, as a Java array [T][V]. A
     * convenience for inspection and tests; generation uses the KV cache instead.
     */
    public float[][] logits(long[] ids) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(ids, new Shape(1, ids.length));
            NDArray logits = block.forward(x, ForwardContext.plain(), true);
            float[] flat = dev.glassbox.djl.PyTorchInternals.toFloatArray(logits);
            int v = config.vocabSize();
            float[][] out = new float[ids.length][v];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * v, out[t], 0, v);
            }
            return out;
        }
    }

    /**
     * Runs {@code ids} (one sequence) with {@code hooks} (null for none) and returns logits
     * [1, T, V] in {@code m}. Hooks see every named activation; see {@code HookNames}.
     */
    public NDArray forward(NDManager m, long[] ids, Hooks hooks) {
        NDArray x = m.create(ids, new Shape(1, ids.length));
        return block.forward(x, new ForwardContext(null, hooks), true);
    }

    /**
     * Runs {@code ids} and records the activations whose names pass {@code filter}; the caller
     * closes the returned cache. Logits are recorded under "logits" when the filter allows.
     */
    public ActivationCache runWithCache(long[] ids, Predicate<String> filter) {
        ActivationCache cache = new ActivationCache(manager, filter);
        try (NDManager m = manager.newSubManager()) {
            forward(m, ids, cache);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        return cache;
    }

    /**
     * TransformerLens's {@code run_with_cache(prompt, names_filter=[...])}: runs the prompt and
     * records the named activations (every one when no names are given). The caller closes the
     * cache; no NDManager to handle.
     */
    public ActivationCache runWithCache(String prompt, String... names) {
        return runWithCache(toTokens(prompt), names);
    }

    /** {@link #runWithCache(String, String...)} for token ids. */
    public ActivationCache runWithCache(long[] ids, String... names) {
        if (names.length == 0) {
            return runWithCache(ids, name -> true);
        }
        java.util.Set<String> wanted = java.util.Set.of(names);
        return runWithCache(ids, wanted::contains);
    }

    /**
     * TransformerLens's {@code run_with_hooks}: runs the prompt with the interventions in place
     * and returns the logits at every position [T][V]; nothing to close.
     */
    public float[][] runWithHooks(String prompt, Interventions.Intervention... interventions) {
        return runWithHooks(toTokens(prompt), interventions);
    }

    /** {@link #runWithHooks(String, Interventions.Intervention...)} for token ids. */
    public float[][] runWithHooks(long[] ids, Interventions.Intervention... interventions) {
        HookChain chain = new HookChain();
        for (Interventions.Intervention i : interventions) {
            chain.add(i);
        }
        return runWithHooks(ids, chain);
    }

    /** Runs {@code ids} with any {@link Hooks} and returns the logits at every position [T][V]. */
    public float[][] runWithHooks(long[] ids, Hooks hooks) {
        try (NDManager m = manager.newSubManager()) {
            float[] flat = forward(m, ids, hooks).toFloatArray();
            int v = config.vocabSize();
            float[][] out = new float[ids.length][v];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * v, out[t], 0, v);
            }
            return out;
        }
    }

    // ---- batches: many sequences as one left-padded batch (see PaddedBatch) ----

    /**
     * Runs a left-padded batch with {@code hooks} (null for none) and returns logits [B, T, V] in
     * {@code m}, pad slots included (row r's real positions are its last {@code lengths[r]}).
     */
    public NDArray forward(NDManager m, PaddedBatch batch, Hooks hooks) {
        NDArray x = batch.idsArray(m);
        return block.forward(x, batch.context(null, hooks), true);
    }

    /** The logits of each sequence's last token [B][V], the sequences run as one padded batch. */
    public float[][] lastLogits(List<long[]> sequences) {
        PaddedBatch batch = PaddedBatch.leftPad(sequences);
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = block.forward(batch.idsArray(m), batch.context(null, null), false);
            float[] flat = dev.glassbox.djl.PyTorchInternals.toFloatArray(logits);
            int v = config.vocabSize();
            float[][] out = new float[batch.size()][];
            for (int r = 0; r < out.length; r++) {
                out[r] = java.util.Arrays.copyOfRange(flat, r * v, (r + 1) * v);
            }
            return out;
        }
    }

    /** {@link #score(long[])} for many sequences, run as one padded batch; results in order. */
    public List<Scoring.Result> scoreBatch(List<long[]> sequences) {
        return Scoring.scoreBatch(this, sequences, 5, false, false);
    }

    /** {@link #score(String)} for many texts, run as one padded batch; results in order. */
    public List<Scoring.Result> scoreTexts(List<String> texts) {
        return scoreBatch(texts.stream().map(this::toTokens).toList());
    }

    /**
     * {@link #runWithCache(long[], String...)} for a padded batch: the cache keeps the padded
     * tensors, and {@link BatchCache#row} gives each sequence's real positions. The caller closes it.
     */
    public BatchCache runWithCacheBatch(List<long[]> sequences, String... names) {
        PaddedBatch batch = PaddedBatch.leftPad(sequences);
        java.util.Set<String> wanted = java.util.Set.of(names);
        ActivationCache cache = new ActivationCache(manager, names.length == 0 ? name -> true : wanted::contains);
        try (NDManager m = manager.newSubManager()) {
            forward(m, batch, cache);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        return new BatchCache(cache, batch);
    }

    /**
     * Continues every prompt as one batch ({@link BatchGenerator}): each row's tokens are those
     * it would get alone; a row that finishes leaves the batch.
     *
     * @param settings as for {@link #generate(long[], SamplingConfig)}, for every row
     */
    public List<GenerationResult> generateBatch(List<long[]> prompts, SamplingConfig settings) {
        return generateBatch(prompts, settings, null);
    }

    /** {@link #generateBatch(List, SamplingConfig)}; {@code onToken} (may be null) sees each row's tokens. */
    public List<GenerationResult> generateBatch(List<long[]> prompts, SamplingConfig settings, BatchGenerator.RowListener onToken) {
        return new BatchGenerator(this).generate(prompts, settings, onToken);
    }

    /** {@link #generateBatch(List, SamplingConfig)} for text prompts (through the tokenizer). */
    public List<GenerationResult> generateTexts(List<String> prompts, SamplingConfig settings) {
        return generateBatch(prompts.stream().map(this::toTokens).toList(), settings);
    }

    // ---- generation: one path, a DJL Predictor over TextGenerationTranslator over Generator ----

    /**
     * The checkpoint's generation defaults: its generation_config.json (greedy unless
     * {@code do_sample}, temperature, top-k/top-p/min-p, repetition penalty, max_new_tokens or
     * max_length) and the EOS ids of generation_config.json and config.json. Whatever a
     * {@link SamplingConfig} given to {@link #generate} was not given comes from here.
     */
    public SamplingConfig generationDefaults() {
        if (generationDefaults == null) {
            generationDefaults = GenerationDefaults.of(generationConfig, config.eosTokenIds());
        }
        return generationDefaults;
    }

    /** Continues {@code prompt} with the checkpoint's generation defaults (greedy unless it says do_sample). */
    public GenerationResult generate(String prompt) {
        return generate(prompt, null);
    }

    /**
     * Continues {@code prompt} (text, through the tokenizer).
     *
     * @param settings how to decode; what it was not given comes from {@link #generationDefaults}
     *     (null: the defaults alone), so generation stops at the checkpoint's EOS tokens unless
     *     {@code stopAtEos(false)} or other {@code eosTokenIds} say otherwise
     */
    public GenerationResult generate(String prompt, SamplingConfig settings) {
        requireTokenizer();
        return generate(GenerationRequest.of(prompt, settings));
    }

    /** Continues {@code prompt}; {@code onToken} (may be null) sees each token as it is chosen (streaming). */
    public GenerationResult generate(String prompt, SamplingConfig settings, Consumer<GeneratedToken> onToken) {
        requireTokenizer();
        return generate(GenerationRequest.of(prompt, settings).streaming(onToken));
    }

    /** Continues {@code promptIds} (see {@link #generate(String, SamplingConfig)} for {@code settings}). */
    public GenerationResult generate(long[] promptIds, SamplingConfig settings) {
        return generate(promptIds, settings, null);
    }

    /** Continues {@code promptIds}; {@code onToken} (may be null) sees each token as it is chosen. */
    public GenerationResult generate(long[] promptIds, SamplingConfig settings, Consumer<GeneratedToken> onToken) {
        return generate(GenerationRequest.ofIds(promptIds, settings).streaming(onToken));
    }

    /** Runs {@code request} through this model's DJL text-generation predictor. */
    public GenerationResult generate(GenerationRequest request) {
        try {
            return predictor().predict(request);
        } catch (TranslateException e) {
            // DJL wraps whatever the translator threw; give callers glassbox's own error back.
            Throwable c = e;
            while (c.getCause() != null && !(c instanceof GlassboxException)) {
                c = c.getCause();
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new GlassboxException("generation failed: " + e.getMessage(), e);
        }
    }

    private Predictor<GenerationRequest, GenerationResult> predictor() {
        if (predictor == null) {
            djlModel = new BlockModel(String.valueOf(dir.getFileName()), dir, block, manager);
            Generator generator = new Generator(block, tokenizer, generationDefaults());
            predictor = djlModel.newPredictor(new TextGenerationTranslator(generator, tokenizer));
        }
        return predictor;
    }

    /**
     * The weights as Java arrays: by checkpoint name, and per layer and head in TransformerLens's
     * names and layouts ({@code weights().W_Q(layer, head)} [d_model][d_head], …; see {@link Weights}).
     */
    public synchronized Weights weights() {
        if (weights == null) {
            weights = new Weights(block, architecture.qkvInterleavedPerHead());
        }
        return weights;
    }

    /** A KV cache for one sequence, reserving {@code capacity} positions. */
    public KvCache newCache(NDManager parent, int capacity) {
        return block.newCache(parent, 1, capacity);
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public Architecture architecture() {
        return architecture;
    }

    public TransformerLM block() {
        return block;
    }

    /** The type the weights are held in: FLOAT32, or FLOAT16 for a half-precision model. */
    public ai.djl.ndarray.types.DataType dtype() {
        return block.dtype();
    }

    public NDManager manager() {
        return manager;
    }

    public com.fasterxml.jackson.databind.JsonNode generationConfig() {
        return generationConfig;
    }

    @Override
    public void close() {
        if (predictor != null) {
            predictor.close();
            djlModel.close(); // its own sub-manager only
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
        checkpoint.close();
    }
}
