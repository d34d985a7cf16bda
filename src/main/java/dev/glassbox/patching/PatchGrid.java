package dev.glassbox.patching;

import dev.glassbox.arch.ModelConfig;
import dev.glassbox.hooks.HookNames;

/**
 * The four activation-patching grids of TransformerLens's {@code patching} module and the glassbox
 * activation each one patches. {@code attn_out} and {@code mlp_out} are what the sub-layer adds to
 * the residual stream (TransformerLens's hook_attn_out / hook_mlp_out): the post-norm's output on
 * models with norms after the sub-layer (Gemma 2/3, OLMo-2), the projection's output otherwise.
 */
public enum PatchGrid {
    /** get_act_patch_resid_pre: blocks.L.resid_pre at (layer, position). */
    RESID_PRE("resid_pre"),
    /** get_act_patch_attn_out: the attention output at (layer, position). */
    ATTN_OUT("attn_out"),
    /** get_act_patch_mlp_out: the MLP output at (layer, position). */
    MLP_OUT("mlp_out"),
    /** get_act_patch_attn_head_out_by_pos: one query head's attn.z at (layer, head, position). */
    HEAD_OUT("attn_head_out_by_pos");

    private final String jsonName;

    PatchGrid(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The field name in patching JSON (the contract of {@code glassbox patch --json}). */
    public String jsonName() {
        return jsonName;
    }

    /** True for the per-head grid, whose cells are (layer, head, position). */
    public boolean perHead() {
        return this == HEAD_OUT;
    }

    /** The glassbox hook this grid patches in {@code layer}. */
    public String hookName(ModelConfig c, int layer) {
        boolean post = c.normPlacement() != ModelConfig.NormPlacement.PRE;
        return switch (this) {
            case RESID_PRE -> HookNames.block(layer, "resid_pre");
            case ATTN_OUT -> HookNames.block(layer, post ? "ln1_post" : "attn.out");
            case MLP_OUT -> HookNames.block(layer, post ? "ln2_post" : "mlp.out");
            case HEAD_OUT -> HookNames.block(layer, "attn.z");
        };
    }

    /** The grid named {@code s}: resid_pre, attn_out, mlp_out, or head_out (also attn_head_out_by_pos). */
    public static PatchGrid parse(String s) {
        return switch (s.trim()) {
            case "resid_pre" -> RESID_PRE;
            case "attn_out" -> ATTN_OUT;
            case "mlp_out" -> MLP_OUT;
            case "head_out", "attn_head_out_by_pos" -> HEAD_OUT;
            default -> throw new dev.glassbox.GlassboxException(
                    "--what: unknown grid '" + s + "' (expected resid_pre, attn_out, mlp_out or head_out)");
        };
    }
}
