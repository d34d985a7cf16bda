package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one family of HuggingFace checkpoints maps onto glassbox's shared transformer blocks: which
 * config keys mean what, and what every tensor is called. An architecture holds no math; the
 * blocks in {@code dev.glassbox.blocks} do.
 */
public abstract class Architecture {

    /** The name of a checkpoint's model config file. */
    public static final String CONFIG_FILE = "config.json";

    private static final ObjectMapper CONFIG_JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<String, Architecture> REGISTRY = new LinkedHashMap<>();

    static {
        register(new Gpt2());
        register(new Llama("llama"));
        register(new Llama("mistral"));
        register(new Llama("qwen2"));
        register(new Phi3());
        register(new Gemma());
        register(new GptNeoX());
        register(new Qwen3());
        register(new Gemma2());
        register(new Gemma3());
        register(new Olmo2());
        register(new Granite());
        register(new SmolLm3());
        register(new Mixtral());
        register(new Qwen2Moe());
    }

    private static void register(Architecture a) {
        REGISTRY.put(a.modelType(), a);
    }

    /** The architecture for a config's {@code model_type}, or a clear error listing those known. */
    public static Architecture forModelType(String modelType, String file) {
        Architecture a = REGISTRY.get(modelType);
        if (a == null) {
            throw new GlassboxException(
                    file + ": model_type '" + modelType + "' is not supported (supported: " + String.join(", ", supported()) + ")");
        }
        return a;
    }

    /**
     * Writes {@code config} as {@code dir/config.json}, indented: the one place glassbox writes a
     * model's config (random checkpoints, training runs). It goes to a {@code .partial} sibling
     * first and is moved into place, so a reader never sees half a file.
     *
     * @return the file written
     */
    public static Path writeConfig(Path dir, JsonNode config) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        Path tmp = file.resolveSibling(CONFIG_FILE + ".partial");
        CONFIG_JSON.writeValue(tmp.toFile(), config);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    public static List<String> supported() {
        return new ArrayList<>(REGISTRY.keySet());
    }

    /** The config's {@code model_type} this architecture reads. */
    public abstract String modelType();

    /** Normalises config.json; {@code file} names it in error messages. */
    public abstract ModelConfig parseConfig(JsonNode config, String file);

    /** Token embedding E, [vocab, hidden]. */
    public abstract String embedName();

    /** Learned position embedding P, [positions, hidden]; null for rotary models. */
    public String positionEmbedName() {
        return null;
    }

    public abstract String finalNormWeight();

    public String finalNormBias() {
        return null;
    }

    /** The output projection [vocab, hidden]; used unless the embeddings are tied. */
    public String lmHeadName() {
        return "lm_head.weight";
    }

    /** Tensor names of decoder layer {@code i} (biases and fusion may depend on the config). */
    public abstract LayerNames layer(int i, ModelConfig cfg);

    /** True when linear weights are stored [in, out] (GPT-2's Conv1D) instead of [out, in]. */
    public boolean weightsStoredInputMajor() {
        return false;
    }

    /**
     * True when the fused qkv projection interleaves heads as [head][q|k|v][d] (GPT-NeoX) rather
     * than [q heads | k heads | v heads] (GPT-2, Phi-3).
     */
    public boolean qkvInterleavedPerHead() {
        return false;
    }

    /**
     * Other names a stored tensor may carry (GPT-2 checkpoints saved from GPT2Model lack the
     * {@code transformer.} prefix); tried in order when the canonical name is absent.
     */
    public List<String> aliases(String name) {
        return List.of();
    }

    /**
     * Checks the config against the checkpoint before any layer is built: the first and the last
     * layer's tensors must exist, so that a config claiming more layers than the checkpoint holds
     * (say 2^31 - 1) fails at once, naming the first missing tensor.
     *
     * @param contains whether the checkpoint holds a tensor of this name
     */
    public void checkTensors(ModelConfig cfg, java.util.function.Predicate<String> contains, String file) {
        int last = cfg.numLayers() - 1;
        MoeConfig moe = MoeConfig.of(cfg);
        for (int l : last == 0 ? new int[] {0} : new int[] {0, last}) {
            LayerNames n = layer(l, cfg);
            for (String name : new String[] {n.norm1Weight(), n.qkvWeight(), n.qWeight(), n.oWeight(), n.norm2Weight(),
                    n.postAttnNormWeight(), moe != null && moe.isSparse(l) ? moe.names().router(l) : n.downWeight()}) {
                if (name != null && !contains.test(name) && aliases(name).stream().noneMatch(contains)) {
                    throw new GlassboxException("missing tensor '" + name + "' in the checkpoint: " + file + " says the model has "
                            + cfg.numLayers() + " layers");
                }
            }
        }
    }

    // ---- small helpers for reading configs (strict: see ConfigReader) --------------------------

    static int requireInt(JsonNode cfg, String key, String file) {
        return ConfigReader.of(cfg, file).size(key);
    }

    static Integer optInt(JsonNode cfg, String key, String file) {
        return ConfigReader.of(cfg, file).optSize(key);
    }

    static Long optLong(JsonNode cfg, String key, String file) {
        return ConfigReader.of(cfg, file).optId(key);
    }

    /** eos_token_id may be a number or a list of numbers. */
    static List<Long> eosIds(JsonNode cfg, String file) {
        return ConfigReader.of(cfg, file).ids("eos_token_id");
    }

    static ModelConfig.Activation activation(String name, String file) {
        ModelConfig.Activation a = ModelConfig.Activation.fromHf(name);
        if (a == null) {
            throw new GlassboxException(
                    file + ": activation '" + name + "' is not supported (supported: gelu_new, gelu_pytorch_tanh, gelu, silu, relu)");
        }
        return a;
    }

    /** hidden / heads, or a clear error naming the config's own keys when it does not divide. */
    static int headDim(int hidden, String hiddenKey, int heads, String headsKey, String file) {
        if (hidden % heads != 0) {
            throw new GlassboxException(file + ": " + hiddenKey + " " + hidden + " is not divisible by " + headsKey + " " + heads);
        }
        return hidden / heads;
    }

    static void checkHeads(int hidden, int heads, int kvHeads, String file) {
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new GlassboxException(
                    file + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
    }
}
