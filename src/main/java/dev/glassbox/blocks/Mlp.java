package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.LayerNames;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.ModelConfig.Activation;

/**
 * The MLP that expands and contracts: down(act(up(x))) for GPT-2, and the gated form
 * down(act(gate(x)) ⊙ up(x)) for SwiGLU / GeGLU models, with gate and up optionally fused.
 */
public final class Mlp extends AbstractBlock {

    private final Activation activation;
    private final boolean gated;
    private final int width;
    private final Linear gateUp;
    private final Linear gate;
    private final Linear up;
    private final Linear down;
    private final String prefix;

    public Mlp(ModelConfig cfg, LayerNames n, int layer, boolean inputMajor) {
        this.activation = cfg.activation();
        this.gated = cfg.gatedMlp();
        this.width = cfg.intermediateSize();
        this.prefix = "blocks." + layer + ".";
        int d = cfg.hiddenSize();
        if (gated && n.gateUpWeight() != null) {
            gateUp = addChildBlock("gate_up", new Linear(n.gateUpWeight(), null, d, 2 * width, inputMajor));
            gate = null;
            up = null;
        } else {
            gateUp = null;
            gate = gated ? addChildBlock("gate", new Linear(n.gateWeight(), n.gateBias(), d, width, inputMajor)) : null;
            up = addChildBlock("up", new Linear(n.upWeight(), n.upBias(), d, width, inputMajor));
        }
        down = addChildBlock("down", new Linear(n.downWeight(), n.downBias(), width, d, inputMajor));
    }

    /** @param x normalised input [B, T, D]; returns [B, T, D] */
    public NDArray forward(NDArray x, ForwardContext ctx) {
        NDArray post;
        if (gated) {
            NDArray g;
            NDArray u;
            if (gateUp != null) {
                NDList parts = gateUp.apply(x).split(2, 2); // Phi-3 stores gate first, then up
                g = parts.get(0);
                u = parts.get(1);
            } else {
                g = gate.apply(x);
                u = up.apply(x);
            }
            g = ctx.hook(prefix + "mlp.pre", g);
            u = ctx.hook(prefix + "mlp.pre_linear", u);
            post = Activations.apply(activation, g).mul(u);
        } else {
            NDArray pre = ctx.hook(prefix + "mlp.pre", up.apply(x));
            post = Activations.apply(activation, pre);
        }
        post = ctx.hook(prefix + "mlp.post", post);
        return down.apply(post);
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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(inputs.singletonOrThrow(), ForwardContext.plain()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
