package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.LayerNames;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.MoeConfig;

/**
 * One transformer layer: x + ρ·post1(attn(norm1(x))), then + ρ·post2(mlp(norm2(·))). Most models
 * are pre-norm (no post norms, ρ = 1); Gemma 2/3 also normalise each sublayer's output, OLMo-2
 * only does that (no norm before the sublayers), Granite scales each output by its
 * residual_multiplier ρ. With a parallel residual (GPT-NeoX) both sublayers read the layer's
 * input: x + attn(norm1(x)) + mlp(norm2(x)). The MLP is a {@link Mlp}, or a {@link MoeMlp} on a
 * mixture-of-experts model's sparse layers. The call's params ({@link BlockParams}: rotary
 * tables, mask, cache, hooks) pass through to attention and the MLP.
 */
public final class DecoderLayer extends ArrayBlock {

    private final int index;
    private final Norm norm1;
    private final Attention attention;
    private final Norm postAttnNorm;
    private final Norm norm2;
    private final Mlp mlp; // null where the layer's MLP is a mixture
    private final MoeMlp moe; // null where it is dense
    private final Norm postMlpNorm;
    private final String prefix;
    private final boolean parallelResidual;
    private final float residualMultiplier;

    /**
     * @param inputMajor linear weights stored [in, out] (GPT-2's Conv1D)
     * @param qkvInterleaved the fused qkv projection is laid out per head (GPT-NeoX)
     */
    public DecoderLayer(ModelConfig cfg, LayerNames n, int index, boolean inputMajor, boolean qkvInterleaved) {
        this.index = index;
        this.parallelResidual = cfg.parallelResidual();
        this.residualMultiplier = (float) cfg.residualMultiplier();
        this.prefix = "blocks." + index + ".";
        norm1 = norm("norm1", cfg, n.norm1Weight(), n.norm1Bias());
        attention = addChildBlock("attn", new Attention(cfg, n, index, inputMajor, qkvInterleaved));
        postAttnNorm = norm("post_attn_norm", cfg, n.postAttnNormWeight(), null);
        norm2 = norm("norm2", cfg, n.norm2Weight(), n.norm2Bias());
        MoeConfig experts = MoeConfig.of(cfg);
        if (experts != null && experts.isSparse(index)) {
            mlp = null;
            moe = addChildBlock("mlp", new MoeMlp(cfg, experts, index, inputMajor));
        } else {
            mlp = addChildBlock("mlp", new Mlp(cfg, n, index, inputMajor));
            moe = null;
        }
        postMlpNorm = norm("post_mlp_norm", cfg, n.postMlpNormWeight(), null);
    }

    private Norm norm(String child, ModelConfig cfg, String weight, String bias) {
        return weight == null ? null : addChildBlock(child, new Norm(cfg.norm(), weight, bias, cfg.hiddenSize(), cfg.normEps()));
    }

    /** inputs: the residual stream [B, T, D]; returns it after this layer [B, T, D] */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        ForwardContext ctx = BlockParams.context(params);
        NDArray x = ctx.hook(prefix + "resid_pre", inputs.singletonOrThrow());
        NDArray a = norm1 == null ? x : ctx.hook(prefix + "ln1", norm1.forward(ps, x, training));
        NDArray attnOut = ctx.hook(prefix + "attn.out", attention.forward(ps, a, training, params));
        NDArray added = postAttnNorm == null ? attnOut : ctx.hook(prefix + "ln1_post", postAttnNorm.forward(ps, attnOut, training));
        // resid_mid is the stream after attention writes to it; a parallel MLP reads resid_pre.
        NDArray mid = ctx.hook(prefix + "resid_mid", x.add(scaled(added)));
        NDArray in2 = parallelResidual ? x : mid;
        NDArray m = norm2 == null ? in2 : ctx.hook(prefix + "ln2", norm2.forward(ps, in2, training));
        NDArray mlpOut = ctx.hook(prefix + "mlp.out", (moe != null ? moe : mlp).forward(ps, m, training, params));
        NDArray added2 = postMlpNorm == null ? mlpOut : ctx.hook(prefix + "ln2_post", postMlpNorm.forward(ps, mlpOut, training));
        return new NDList(ctx.hook(prefix + "resid_post", mid.add(scaled(added2))));
    }

    private NDArray scaled(NDArray sublayerOut) {
        return residualMultiplier == 1f ? sublayerOut : sublayerOut.mul(Constants.of(residualMultiplier, sublayerOut));
    }

    public int index() {
        return index;
    }

    /** The norm before attention, or null when the layer has none (OLMo-2). */
    public Norm norm1() {
        return norm1;
    }

    public Attention attention() {
        return attention;
    }

    /** The norm of attention's output before it joins the residual (Gemma 2/3, OLMo-2), or null. */
    public Norm postAttnNorm() {
        return postAttnNorm;
    }

    /** The norm before the MLP, or null when the layer has none (OLMo-2). */
    public Norm norm2() {
        return norm2;
    }

    /** The dense MLP, or null on a mixture-of-experts layer. */
    public Mlp mlp() {
        return mlp;
    }

    /** The mixture of experts, or null on a dense layer. */
    public MoeMlp moe() {
        return moe;
    }

    /** The norm of the MLP's output before it joins the residual, or null. */
    public Norm postMlpNorm() {
        return postMlpNorm;
    }

    /** ρ, the factor on each sublayer's output as it joins the residual (Granite; else 1). */
    public float residualMultiplier() {
        return residualMultiplier;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
