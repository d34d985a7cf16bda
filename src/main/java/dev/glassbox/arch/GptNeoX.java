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
        ConfigReader r = ConfigReader.of(c, file);
        int hidden = r.size("hidden_size");
        int heads = r.size("num_attention_heads");
        int headDim = headDim(hidden, "hidden_size", heads, "num_attention_heads", file);
        int positions = r.intIn("max_position_embeddings", 1, ConfigReader.MAX_POSITIONS);
        // transformers 5 moved rotary settings into rope_parameters; hub checkpoints use the old keys.
        ConfigReader rp = r.object("rope_parameters");
        double pct = rp != null && rp.has("partial_rotary_factor") ? rp.number("partial_rotary_factor", 0, 1)
                : r.has("partial_rotary_factor") ? r.number("partial_rotary_factor", 0, 1)
                : r.number("rotary_pct", 1.0, 0, 1);
        double theta = rp != null && rp.has("rope_theta") ? rp.number("rope_theta", 0, Double.MAX_VALUE)
                : r.has("rope_theta") ? r.number("rope_theta", 0, Double.MAX_VALUE)
                : r.number("rotary_emb_base", 10000.0, 0, Double.MAX_VALUE);
        int rotaryDim = (int) (headDim * pct); // int(head_size * rotary_pct), as transformers truncates
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new GlassboxException(file + ": rotary_pct " + pct + " gives " + rotaryDim
                    + " rotary dimensions of a head of " + headDim + " (need an even number from 2 to " + headDim + ")");
        }
        if (rp != null && !Rope.type(rp).equals("default")) {
            throw new GlassboxException(file + ": rope_parameters.rope_type '" + Rope.type(rp)
                    + "' is not supported for gpt_neox (supported: default)");
        }
        r.bool("attention_bias", true); // read strictly here; layer() reads the names from it
        ConfigReader scaling = r.object("rope_scaling");
        Rope rope = Rope.parse(scaling, Rope.type(scaling), theta, rotaryDim, positions, null);
        return ModelConfig.builder()
                .modelType("gpt_neox")
                .vocabSize(r.size("vocab_size"))
                .hiddenSize(hidden)
                .numLayers(r.intIn("num_hidden_layers", 1, Integer.MAX_VALUE))
                .numHeads(heads)
                .numKvHeads(heads)
                .headDim(headDim)
                .intermediateSize(r.size("intermediate_size"))
                .maxPositions(positions)
                .norm(ModelConfig.NormKind.LAYER_NORM)
                .normEps(r.number("layer_norm_eps", 1e-5, 0, 1))
                .activation(activation(r.string("hidden_act", "gelu"), file))
                .rope(rope)
                .tieWordEmbeddings(r.bool("tie_word_embeddings", false))
                .parallelResidual(r.bool("use_parallel_residual", true))
                .bosTokenId(r.optId("bos_token_id"))
                .eosTokenIds(r.ids("eos_token_id"))
                .padTokenId(r.optId("pad_token_id"))
                .raw(c)
                .build();
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
