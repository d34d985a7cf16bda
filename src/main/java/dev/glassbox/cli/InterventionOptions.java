package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.checkpoint.RawFloats;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.SafetensorsFile;
import dev.glassbox.hooks.HookChain;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.hooks.Interventions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Interventions during generation: {@code --steer HOOK=VECTOR.safetensors:SCALE} adds SCALE × the
 * file's one vector to activation HOOK at every position of every step, {@code --ablate-head L.H}
 * zero-ablates query head H of layer L ({@code blocks.L.attn.z}). Both repeatable.
 */
public final class InterventionOptions {

    @Option(names = "--steer", paramLabel = "HOOK=FILE.safetensors[:SCALE]",
            description = "Add SCALE (default 1) × the vector in FILE (a safetensors file holding exactly one tensor of the "
                    + "activation's width) to activation HOOK (e.g. blocks.2.resid_post) at every position and step (repeatable).")
    List<String> steer = new ArrayList<>();

    @Option(names = "--ablate-head", paramLabel = "L.H",
            description = "Zero-ablate query head H of layer L (its attn.z) at every position and step (repeatable).")
    List<String> ablate = new ArrayList<>();

    /** Whether any intervention was asked for. */
    public boolean any() {
        return !steer.isEmpty() || !ablate.isEmpty();
    }

    /** The interventions as hooks for {@code model} (null when none), every argument checked first. */
    public HookChain hooks(LanguageModel model) {
        if (!any()) {
            return null;
        }
        ModelConfig c = model.config();
        HookChain chain = new HookChain();
        for (String a : ablate) {
            String[] p = a.split("\\.", -1);
            int layer;
            int head;
            try {
                if (p.length != 2) {
                    throw new NumberFormatException();
                }
                layer = Integer.parseInt(p[0]);
                head = Integer.parseInt(p[1]);
            } catch (NumberFormatException e) {
                throw new GlassboxException("--ablate-head must be LAYER.HEAD (e.g. 1.3), found '" + a + "'");
            }
            if (layer < 0 || layer >= c.numLayers() || head < 0 || head >= c.numHeads()) {
                throw new GlassboxException("--ablate-head " + a + ": the model has layers 0–" + (c.numLayers() - 1)
                        + " and heads 0–" + (c.numHeads() - 1));
            }
            chain.add(Interventions.zeroAblateHead(layer, head));
        }
        for (String s : steer) {
            chain.add(steering(s, c));
        }
        return chain;
    }

    private static Interventions.Intervention steering(String arg, ModelConfig c) {
        int eq = arg.indexOf('=');
        if (eq <= 0) {
            throw new GlassboxException("--steer must be HOOK=FILE.safetensors[:SCALE], found '" + arg + "'");
        }
        String hook = arg.substring(0, eq);
        String rest = arg.substring(eq + 1);
        float scale = 1f;
        int colon = rest.lastIndexOf(':');
        if (colon > 0 && !Files.exists(Path.of(rest))) {
            try {
                scale = Float.parseFloat(rest.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new GlassboxException("--steer " + arg + ": SCALE must be a number, found '" + rest.substring(colon + 1) + "'");
            }
            rest = rest.substring(0, colon);
        }
        if (!HookNames.all(c).contains(hook)) {
            throw new GlassboxException("--steer: no activation '" + hook + "' in this model (e.g. blocks.0.resid_post; see README \"Activation names (hooks)\")");
        }
        int width = width(hook, c);
        Path file = Path.of(rest);
        if (!Files.isRegularFile(file)) {
            throw new GlassboxException("--steer: no file " + file);
        }
        float[] v;
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            if (st.names().size() != 1) {
                throw new GlassboxException(file + ": holds " + st.names().size() + " tensors (" + String.join(", ", st.names())
                        + "); a steering vector file holds exactly one");
            }
            RawTensor t = st.get(st.names().iterator().next());
            v = RawFloats.of(t, file);
            if (v.length != width || t.shape().length > 2 || (t.shape().length == 2 && t.shape()[0] != 1)) {
                throw new GlassboxException(file + ": tensor '" + t.name() + "' has shape " + t.shapeString() + " but '" + hook
                        + "' has width " + width + " (expected [" + width + "] or [1, " + width + "])");
            }
        }
        return Interventions.steer(hook, v, scale);
    }

    /** The last axis of a steerable activation; other activations (attention, per-head, logits) are refused. */
    private static int width(String hook, ModelConfig c) {
        if (hook.endsWith("mlp.pre") || hook.endsWith("mlp.post") || hook.endsWith("mlp.pre_linear")) {
            return c.intermediateSize();
        }
        if (hook.contains(".attn.") && !hook.endsWith(".attn.out") || hook.equals(HookNames.LOGITS) || hook.equals(HookNames.LOGITS_PRE_CAP)) {
            throw new GlassboxException("--steer " + hook + ": steering adds a vector to a [B, T, width] stream "
                    + "(embed, resid_pre/mid/post, attn.out, mlp.out, ln*, mlp.pre/post); this activation is not one");
        }
        return c.hiddenSize();
    }
}
