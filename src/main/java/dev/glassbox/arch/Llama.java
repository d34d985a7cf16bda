package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Llama and its close relatives: rotary positions, RMSNorm, a SwiGLU MLP (gate, up, down) and
 * grouped-query attention. Mistral adds a sliding attention window; Qwen2 adds biases to the q,
 * k and v projections. All store linear weights [out, in] under {@code model.layers.{i}.…}.
 */
class Llama extends Architecture {

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
        int hidden = requireInt(c, "hidden_size", file);
        int heads = requireInt(c, "num_attention_heads", file);
        Integer kv = optInt(c, "num_key_value_heads");
        int kvHeads = kv == null ? heads : kv;
        checkHeads(hidden, heads, kvHeads, file);
        Integer hd = optInt(c, "head_dim");
        int headDim = hd == null ? hidden / heads : hd;
        int positions = requireInt(c, "max_position_embeddings", file);
        String act = c.path("hidden_act").asText("silu");
        Integer window = slidingWindow(c, file);
        return new ModelConfig(
                modelType,
                requireInt(c, "vocab_size", file),
                hidden,
                requireInt(c, "num_hidden_layers", file),
                heads,
                kvHeads,
                headDim,
                requireInt(c, "intermediate_size", file),
                positions,
                ModelConfig.NormKind.RMS_NORM,
                c.path("rms_norm_eps").asDouble(1e-6),
                activation(act, file),
                true,
                false,
                Rope.fromConfig(c, headDim, positions, file),
                c.path("tie_word_embeddings").asBoolean(false),
                1.0,
                false,
                window,
                false,
                optLong(c, "bos_token_id"),
                eosIds(c),
                optLong(c, "pad_token_id"),
                c);
    }

    /** The attention window every layer uses, or null for full attention. */
    Integer slidingWindow(JsonNode c, String file) {
        return modelType.equals("mistral") ? optInt(c, "sliding_window") : null;
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
        return new LayerNames(
                p + "input_layernorm.weight", null,
                null, null,
                a + "q_proj.weight", qkvB ? a + "q_proj.bias" : null,
                a + "k_proj.weight", qkvB ? a + "k_proj.bias" : null,
                a + "v_proj.weight", qkvB ? a + "v_proj.bias" : null,
                a + "o_proj.weight", oB ? a + "o_proj.bias" : null,
                p + "post_attention_layernorm.weight", null,
                null,
                m + "gate_proj.weight", mB ? m + "gate_proj.bias" : null,
                m + "up_proj.weight", mB ? m + "up_proj.bias" : null,
                m + "down_proj.weight", mB ? m + "down_proj.bias" : null);
    }
}
