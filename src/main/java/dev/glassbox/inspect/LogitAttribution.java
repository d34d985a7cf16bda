package dev.glassbox.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.Attention;
import dev.glassbox.blocks.Half;
import dev.glassbox.blocks.HookNames;
import dev.glassbox.blocks.Norm;
import dev.glassbox.blocks.TransformerLM;
import java.util.ArrayList;
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
 * its own. The terms add up to the logit itself.
 */
public final class LogitAttribution {

    /** What a term measures. */
    public enum Kind { EMBED, POS_EMBED, ATTN_HEAD, ATTN_BIAS, MLP, NORM_BIAS }

    /**
     * One additive term.
     *
     * @param name e.g. "embed", "pos_embed", "blocks.3.attn.head.5", "blocks.3.attn.bias",
     *     "blocks.3.mlp", "ln_final.bias"
     * @param layer the layer, or -1 for terms outside the layers
     * @param head the head for ATTN_HEAD terms, else -1
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

        /** The term of one layer's MLP. */
        public double mlp(int layer) {
            return terms.stream().filter(t -> t.kind() == Kind.MLP && t.layer() == layer).mapToDouble(Term::value).sum();
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
    public static Set<String> hookNames(ModelConfig cfg) {
        Set<String> names = new LinkedHashSet<>();
        names.add(HookNames.EMBED);
        if (cfg.learnedPositions()) {
            names.add(HookNames.POS_EMBED);
        }
        int layers = cfg.numLayers();
        for (int l = 0; l < layers; l++) {
            names.add(HookNames.block(l, "attn.z"));
            names.add(HookNames.block(l, "attn.out"));
            names.add(HookNames.block(l, "mlp.out"));
        }
        names.add(HookNames.block(layers - 1, "resid_post"));
        names.add(HookNames.LOGITS);
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
        long[] logitShape = cache.shape(HookNames.LOGITS);
        int t = (int) logitShape[1];
        if (position < 0 || position >= t) {
            throw new IllegalArgumentException("position " + position + " is outside the input [0, " + t + ")");
        }
        if (targetId < 0 || targetId >= v) {
            throw new IllegalArgumentException("target id " + targetId + " is outside the vocabulary [0, " + v + ")");
        }
        TransformerLM block = model.block();
        float logit = cache.floats(HookNames.LOGITS)[position * v + (int) targetId];
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
                    dir[i] = w[i] * (double) u[i] / s;
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
                    dir[i] = (plusOne ? 1.0 + w[i] : w[i]) * u[i] / s;
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
            Attention attn = block.layers().get(l).attention();
            int heads = attn.heads();
            int hd = attn.headDim();
            attention[l] = Vectors.dot(Vectors.row(cache.floats(HookNames.block(l, "attn.out")), position, d), dir);
            float[] z = Vectors.row(cache.floats(HookNames.block(l, "attn.z")), position, heads * hd);
            float[] perInput; // W_Oᵀ d: what each input of the output projection adds per unit
            float[] bias = null;
            try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                NDArray wo = attn.o().weightOutIn(); // [D, H·d]
                NDArray dv = m.create(dirF, new Shape(1, d));
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
                terms.add(new Term(HookNames.block(l, "attn.bias"), Kind.ATTN_BIAS, l, -1, Vectors.dot(bias, dir)));
            }
            terms.add(new Term(HookNames.block(l, "mlp"), Kind.MLP, l, -1,
                    Vectors.dot(Vectors.row(cache.floats(HookNames.block(l, "mlp.out")), position, d), dir)));
        }
        if (b != null) {
            terms.add(new Term("ln_final.bias", Kind.NORM_BIAS, -1, -1, Vectors.dot(b, u)));
        }
        return new Result(position, targetId, labels.text(targetId), logit, s, terms, attention);
    }
}
