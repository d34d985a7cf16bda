package dev.glassbox.blocks;
import dev.glassbox.hooks.Hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.MoeConfig;
import dev.glassbox.arch.ModelConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A sparse mixture of experts in the MLP's place (Mixtral, Qwen2-MoE), as transformers computes
 * it: the router scores every expert, p = softmax(x·W_rᵀ) in float32; each position keeps its
 * top k experts, with weights p_e (renormalised to Σ = 1 when {@code norm_topk_prob}); then
 *
 * <pre>out = Σ_{e ∈ top-k} p_e · expert_e(x)  [+ σ(x·w_g) · shared(x)]</pre>
 *
 * where every expert (and the shared one) is a SwiGLU {@link Mlp}. The routed sum is accumulated
 * expert by expert in index order, as transformers' index_add does.
 *
 * <p>A plain run evaluates each expert on the positions routed to it only. A hooked run (any
 * inspection) evaluates every expert on every position, so that each expert's activations have
 * the input's shape, and weighs each by its routing weight, 0 where the expert was not chosen;
 * the output is the same. Hooks may replace the router logits, the chosen ids and weights, and
 * each expert's output, and the rest of the computation follows them.
 */
public final class MoeMlp extends ArrayBlock {

    private final int numExperts;
    private final int topK;
    private final boolean normTopK;
    private final Linear router;
    private final List<Mlp> experts = new ArrayList<>();
    private final Mlp shared;
    private final Linear sharedGate;
    private final String prefix;

    public MoeMlp(ModelConfig cfg, MoeConfig moe, int layer, boolean inputMajor) {
        this.numExperts = moe.numExperts();
        this.topK = moe.topK();
        this.normTopK = moe.normTopK();
        this.prefix = "blocks." + layer + ".mlp.";
        int d = cfg.hiddenSize();
        MoeConfig.Names n = moe.names();
        router = addChildBlock("router", new Linear(n.router(layer), null, d, numExperts, inputMajor));
        for (int e = 0; e < numExperts; e++) {
            MoeConfig.ExpertNames x = n.expert(layer, e);
            experts.add(addChildBlock("expert" + e,
                    new Mlp(cfg, x.gate(), x.up(), x.down(), moe.expertWidth(), prefix + "experts." + e + ".", inputMajor)));
        }
        if (moe.hasSharedExpert()) {
            MoeConfig.ExpertNames x = n.sharedExpert(layer);
            shared = addChildBlock("shared", new Mlp(cfg, x.gate(), x.up(), x.down(), moe.sharedWidth(), prefix + "shared_expert.", inputMajor));
            String g = n.sharedExpertGate(layer);
            sharedGate = g == null ? null : addChildBlock("shared_gate", new Linear(g, null, d, 1, inputMajor));
        } else {
            shared = null;
            sharedGate = null;
        }
    }

    /** The hook names of layer {@code layer}'s mixture, besides {@code mlp.out}, in forward order. */
    public static List<String> hookNames(int layer, MoeConfig moe) {
        String p = "blocks." + layer + ".mlp.";
        List<String> names = new ArrayList<>(List.of(p + "router_logits", p + "expert_weights", p + "expert_ids"));
        for (int e = 0; e < moe.numExperts(); e++) {
            for (String s : List.of("pre", "pre_linear", "post", "out")) {
                names.add(p + "experts." + e + "." + s);
            }
        }
        if (moe.hasSharedExpert()) {
            for (String s : List.of("pre", "pre_linear", "post")) {
                names.add(p + "shared_expert." + s);
            }
            if (moe.names().sharedExpertGate(layer) != null) {
                names.add(p + "shared_expert_gate");
            }
            names.add(p + "shared_expert.out");
        }
        return names;
    }

    /** inputs: the normalised stream [B, T, D]; returns [B, T, D] */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        ForwardContext ctx = BlockParams.context(params);
        NDArray logits = ctx.hook(prefix + "router_logits", router.forward(ps, x, training)); // [B, T, E]
        // transformers routes in float32 whatever the weights' dtype.
        NDArray probs = logits.toType(DataType.FLOAT32, false).softmax(-1);
        NDList top = probs.topK(topK, -1, true, true); // largest first
        NDArray w = top.get(0);
        if (normTopK) {
            w = w.div(w.sum(new int[] {-1}, true));
        }
        NDArray ids = top.get(1);
        NDArray routed;
        if (ctx.hooked()) {
            w = ctx.hook(prefix + "expert_weights", w);
            ids = ctx.hook(prefix + "expert_ids", ids.toType(DataType.FLOAT32, false)).toType(DataType.INT64, false);
            routed = everyExpert(ps, x, ids, w, training, params);
        } else {
            routed = routedExperts(ps, x, ids, w, training);
        }
        if (shared == null) {
            return new NDList(routed);
        }
        NDArray s = shared.forward(ps, x, training, params);
        if (sharedGate != null) {
            NDArray g = ctx.hook(prefix + "shared_expert_gate", ai.djl.nn.Activation.sigmoid(sharedGate.forward(ps, x, training)));
            s = g.mul(s);
        }
        return new NDList(routed.add(ctx.hook(prefix + "shared_expert.out", s)));
    }

    /** Each expert on the rows routed to it, weighted and added back into place. */
    private NDArray routedExperts(ParameterStore ps, NDArray x, NDArray ids, NDArray w, boolean training) {
        NDManager m = x.getManager();
        Shape shape = x.getShape();
        int d = (int) shape.get(shape.dimension() - 1);
        int rows = (int) (shape.size() / d);
        NDArray flat = x.reshape(rows, d);
        NDArray weights = w.reshape(rows * topK);
        long[] chosen = ids.toLongArray(); // [rows · k]: row r's j-th expert at r·k + j
        NDArray zero = null;
        NDArray acc = null;
        for (int e = 0; e < numExperts; e++) {
            int count = 0;
            for (long c : chosen) {
                count += c == e ? 1 : 0;
            }
            if (count == 0) {
                continue;
            }
            long[] tokens = new long[count];
            long[] slots = new long[count];
            long[] place = new long[rows]; // where row r's value lies in [0; y_e]: 0 = not routed
            int i = 0;
            for (int s = 0; s < chosen.length; s++) {
                if (chosen[s] == e) {
                    tokens[i] = s / topK;
                    slots[i] = s;
                    place[s / topK] = ++i;
                }
            }
            NDArray y = experts.get(e).forward(ps, flat.get(m.create(tokens)), training);
            y = y.mul(weights.get(m.create(slots)).reshape(count, 1)).toType(x.getDataType(), false);
            if (zero == null) {
                zero = m.zeros(new Shape(1, d), x.getDataType());
            }
            NDArray placed = zero.concat(y, 0).get(m.create(place)); // [rows, D], zero rows elsewhere
            acc = acc == null ? placed : acc.add(placed);
        }
        return acc.reshape(shape);
    }

    /** Every expert on every position, weighted by its routing weight (0 where not chosen). */
    private NDArray everyExpert(ParameterStore ps, NDArray x, NDArray ids, NDArray w, boolean training, PairList<String, Object> params) {
        ForwardContext ctx = BlockParams.context(params);
        // Dense routing weights [B, T, E]: each chosen expert's weight, 0 for the others.
        NDArray dense = ids.oneHot(numExperts, DataType.FLOAT32).mul(w.toType(DataType.FLOAT32, false).expandDims(-1)).sum(new int[] {-2});
        NDArray acc = null;
        for (int e = 0; e < numExperts; e++) {
            NDArray y = experts.get(e).forward(ps, x, training, params);
            NDArray we = dense.get(new NDIndex("..., {}:{}", e, e + 1));
            NDArray out = ctx.hook(prefix + "experts." + e + ".out", y.mul(we).toType(x.getDataType(), false));
            acc = acc == null ? out : acc.add(out);
        }
        return acc;
    }

    public int numExperts() {
        return numExperts;
    }

    public int topK() {
        return topK;
    }

    public boolean normTopK() {
        return normTopK;
    }

    public Linear router() {
        return router;
    }

    public List<Mlp> experts() {
        return Collections.unmodifiableList(experts);
    }

    /** The shared expert, or null. */
    public Mlp sharedExpert() {
        return shared;
    }

    /** The shared expert's gate [1, D], or null. */
    public Linear sharedExpertGate() {
        return sharedGate;
    }

    /** Every projection, for loading: router, experts in order, shared expert, its gate. */
    public List<Linear> linears() {
        List<Linear> all = new ArrayList<>();
        all.add(router);
        List<Mlp> mlps = new ArrayList<>(experts);
        if (shared != null) {
            mlps.add(shared);
        }
        for (Mlp mlp : mlps) {
            all.add(mlp.gate());
            all.add(mlp.up());
            all.add(mlp.down());
        }
        if (sharedGate != null) {
            all.add(sharedGate);
        }
        return all;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
