package dev.glassbox.hooks;

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
    /**
     * The logits before the final softcap c·tanh(x/c), [B, T, V] (only models that cap their
     * logits, Gemma 2); direct logit attribution explains these.
     */
    public static final String LOGITS_PRE_CAP = "logits_pre_cap";

    /** Per-layer suffixes, in the order a forward pass reaches them. */
    public static final List<String> LAYER_SUFFIXES = List.of(
            "resid_pre",      // [B, T, D]  the residual stream entering the layer
            "ln1",            // [B, T, D]  normalised input to attention (absent when the layer has no pre-norm, OLMo-2)
            "attn.q",         // [B, T, H, d]
            "attn.k",         // [B, T, K, d]
            "attn.v",         // [B, T, K, d]
            "attn.q_norm",    // [B, T, H, d]  q after its norm, before rotary (Qwen3, Gemma 3: per head; OLMo-2: whole projection)
            "attn.k_norm",    // [B, T, K, d]  k after its norm, before rotary
            "attn.rot_q",     // [B, T, H, d]  after rotary (rotary models only)
            "attn.rot_k",     // [B, T, K, d]  after rotary (rotary models only)
            "attn.scores",    // [B, H, T, S]  q·k·scale (softcapped where the model caps), causal/window mask applied
            "attn.pattern",   // [B, H, T, S]  softmax probabilities
            "attn.z",         // [B, T, H, d]  probability-weighted values, per head
            "attn.out",       // [B, T, D]     heads concatenated and projected by W_O
            "ln1_post",       // [B, T, D]     attn.out after its post-norm (Gemma 2/3, OLMo-2)
            "resid_mid",      // [B, T, D]     resid_pre + ρ·(ln1_post or attn.out); ρ = Granite's residual_multiplier, else 1
            "ln2",            // [B, T, D]     (absent without a pre-norm, OLMo-2)
            "mlp.pre",        // [B, T, I]     pre-activation (the gate's, for gated MLPs)
            "mlp.pre_linear", // [B, T, I]     the up projection (gated MLPs only)
            "mlp.post",       // [B, T, I]     after the activation (times up, for gated MLPs)
            "mlp.out",        // [B, T, D]
            "ln2_post",       // [B, T, D]     mlp.out after its post-norm (Gemma 2/3, OLMo-2)
            "resid_post");    // [B, T, D]  the residual stream leaving the layer

    /** The layer suffixes only some architectures have. */
    public static final List<String> OPTIONAL_SUFFIXES = List.of("attn.q_norm", "attn.k_norm", "ln1_post", "ln2_post");

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

    /** Every hook name a model of this config fires, in forward order. */
    public static List<String> all(dev.glassbox.arch.ModelConfig c) {
        List<String> names = new ArrayList<>();
        names.add(EMBED);
        if (c.learnedPositions()) {
            names.add(POS_EMBED);
        }
        boolean post = c.normPlacement() != dev.glassbox.arch.ModelConfig.NormPlacement.PRE;
        boolean pre = c.normPlacement() != dev.glassbox.arch.ModelConfig.NormPlacement.POST;
        boolean qk = c.qkNorm() != dev.glassbox.arch.ModelConfig.QkNorm.NONE;
        for (int l = 0; l < c.numLayers(); l++) {
            boolean rotary = c.layer(l).rope() != null;
            for (String s : LAYER_SUFFIXES) {
                boolean skip = (!rotary && s.startsWith("attn.rot_"))
                        || (!c.gatedMlp() && s.equals("mlp.pre_linear"))
                        || (!qk && (s.equals("attn.q_norm") || s.equals("attn.k_norm")))
                        || (!post && (s.equals("ln1_post") || s.equals("ln2_post")))
                        || (!pre && (s.equals("ln1") || s.equals("ln2")));
                if (!skip) {
                    names.add(block(l, s));
                }
            }
        }
        names.add(LN_FINAL);
        if (c.finalLogitSoftcap() != null) {
            names.add(LOGITS_PRE_CAP);
        }
        names.add(LOGITS);
        return names;
    }

    /** Every hook name of a pre-norm model without q/k or post norms, in forward order. */
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
                if (!gated && s.equals("mlp.pre_linear") || OPTIONAL_SUFFIXES.contains(s)) {
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
