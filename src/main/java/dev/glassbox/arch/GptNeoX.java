package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.util.List;

/**
 * GPT-NeoX (Pythia, GPT-NeoX-20B): LayerNorm with biases, a fused {@code query_key_value}
 * projection laid out per head as [q | k | v], rotary positions on only the first
 * {@code rotary_pct} of each head's dimensions, a plain GELU MLP, an untied output projection
 * ({@code embed_out}) and, by default, a parallel residual: x + attn(ln1(x)) + mlp(ln2(x)).
 */
final class GptNeoX extends Architecture {

    private static final String P = "gpt_neox.";

    @Override
    public String modelType() {
        return "gpt_neox";
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        int hidden = requireInt(c, "hidden_size", file);
        int heads = requireInt(c, "num_attention_heads", file);
        int headDim = headDim(hidden, "hidden_size", heads, "num_attention_heads", file);
        int positions = requireInt(c, "max_position_embeddings", file);
        // transformers 5 moved rotary settings into rope_parameters; hub checkpoints use the old keys.
        JsonNode rp = c.path("rope_parameters");
        double pct = firstDouble(1.0, rp.path("partial_rotary_factor"), c.path("partial_rotary_factor"), c.path("rotary_pct"));
        double theta = firstDouble(10000.0, rp.path("rope_theta"), c.path("rope_theta"), c.path("rotary_emb_base"));
        int rotaryDim = (int) (headDim * pct); // int(head_size * rotary_pct), as transformers truncates
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new GlassboxException(file + ": rotary_pct " + pct + " gives " + rotaryDim
                    + " rotary dimensions of a head of " + headDim + " (need an even number from 2 to " + headDim + ")");
        }
        if (rp.hasNonNull("rope_type") && !rp.get("rope_type").asText().equals("default")) {
            throw new GlassboxException(file + ": rope_parameters.rope_type '" + rp.get("rope_type").asText()
                    + "' is not supported for gpt_neox (supported: default)");
        }
        Rope rope = Rope.fromConfig(c, theta, rotaryDim, positions, file);
        return new ModelConfig(
                "gpt_neox",
                requireInt(c, "vocab_size", file),
                hidden,
                requireInt(c, "num_hidden_layers", file),
                heads,
                heads,
                headDim,
                requireInt(c, "intermediate_size", file),
                positions,
                ModelConfig.NormKind.LAYER_NORM,
                c.path("layer_norm_eps").asDouble(1e-5),
                activation(c.path("hidden_act").asText("gelu"), file),
                false,
                false,
                rope,
                c.path("tie_word_embeddings").asBoolean(false),
                1.0,
                false,
                null,
                c.path("use_parallel_residual").asBoolean(true),
                optLong(c, "bos_token_id"),
                eosIds(c),
                optLong(c, "pad_token_id"),
                c);
    }

    private static double firstDouble(double fallback, JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n != null && n.isNumber()) {
                return n.asDouble();
            }
        }
        return fallback;
    }

    @Override
    public String embedName() {
        return P + "embed_in.weight";
    }

    @Override
    public String finalNormWeight() {
        return P + "final_layer_norm.weight";
    }

    @Override
    public String finalNormBias() {
        return P + "final_layer_norm.bias";
    }

    @Override
    public String lmHeadName() {
        return "embed_out.weight";
    }

    @Override
    public List<String> aliases(String name) {
        // transformers 5 saves GPTNeoXForCausalLM's output projection as lm_head
        return name.equals("embed_out.weight") ? List.of("lm_head.weight") : List.of();
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String p = P + "layers." + i + ".";
        boolean bias = cfg.raw().path("attention_bias").asBoolean(true);
        String a = p + "attention.";
        String m = p + "mlp.";
        return new LayerNames(
                p + "input_layernorm.weight", p + "input_layernorm.bias",
                a + "query_key_value.weight", bias ? a + "query_key_value.bias" : null,
                null, null, null, null, null, null,
                a + "dense.weight", bias ? a + "dense.bias" : null,
                p + "post_attention_layernorm.weight", p + "post_attention_layernorm.bias",
                null, null, null,
                m + "dense_h_to_4h.weight", m + "dense_h_to_4h.bias",
                m + "dense_4h_to_h.weight", m + "dense_4h_to_h.bias");
    }

    @Override
    public boolean qkvInterleavedPerHead() {
        return true;
    }
}
