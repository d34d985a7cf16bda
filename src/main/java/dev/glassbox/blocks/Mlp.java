package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.LayerNames;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.ModelConfig.Activation;

/**
 * The MLP that expands and contracts: down(act(up(x))) for GPT-2, and the gated form
 * down(act(gate(x)) ⊙ up(x)) for SwiGLU / GeGLU models, with gate and up optionally fused. Each
 * expert of a mixture ({@link MoeMlp}) is one of these, hooked under its own prefix. Its hooks
 * come from the {@link ForwardContext} in the call's params ({@link BlockParams}).
 */
public final class Mlp extends ArrayBlock {

    private final Activation activation;
    private final boolean gated;
    private final int width;
    private final Linear gateUp;
    private final Linear gate;
    private final Linear up;
    private final Linear down;
    private final String prefix;

    public Mlp(ModelConfig cfg, LayerNames n, int layer, boolean inputMajor) {
        this(cfg.activation(), cfg.gatedMlp(), cfg.hiddenSize(), cfg.intermediateSize(), n.gateUpWeight(), n.gateWeight(), n.gateBias(),
                n.upWeight(), n.upBias(), n.downWeight(), n.downBias(), "blocks." + layer + ".mlp.", inputMajor);
    }

    /**
     * A gated MLP without biases, as each expert of a mixture ({@link MoeMlp}) is.
     *
     * @param width its hidden width I
     * @param hookPrefix prepended to the hook names {@code pre}, {@code pre_linear}, {@code post}
     */
    public Mlp(ModelConfig cfg, String gateWeight, String upWeight, String downWeight, int width, String hookPrefix, boolean inputMajor) {
        this(cfg.activation(), true, cfg.hiddenSize(), width, null, gateWeight, null, upWeight, null, downWeight, null, hookPrefix, inputMajor);
    }

    private Mlp(Activation activation, boolean gated, int d, int width, String gateUpWeight, String gateWeight, String gateBias,
            String upWeight, String upBias, String downWeight, String downBias, String hookPrefix, boolean inputMajor) {
        this.activation = activation;
        this.gated = gated;
        this.width = width;
        this.prefix = hookPrefix;
        if (gated && gateUpWeight != null) {
            gateUp = addChildBlock("gate_up", new Linear(gateUpWeight, null, d, 2 * width, inputMajor));
            gate = null;
            up = null;
        } else {
            gateUp = null;
            gate = gated ? addChildBlock("gate", new Linear(gateWeight, gateBias, d, width, inputMajor)) : null;
            up = addChildBlock("up", new Linear(upWeight, upBias, d, width, inputMajor));
        }
        down = addChildBlock("down", new Linear(downWeight, downBias, width, d, inputMajor));
    }

    /** inputs: the normalised stream [B, T, D]; returns [B, T, D] */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        ForwardContext ctx = BlockParams.context(params);
        NDArray post;
        if (gated) {
            NDArray g;
            NDArray u;
            if (gateUp != null) {
                NDList parts = gateUp.forward(ps, x, training).split(2, 2); // Phi-3 stores gate first, then up
                g = parts.get(0);
                u = parts.get(1);
            } else {
                g = gate.forward(ps, x, training);
                u = up.forward(ps, x, training);
            }
            g = ctx.hook(prefix + "pre", g);
            u = ctx.hook(prefix + "pre_linear", u);
            post = Activations.gated(activation, g, u);
        } else {
            NDArray pre = ctx.hook(prefix + "pre", up.forward(ps, x, training));
            post = Activations.apply(activation, pre);
        }
        post = ctx.hook(prefix + "post", post);
        return new NDList(down.forward(ps, post, training));
    }

    /** The hidden width I. */
    public int width() {
        return width;
    }

    public boolean gated() {
        return gated;
    }

    public Activation activation() {
        return activation;
    }

    public Linear gateUp() {
        return gateUp;
    }

    public Linear gate() {
        return gate;
    }

    public Linear up() {
        return up;
    }

    public Linear down() {
        return down;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
