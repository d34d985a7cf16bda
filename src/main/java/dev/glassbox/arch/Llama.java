package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Llama and its close relatives: rotary positions, RMSNorm, a SwiGLU MLP (gate, up, down) and
 * grouped-query attention. Mistral adds a sliding attention window on every layer; Qwen2 adds
 * biases to the q, k and v projections and, with {@code use_sliding_window}, windows on the layers
 * from {@code max_window_layers} on. All store linear weights [out, in] under
 * {@code model.layers.{i}.…}. Subclasses start from {@link #base} and change what differs.
 */
class Llama extends Architecture {

    static final String FULL = "full_attention";
    static final String SLIDING = "sliding_attention";

    private final String modelType;

    Llama(String modelType) {
        this.modelType = modelType;
    }

    @Override
    public String modelType() {
        return modelType;
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        ModelConfig.Builder b = base(r, file);
        ModelConfig partial = b.build();
        switch (modelType) {
            case "mistral", "mixtral" -> b.slidingWindow(r.optSize("sliding_window"));
            case "qwen2" -> qwenWindows(b, r, partial);
            default -> { }
        }
        return b.build();
    }

    /**
     * What every Llama-style config shares: sizes, RMSNorm (rms_norm_eps), the activation, one
     * rotary setting for all layers (both spellings), tied embeddings and the special ids.
     */
    ModelConfig.Builder base(ConfigReader r, String file) {
        int hidden = r.size("hidden_size");
        int heads = r.size("num_attention_heads");
        int kvHeads = r.size("num_key_value_heads", heads);
        checkHeads(hidden, heads, kvHeads, file);
        int headDim = r.size("head_dim", defaultHeadDim(hidden, heads));
        if (headDim <= 0) {
            throw r.error("hidden_size " + hidden + " is smaller than num_attention_heads " + heads);
        }
        int positions = r.intIn("max_position_embeddings", 1, ConfigReader.MAX_POSITIONS);
        r.bool("attention_bias", false); // read strictly here; layer() reads the names from them
        r.bool("mlp_bias", false);
        return ModelConfig.builder()
                .modelType(modelType)
                .vocabSize(r.size("vocab_size"))
                .hiddenSize(hidden)
                .numLayers(numLayers(r))
                .numHeads(heads)
                .numKvHeads(kvHeads)
                .headDim(headDim)
                .intermediateSize(r.size("intermediate_size"))
                .maxPositions(positions)
                .norm(ModelConfig.NormKind.RMS_NORM)
                .normEps(r.number("rms_norm_eps", 1e-6, 0, 1))
                .activation(activation(r.string("hidden_act", "silu"), file))
                .gatedMlp(true)
                .rope(rope(r, headDim, positions, file))
                .tieWordEmbeddings(r.bool("tie_word_embeddings", false))
                .bosTokenId(r.optId("bos_token_id"))
                .eosTokenIds(r.ids("eos_token_id"))
                .padTokenId(r.optId("pad_token_id"))
                .raw(r.node());
    }

    /** head_dim when the config has none: hidden / heads, except where the config class says otherwise. */
    int defaultHeadDim(int hidden, int heads) {
        return hidden / heads;
    }

    /** The rotary settings of every layer; Phi-3 overrides (partial rotary, longrope). */
    Rope rope(ConfigReader r, int headDim, int positions, String file) {
        ConfigReader params = Rope.params(r);
        double prf = params != null && params.has("partial_rotary_factor")
                ? params.number("partial_rotary_factor", 0, 1)
                : r.number("partial_rotary_factor", 1.0, 0, 1);
        if (prf != 1.0) {
            throw r.error("partial_rotary_factor " + prf + " is not supported for model_type " + modelType + " (only 1.0)");
        }
        return Rope.parse(params, Rope.type(params), Rope.theta(params, r, 10000.0), headDim, positions, null);
    }

    static int numLayers(ConfigReader r) {
        // no smaller bound here: the checkpoint's tensors are checked before any layer is built
        return r.intIn("num_hidden_layers", 1, Integer.MAX_VALUE);
    }

    /**
     * Qwen2/Qwen3: {@code sliding_window} counts only with {@code use_sliding_window}; the layers
     * that slide are those {@code layer_types} names, by default the ones from
     * {@code max_window_layers} on.
     */
    static void qwenWindows(ModelConfig.Builder b, ConfigReader r, ModelConfig partial) {
        Integer window = r.bool("use_sliding_window", false) ? r.optSize("sliding_window") : null;
        int maxWindowLayers = r.intIn("max_window_layers", 0, Integer.MAX_VALUE, 28);
        b.slidingWindow(window);
        b.layers(layerSpecs(r, partial, window, i -> window != null && i >= maxWindowLayers, i -> partial.rope()));
    }

    /**
     * Per-layer specs from {@code layer_types} (or, when absent, {@code slidingByDefault}), each
     * sliding layer getting {@code window}; computed on access, so that nothing is built per layer
     * before the checkpoint's tensors are checked.
     */
    static List<ModelConfig.LayerSpec> layerSpecs(
            ConfigReader r, ModelConfig partial, Integer window, IntPredicate slidingByDefault,
            java.util.function.IntFunction<Rope> ropeOf) {
        int n = partial.numLayers();
        List<String> types = r.has("layer_types") ? r.strings("layer_types", n, List.of(FULL, SLIDING)) : null;
        if (types != null && types.contains(SLIDING) && window == null) {
            throw r.error("layer_types names sliding_attention layers but no sliding_window is set"
                    + (r.has("use_sliding_window") ? " (or use_sliding_window is false)" : ""));
        }
        List<String> fixed = types == null ? null : new ArrayList<>(types);
        return new AbstractList<>() {
            @Override
            public ModelConfig.LayerSpec get(int i) {
                boolean sliding = fixed != null ? fixed.get(i).equals(SLIDING) : slidingByDefault.test(i);
                return new ModelConfig.LayerSpec(ropeOf.apply(i), sliding ? window : null);
            }

            @Override
            public int size() {
                return n;
            }
        };
    }

    /** Llama's attention_bias puts biases on q, k, v and o; Qwen2 always has them on q, k, v. */
    boolean qkvBias(JsonNode raw) {
        return modelType.equals("qwen2") || raw.path("attention_bias").asBoolean(false);
    }

    boolean oBias(JsonNode raw) {
        return !modelType.equals("qwen2") && raw.path("attention_bias").asBoolean(false);
    }

    boolean mlpBias(JsonNode raw) {
        return raw.path("mlp_bias").asBoolean(false);
    }

    @Override
    public String embedName() {
        return "model.embed_tokens.weight";
    }

    @Override
    public String finalNormWeight() {
        return "model.norm.weight";
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        JsonNode raw = cfg.raw();
        String p = "model.layers." + i + ".";
        boolean qkvB = qkvBias(raw);
        boolean oB = oBias(raw);
        boolean mB = mlpBias(raw);
        String a = p + "self_attn.";
        String m = p + "mlp.";
        return LayerNames.builder()
                .norm1Weight(p + "input_layernorm.weight")
                .qWeight(a + "q_proj.weight").qBias(qkvB ? a + "q_proj.bias" : null)
                .kWeight(a + "k_proj.weight").kBias(qkvB ? a + "k_proj.bias" : null)
                .vWeight(a + "v_proj.weight").vBias(qkvB ? a + "v_proj.bias" : null)
                .oWeight(a + "o_proj.weight").oBias(oB ? a + "o_proj.bias" : null)
                .norm2Weight(p + "post_attention_layernorm.weight")
                .gateWeight(m + "gate_proj.weight").gateBias(mB ? m + "gate_proj.bias" : null)
                .upWeight(m + "up_proj.weight").upBias(mB ? m + "up_proj.bias" : null)
                .downWeight(m + "down_proj.weight").downBias(mB ? m + "down_proj.bias" : null)
                .build();
    }
}
