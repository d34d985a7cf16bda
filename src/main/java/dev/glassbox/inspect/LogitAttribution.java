package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.MoeConfig;
import dev.glassbox.blocks.Attention;
import dev.glassbox.blocks.DecoderLayer;
import dev.glassbox.blocks.Half;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.blocks.MoeMlp;
import dev.glassbox.blocks.Norm;
import dev.glassbox.blocks.TransformerLM;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Direct logit attribution: how much each component that writes to the residual stream adds,
 * directly, to one token's logit at one position.
 *
 * <p>The residual stream entering the final norm is a sum: embedding (+ learned position
 * embedding) + each layer's attention output + each layer's MLP output. The final norm is not
 * linear, so, as TransformerLens does, its scale is frozen at the value it has for this position:
 * for LayerNorm, s = √(var(r) + ε) of the final residual r, and the norm is (x − mean(x)) / s · w
 * + b; for RMSNorm, s = √(mean(r²) + ε) and the norm is x / s · w (Gemma: · (1 + w)). With s
 * fixed the norm is affine, so each component c contributes c · d, where d = w ⊙ u / s (centred
 * for LayerNorm: d − mean(d)) and u is the target's unembedding row; LayerNorm's bias adds b · u
 * as its own "norm bias" term. An attention output splits further into heads: head h contributes
 * z_h · (W_O[:, h] ᵀ d) (its slice of the output projection), and W_O's bias b_O · d is a term of
 * its own. On a mixture-of-experts layer the MLP term splits the same way into one term per routed
 * expert (its weighted output, 0 where the position did not choose it) and one for the shared
 * expert (after its sigmoid gate). The terms add up to the logit itself.
 *
 * <p>Where a layer normalises a sublayer's output before it joins the residual (Gemma 2/3, OLMo-2),
 * that post-norm's scale is frozen the same way, so each head still contributes linearly; Granite's
 * residual multiplier and logits scaling are linear factors on the terms. With final-logit
 * softcapping (Gemma 2) the terms explain the logit before the cap, c·atanh(logit/c): {@link
 * Result#logit} is that pre-cap logit (the {@code logits_pre_cap} hook), and the model's output is
 * c·tanh(logit/c).
 */
public final class LogitAttribution {

    /** What a term measures. */
    public enum Kind { EMBED, POS_EMBED, ATTN_HEAD, ATTN_BIAS, MLP, MLP_EXPERT, MLP_SHARED_EXPERT, NORM_BIAS }

    /**
     * One additive term.
     *
     * @param name e.g. "embed", "pos_embed", "blocks.3.attn.head.5", "blocks.3.attn.bias",
     *     "blocks.3.mlp", "blocks.3.mlp.experts.2", "blocks.3.mlp.shared_expert", "ln_final.bias"
     * @param layer the layer, or -1 for terms outside the layers
     * @param head the head for ATTN_HEAD terms, the expert for MLP_EXPERT terms, else -1
     * @param value its contribution to the logit
     */
    public record Term(String name, Kind kind, int layer, int head, double value) {}

    /**
     * @param position the position whose logit is explained
     * @param targetId the token whose logit is explained
     * @param logit the logit the model computed
     * @param scale the frozen norm scale s
     * @param terms the partition of the logit, in residual-stream order: they sum to {@link #logit}
     * @param attention per layer, the attention output's whole contribution (attn.out · d),
     *     which equals that layer's head terms plus its bias term
     */
    public record Result(int position, long targetId, String target, float logit, double scale, List<Term> terms, double[] attention) {

        public Result {
            terms = List.copyOf(terms);
        }

        /** The sum of all terms (equals the logit up to rounding). */
        public double sum() {
            double s = 0;
            for (Term t : terms) {
                s += t.value();
            }
            return s;
        }

        /** The term of one layer's MLP (on a mixture, the sum of its expert terms). */
        public double mlp(int layer) {
            return terms.stream().filter(t -> MLP_KINDS.contains(t.kind()) && t.layer() == layer).mapToDouble(Term::value).sum();
        }

        /** The routed expert terms of one mixture-of-experts layer, by expert (empty for a dense MLP). */
        public double[] experts(int layer) {
            return terms.stream().filter(t -> t.kind() == Kind.MLP_EXPERT && t.layer() == layer).mapToDouble(Term::value).toArray();
        }

        /** The head terms of one layer, by head. */
        public double[] heads(int layer) {
            return terms.stream().filter(t -> t.kind() == Kind.ATTN_HEAD && t.layer() == layer).mapToDouble(Term::value).toArray();
        }

        /** The embedding terms (token plus, where learned, position). */
        public double embedding() {
            return terms.stream().filter(t -> t.kind() == Kind.EMBED || t.kind() == Kind.POS_EMBED).mapToDouble(Term::value).sum();
        }
    }

    private LogitAttribution() {}

    /** The activations attribution reads. */
    private static final Set<Kind> MLP_KINDS = EnumSet.of(Kind.MLP, Kind.MLP_EXPERT, Kind.MLP_SHARED_EXPERT);

    public static Set<String> hookNames(ModelConfig cfg) {
        Set<String> names = new LinkedHashSet<>();
        names.add(HookNames.EMBED);
        if (cfg.learnedPositions()) {
            names.add(HookNames.POS_EMBED);
        }
        int layers = cfg.numLayers();
        boolean post = cfg.normPlacement() != ModelConfig.NormPlacement.PRE;
        MoeConfig moe = post ? null : MoeConfig.of(cfg);
        for (int l = 0; l < layers; l++) {
            names.add(HookNames.block(l, "attn.z"));
            names.add(HookNames.block(l, "attn.out"));
            names.add(HookNames.block(l, post ? "ln2_post" : "mlp.out"));
            names.addAll(expertOutputs(moe, l));
        }
        names.add(HookNames.block(layers - 1, "resid_post"));
        names.add(cfg.finalLogitSoftcap() != null ? HookNames.LOGITS_PRE_CAP : HookNames.LOGITS);
        return names;
    }

    /** The per-expert outputs attribution reads on layer {@code l} of a mixture (none for a dense MLP). */
    static List<String> expertOutputs(MoeConfig moe, int l) {
        List<String> names = new ArrayList<>();
        if (moe != null && moe.isSparse(l)) {
            for (int e = 0; e < moe.numExperts(); e++) {
                names.add(HookNames.block(l, "mlp.experts." + e + ".out"));
            }
            if (moe.hasSharedExpert()) {
                names.add(HookNames.block(l, "mlp.shared_expert.out"));
            }
        }
        return names;
    }

    /** Runs {@code ids} and attributes the logit of {@code targetId} at {@code position}. */
    public static Result attribute(LanguageModel model, long[] ids, int position, long targetId) {
        try (ActivationCache cache = model.runWithCache(ids, hookNames(model.config())::contains)) {
            return fromCache(model, cache, position, targetId, new TokenLabels(model.tokenizer()));
        }
    }

    /** Attribution from a cache holding {@link #hookNames} (logits included). */
    public static Result fromCache(LanguageModel model, ActivationCache cache, int position, long targetId, TokenLabels labels) {
        ModelConfig cfg = model.config();
        int d = cfg.hiddenSize();
        int v = cfg.vocabSize();
        int layers = cfg.numLayers();
        long[] logitShape = cache.shape(cfg.finalLogitSoftcap() != null ? HookNames.LOGITS_PRE_CAP : HookNames.LOGITS);
        int t = (int) logitShape[1];
        if (position < 0 || position >= t) {
            throw new IllegalArgumentException("position " + position + " is outside the input [0, " + t + ")");
        }
        if (targetId < 0 || targetId >= v) {
            throw new IllegalArgumentException("target id " + targetId + " is outside the vocabulary [0, " + v + ")");
        }
        TransformerLM block = model.block();
        // with a final softcap, the logit explained is the one before the cap
        String logitHook = cfg.finalLogitSoftcap() != null ? HookNames.LOGITS_PRE_CAP : HookNames.LOGITS;
        float logit = cache.floats(logitHook)[position * v + (int) targetId];
        double unembedScale = 1.0 / cfg.logitsScaling(); // Granite divides the logits
        float[] resid = Vectors.row(cache.floats(HookNames.block(layers - 1, "resid_post")), position, d);
        Norm norm = block.finalNorm();
        float[] u;
        float[] w;
        float[] b = null;
        try (NDScope scope = new NDScope()) {
            u = Half.floats(block.unembedding().get(targetId));
            w = Half.floats(norm.weight().getArray());
            if (norm.bias() != null) {
                b = Half.floats(norm.bias().getArray());
            }
        }
        // The frozen scale and the direction d every component is projected onto.
        double s;
        double[] dir = new double[d];
        switch (norm.kind()) {
            case LAYER_NORM -> {
                double mean = 0;
                for (float x : resid) {
                    mean += x;
                }
                mean /= d;
                double var = 0;
                for (float x : resid) {
                    var += (x - mean) * (x - mean);
                }
                var /= d;
                s = Math.sqrt(var + norm.eps());
                double dm = 0;
                for (int i = 0; i < d; i++) {
                    dir[i] = w[i] * (double) u[i] / s * unembedScale;
                    dm += dir[i];
                }
                dm /= d;
                for (int i = 0; i < d; i++) {
                    dir[i] -= dm;
                }
            }
            case RMS_NORM, RMS_NORM_PLUS_ONE -> {
                double ms = 0;
                for (float x : resid) {
                    ms += (double) x * x;
                }
                s = Math.sqrt(ms / d + norm.eps());
                boolean plusOne = norm.kind() == ModelConfig.NormKind.RMS_NORM_PLUS_ONE;
                for (int i = 0; i < d; i++) {
                    dir[i] = (plusOne ? 1.0 + w[i] : w[i]) * u[i] / s * unembedScale;
                }
            }
            default -> throw new IllegalStateException(norm.kind().toString());
        }

        List<Term> terms = new ArrayList<>();
        terms.add(new Term("embed", Kind.EMBED, -1, -1, Vectors.dot(Vectors.row(cache.floats(HookNames.EMBED), position, d), dir)));
        if (cfg.learnedPositions()) {
            terms.add(new Term("pos_embed", Kind.POS_EMBED, -1, -1,
                    Vectors.dot(Vectors.row(cache.floats(HookNames.POS_EMBED), position, d), dir)));
        }
        double[] attention = new double[layers];
        float[] dirF = new float[d];
        for (int i = 0; i < d; i++) {
            dirF[i] = (float) dir[i];
        }
        for (int l = 0; l < layers; l++) {
            DecoderLayer layer = block.layers().get(l);
            Attention attn = layer.attention();
            int heads = attn.heads();
            int hd = attn.headDim();
            float[] attnOut = Vectors.row(cache.floats(HookNames.block(l, "attn.out")), position, d);
            // what attention writes to the residual, per unit of attn.out: ρ, through the frozen post-norm
            double[] attnDir = sublayerDirection(dir, layer.postAttnNorm(), attnOut, layer.residualMultiplier());
            attention[l] = Vectors.dot(attnOut, attnDir);
            float[] attnDirF = new float[d];
            for (int i = 0; i < d; i++) {
                attnDirF[i] = (float) attnDir[i];
            }
            float[] z = Vectors.row(cache.floats(HookNames.block(l, "attn.z")), position, heads * hd);
            float[] perInput; // W_Oᵀ d: what each input of the output projection adds per unit
            float[] bias = null;
            try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                NDArray wo = attn.o().weightOutIn(); // [D, H·d]
                NDArray dv = m.create(attnDirF, new Shape(1, d));
                perInput = dv.matMul(Half.f32(wo)).toFloatArray();
                if (attn.o().bias() != null) {
                    bias = Half.floats(attn.o().bias().getArray());
                }
            }
            for (int h = 0; h < heads; h++) {
                double c = 0;
                for (int j = h * hd; j < (h + 1) * hd; j++) {
                    c += (double) z[j] * perInput[j];
                }
                terms.add(new Term(HookNames.block(l, "attn.head." + h), Kind.ATTN_HEAD, l, h, c));
            }
            if (bias != null) {
                terms.add(new Term(HookNames.block(l, "attn.bias"), Kind.ATTN_BIAS, l, -1, Vectors.dot(bias, attnDir)));
            }
            MoeMlp moe = layer.moe();
            if (moe != null && layer.postMlpNorm() == null) {
                // a mixture's write is the sum of its experts' weighted outputs: one term each, times ρ
                float rho = layer.residualMultiplier();
                for (int e = 0; e < moe.numExperts(); e++) {
                    float[] out = Vectors.row(cache.floats(HookNames.block(l, "mlp.experts." + e + ".out")), position, d);
                    terms.add(new Term(HookNames.block(l, "mlp.experts." + e), Kind.MLP_EXPERT, l, e, rho * Vectors.dot(out, dir)));
                }
                if (moe.sharedExpert() != null) {
                    float[] out = Vectors.row(cache.floats(HookNames.block(l, "mlp.shared_expert.out")), position, d);
                    terms.add(new Term(HookNames.block(l, "mlp.shared_expert"), Kind.MLP_SHARED_EXPERT, l, -1, rho * Vectors.dot(out, dir)));
                }
                continue;
            }
            // the MLP's write to the residual (after its post-norm where there is one), times ρ
            String mlpHook = layer.postMlpNorm() != null ? "ln2_post" : "mlp.out";
            float[] mlpOut = Vectors.row(cache.floats(HookNames.block(l, mlpHook)), position, d);
            terms.add(new Term(HookNames.block(l, "mlp"), Kind.MLP, l, -1, layer.residualMultiplier() * Vectors.dot(mlpOut, dir)));
        }
        if (b != null) {
            terms.add(new Term("ln_final.bias", Kind.NORM_BIAS, -1, -1, Vectors.dot(b, u)));
        }
        return new Result(position, targetId, labels.text(targetId), logit, s, terms, attention);
    }

    /**
     * The direction a sublayer's raw output c is projected on: ρ·d without a post-norm; with one,
     * ρ·g ⊙ d / s' (g = w, or 1 + w for Gemma), its scale s' = √(mean(c²) + ε) frozen at this position.
     */
    private static double[] sublayerDirection(double[] dir, Norm post, float[] out, float rho) {
        double[] x = new double[dir.length];
        if (post == null) {
            for (int i = 0; i < dir.length; i++) {
                x[i] = rho * dir[i];
            }
            return x;
        }
        double ms = 0;
        for (float f : out) {
            ms += (double) f * f;
        }
        double sp = Math.sqrt(ms / out.length + post.eps());
        float[] w;
        try (NDScope scope = new NDScope()) {
            w = post.weight().getArray().toFloatArray();
        }
        boolean plusOne = post.kind() == ModelConfig.NormKind.RMS_NORM_PLUS_ONE;
        for (int i = 0; i < dir.length; i++) {
            x[i] = rho * (plusOne ? 1.0 + w[i] : w[i]) * dir[i] / sp;
        }
        return x;
    }
}
