package dev.glassbox;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.Hooks;
import dev.glassbox.inspect.ActivationCache;
import dev.glassbox.tokenizer.TextTokenizer;
import java.util.function.Predicate;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.Checkpoint;
import dev.glassbox.checkpoint.WeightLoader;
import dev.glassbox.checkpoint.WeightPlan;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A loaded checkpoint, ready to run: the DJL block, its config, the checkpoint's generation
 * defaults and (when the folder has one) its tokenizer. Closing it frees the weights.
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

    /** Loads a checkpoint folder onto the CPU. */
    public static LanguageModel load(Path dir) {
        return load(dir, Device.cpu(), null);
    }

    /** Loads a checkpoint folder onto the CPU, its weights held in {@code precision} ({@code --dtype}). */
    public static LanguageModel load(Path dir, Precision precision) {
        return load(dir, Device.cpu(), precision, null);
    }

    /**
     * Loads a checkpoint folder, every weight widened to float32.
     *
     * @param progress told how many tensors are loaded so far, out of {@link #tensorCount}
     */
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
     * Logits for {@code ids} (one sequence) at every position, as a Java array [T][V]. A
     * convenience for inspection and tests; generation uses the KV cache instead.
     */
    public float[][] logits(long[] ids) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(ids, new Shape(1, ids.length));
            NDArray logits = block.forward(x, ForwardContext.plain(), true);
            float[] flat = logits.toFloatArray();
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

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
        checkpoint.close();
    }
}
