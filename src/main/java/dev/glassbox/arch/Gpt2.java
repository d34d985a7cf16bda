package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * GPT-2: learned positions, pre-LayerNorm blocks, a fused c_attn projection and Conv1D weights
 * stored [in, out], gelu_new, and an output projection tied to the token embedding.
 */
final class Gpt2 extends Architecture {

    private static final String P = "transformer.";

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        int hidden = requireInt(c, "n_embd", file);
        int layers = requireInt(c, "n_layer", file);
        int heads = requireInt(c, "n_head", file);
        int headDim = headDim(hidden, "n_embd", heads, "n_head", file);
        Integer inner = optInt(c, "n_inner");
        int positions = requireInt(c, "n_positions", file);
        return new ModelConfig(
                "gpt2",
                requireInt(c, "vocab_size", file),
                hidden,
                layers,
                heads,
                heads,
                headDim,
                inner == null ? 4 * hidden : inner,
                positions,
                ModelConfig.NormKind.LAYER_NORM,
                c.path("layer_norm_epsilon").asDouble(1e-5),
                activation(c.path("activation_function").asText("gelu_new"), file),
                false,
                true,
                null,
                c.path("tie_word_embeddings").asBoolean(true),
                1.0,
                c.path("scale_attn_by_inverse_layer_idx").asBoolean(false),
                null,
                false,
                optLong(c, "bos_token_id"),
                eosIds(c),
                optLong(c, "pad_token_id"),
                c);
    }

    @Override
    public String embedName() {
        return P + "wte.weight";
    }

    @Override
    public String positionEmbedName() {
        return P + "wpe.weight";
    }

    @Override
    public String finalNormWeight() {
        return P + "ln_f.weight";
    }

    @Override
    public String finalNormBias() {
        return P + "ln_f.bias";
    }

    @Override
    public LayerNames layer(int i, ModelConfig cfg) {
        String h = P + "h." + i + ".";
        return new LayerNames(
                h + "ln_1.weight", h + "ln_1.bias",
                h + "attn.c_attn.weight", h + "attn.c_attn.bias",
                null, null, null, null, null, null,
                h + "attn.c_proj.weight", h + "attn.c_proj.bias",
                h + "ln_2.weight", h + "ln_2.bias",
                null, null, null,
                h + "mlp.c_fc.weight", h + "mlp.c_fc.bias",
                h + "mlp.c_proj.weight", h + "mlp.c_proj.bias");
    }

    @Override
    public boolean weightsStoredInputMajor() {
        return true;
    }

    @Override
    public List<String> aliases(String name) {
        // GPT2Model checkpoints (and some conversions) store names without the prefix.
        return name.startsWith(P) ? List.of(name.substring(P.length())) : List.of();
    }
}
