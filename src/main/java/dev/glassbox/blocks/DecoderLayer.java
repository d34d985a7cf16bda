package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.LayerNames;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.MoeConfig;

/**
 * One pre-norm transformer layer: x + attn(norm1(x)), then + mlp(norm2(·)); with a parallel
 * residual (GPT-NeoX) both read the layer's input: x + attn(norm1(x)) + mlp(norm2(x)). The MLP is
 * a {@link Mlp}, or a {@link MoeMlp} on a mixture-of-experts model's sparse layers.
 */
public final class DecoderLayer extends AbstractBlock {

    private final int index;
    private final Norm norm1;
    private final Attention attention;
    private final Norm norm2;
    private final Mlp mlp; // null where the layer's MLP is a mixture
    private final MoeMlp moe; // null where it is dense
    private final String prefix;
    private final boolean parallelResidual;

    /**
     * @param inputMajor linear weights stored [in, out] (GPT-2's Conv1D)
     * @param qkvInterleaved the fused qkv projection is laid out per head (GPT-NeoX)
     */
    public DecoderLayer(ModelConfig cfg, LayerNames n, int index, boolean inputMajor, boolean qkvInterleaved) {
        this.index = index;
        this.parallelResidual = cfg.parallelResidual();
        this.prefix = "blocks." + index + ".";
        int d = cfg.hiddenSize();
        norm1 = addChildBlock("norm1", new Norm(cfg.norm(), n.norm1Weight(), n.norm1Bias(), d, cfg.normEps()));
        attention = addChildBlock("attn", new Attention(cfg, n, index, inputMajor, qkvInterleaved));
        norm2 = addChildBlock("norm2", new Norm(cfg.norm(), n.norm2Weight(), n.norm2Bias(), d, cfg.normEps()));
        MoeConfig experts = MoeConfig.of(cfg);
        if (experts != null && experts.isSparse(index)) {
            mlp = null;
            moe = addChildBlock("mlp", new MoeMlp(cfg, experts, index, inputMajor));
        } else {
            mlp = addChildBlock("mlp", new Mlp(cfg, n, index, inputMajor));
            moe = null;
        }
    }

    public NDArray forward(NDArray x, NDArray[] cosSin, NDArray mask, ForwardContext ctx) {
        x = ctx.hook(prefix + "resid_pre", x);
        NDArray a = ctx.hook(prefix + "ln1", norm1.apply(x));
        NDArray attnOut = ctx.hook(prefix + "attn.out", attention.forward(a, cosSin, mask, ctx));
        // resid_mid is the stream after attention writes to it; a parallel MLP reads resid_pre.
        NDArray mid = ctx.hook(prefix + "resid_mid", x.add(attnOut));
        NDArray m = ctx.hook(prefix + "ln2", norm2.apply(parallelResidual ? x : mid));
        NDArray mlpOut = ctx.hook(prefix + "mlp.out", moe != null ? moe.forward(m, ctx) : mlp.forward(m, ctx));
        return ctx.hook(prefix + "resid_post", mid.add(mlpOut));
    }

    public int index() {
        return index;
    }

    public Norm norm1() {
        return norm1;
    }

    public Attention attention() {
        return attention;
    }

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

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException("DecoderLayer runs inside TransformerLM, which supplies positions and the mask");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
