package dev.glassbox.blocks;

import java.util.ArrayList;
import java.util.List;

/**
 * The stable activation names, modelled on TransformerLens. Shapes use B = batch, T = positions
 * of this call, S = positions attended to (cached past plus T), H = query heads, K = key/value
 * heads, d = head dimension, D = hidden size, I = MLP width, V = vocabulary.
 */
public final class HookNames {

    /** Token embedding rows E[id] (times Gemma's √D scale), [B, T, D]. */
    public static final String EMBED = "embed";
    /** Learned position rows P[pos], [B, T, D] (absent for rotary models). */
    public static final String POS_EMBED = "pos_embed";
    /** The final norm's output, [B, T, D]. */
    public static final String LN_FINAL = "ln_final";
    /** Output logits, [B, T, V]. */
    public static final String LOGITS = "logits";

    /** Per-layer suffixes, in the order a forward pass reaches them. */
    public static final List<String> LAYER_SUFFIXES = List.of(
            "resid_pre",      // [B, T, D]  the residual stream entering the layer
            "ln1",            // [B, T, D]  normalised input to attention
            "attn.q",         // [B, T, H, d]
            "attn.k",         // [B, T, K, d]
            "attn.v",         // [B, T, K, d]
            "attn.rot_q",     // [B, T, H, d]  after rotary (rotary models only)
            "attn.rot_k",     // [B, T, K, d]  after rotary (rotary models only)
            "attn.scores",    // [B, H, T, S]  q·k/√d with the causal mask applied
            "attn.pattern",   // [B, H, T, S]  softmax probabilities
            "attn.z",         // [B, T, H, d]  probability-weighted values, per head
            "attn.out",       // [B, T, D]     heads concatenated and projected by W_O
            "resid_mid",      // [B, T, D]
            "ln2",            // [B, T, D]
            "mlp.pre",        // [B, T, I]     pre-activation (the gate's, for gated MLPs)
            "mlp.pre_linear", // [B, T, I]     the up projection (gated MLPs only)
            "mlp.post",       // [B, T, I]     after the activation (times up, for gated MLPs)
            "mlp.out",        // [B, T, D]
            "resid_post");    // [B, T, D]  the residual stream leaving the layer

    private HookNames() {}

    public static String block(int layer, String suffix) {
        return "blocks." + layer + "." + suffix;
    }

    /**
     * The activation transformers reports as {@code hidden_states[i]}: the embeddings for 0, the
     * output of block i−1 after that, and for the last (i = layers) the final norm's output.
     */
    public static String hiddenState(int i, int layers) {
        if (i == 0) {
            return block(0, "resid_pre");
        }
        return i == layers ? LN_FINAL : block(i - 1, "resid_post");
    }

    /** Every hook name of a model with {@code layers} layers, in forward order. */
    public static List<String> all(int layers, boolean learnedPositions, boolean rotary, boolean gated) {
        List<String> names = new ArrayList<>();
        names.add(EMBED);
        if (learnedPositions) {
            names.add(POS_EMBED);
        }
        for (int l = 0; l < layers; l++) {
            for (String s : LAYER_SUFFIXES) {
                if (!rotary && s.startsWith("attn.rot_")) {
                    continue;
                }
                if (!gated && s.equals("mlp.pre_linear")) {
                    continue;
                }
                names.add(block(l, s));
            }
        }
        names.add(LN_FINAL);
        names.add(LOGITS);
        return names;
    }
}
