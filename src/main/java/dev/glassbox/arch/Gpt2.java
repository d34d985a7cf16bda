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
        ConfigReader r = ConfigReader.of(c, file);
        int hidden = r.size("n_embd");
        int layers = r.intIn("n_layer", 1, Integer.MAX_VALUE); // checked against the tensors before building
        int heads = r.size("n_head");
        int headDim = headDim(hidden, "n_embd", heads, "n_head", file);
        return ModelConfig.builder()
                .modelType("gpt2")
                .vocabSize(r.size("vocab_size"))
                .hiddenSize(hidden)
                .numLayers(layers)
                .numHeads(heads)
                .numKvHeads(heads)
                .headDim(headDim)
                .intermediateSize(r.size("n_inner", 4 * hidden))
                .maxPositions(r.intIn("n_positions", 1, ConfigReader.MAX_POSITIONS))
                .norm(ModelConfig.NormKind.LAYER_NORM)
                .normEps(r.number("layer_norm_epsilon", 1e-5, 0, 1))
                .activation(activation(r.string("activation_function", "gelu_new"), file))
                .learnedPositions(true)
                .tieWordEmbeddings(r.bool("tie_word_embeddings", true))
                .scaleAttnByInverseLayerIdx(r.bool("scale_attn_by_inverse_layer_idx", false))
                .bosTokenId(r.optId("bos_token_id"))
                .eosTokenIds(r.ids("eos_token_id"))
                .padTokenId(r.optId("pad_token_id"))
                .raw(c)
                .build();
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
