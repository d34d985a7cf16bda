package dev.glassbox.sae;

import dev.glassbox.GlassboxException;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.hooks.HookNames;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TransformerLens hook names (what SAELens stores in {@code hook_name}) onto glassbox's
 * ({@link HookNames}): {@code blocks.1.hook_resid_post} is {@code blocks.1.resid_post}. A glassbox
 * name is accepted as it is.
 */
public final class TransformerLensHooks {

    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("hook_resid_pre", "resid_pre"),
            Map.entry("hook_resid_mid", "resid_mid"),
            Map.entry("hook_resid_post", "resid_post"),
            Map.entry("hook_attn_out", "attn.out"),
            Map.entry("hook_mlp_out", "mlp.out"),
            Map.entry("ln1.hook_normalized", "ln1"),
            Map.entry("ln2.hook_normalized", "ln2"),
            Map.entry("attn.hook_q", "attn.q"),
            Map.entry("attn.hook_k", "attn.k"),
            Map.entry("attn.hook_v", "attn.v"),
            Map.entry("attn.hook_z", "attn.z"),
            Map.entry("attn.hook_attn_scores", "attn.scores"),
            Map.entry("attn.hook_pattern", "attn.pattern"),
            Map.entry("mlp.hook_pre", "mlp.pre"),
            Map.entry("mlp.hook_pre_linear", "mlp.pre_linear"),
            Map.entry("mlp.hook_post", "mlp.post"));

    private static final Map<String, String> GLOBAL = Map.of(
            "hook_embed", HookNames.EMBED, "hook_pos_embed", HookNames.POS_EMBED, "ln_final.hook_normalized", HookNames.LN_FINAL);

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    private TransformerLensHooks() {}

    /**
     * The glassbox name of {@code name} (TransformerLens or glassbox spelling), checked against
     * what a model of {@code config} fires.
     */
    public static String toGlassbox(String name, ModelConfig config) {
        String g = toGlassbox(name);
        if (!HookNames.all(config).contains(g)) {
            throw new GlassboxException("hook '" + name + "' (" + g + ") does not exist in this model (layers 0–"
                    + (config.numLayers() - 1) + "; see README \"Activation names (hooks)\")");
        }
        return g;
    }

    /** The glassbox name of {@code name}, without a model to check it against. */
    public static String toGlassbox(String name) {
        if (GLOBAL.containsKey(name)) {
            return GLOBAL.get(name);
        }
        if (GLOBAL.containsValue(name) || name.equals(HookNames.LOGITS)) {
            return name;
        }
        Matcher m = BLOCK.matcher(name);
        if (m.matches()) {
            String suffix = m.group(2);
            if (LAYER.containsKey(suffix)) {
                return HookNames.block(Integer.parseInt(m.group(1)), LAYER.get(suffix));
            }
            if (HookNames.LAYER_SUFFIXES.contains(suffix)) {
                return name;
            }
        }
        throw new GlassboxException("unknown hook name '" + name + "' (TransformerLens names such as blocks.1.hook_resid_post, "
                + "hook_resid_pre, hook_resid_mid, hook_mlp_out, hook_attn_out, attn.hook_z, or glassbox names such as blocks.1.resid_post)");
    }

    /** The layer of a per-layer hook name, or null. */
    public static Integer layerOf(String name) {
        Matcher m = BLOCK.matcher(name);
        return m.matches() ? Integer.valueOf(m.group(1)) : null;
    }

    /** Whether the glassbox activation is per head ([B, T, H, d]) and SAELens flattens it to H·d (hook_z reshaping). */
    public static boolean perHead(String glassboxName) {
        return glassboxName.endsWith(".attn.z") || glassboxName.endsWith(".attn.q")
                || glassboxName.endsWith(".attn.k") || glassboxName.endsWith(".attn.v");
    }
}
