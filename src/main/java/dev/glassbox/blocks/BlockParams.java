package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * What a glassbox block's call carries besides its input array, in DJL's
 * {@code PairList<String, Object> params} argument of {@code forward}/{@code forwardInternal}:
 *
 * <ul>
 *   <li>{@value #CONTEXT}: the {@link ForwardContext} (KV cache and hooks); absent means a plain
 *       forward pass without either;
 *   <li>{@value #ROTARY}: this layer's rotary tables {@code NDArray[] {cos, sin}}, [1, T, 1, r] each
 *       (for a single float32 position also the rotation matrix [r, r], see Attention.rotate),
 *       absent for layers without rotary positions;
 *   <li>{@value #MASK}: this layer's additive mask (0 or -inf), absent when nothing is masked;
 *   <li>{@value #ALL_POSITIONS}: {@link TransformerLM} only, Boolean: logits for every position
 *       (the default) or for the last one.
 * </ul>
 *
 * The input {@code NDList} holds only the arrays the block transforms (the residual stream, or the
 * token ids), so every block is a DJL block that maps arrays to arrays; the context is not data.
 */
public final class BlockParams {

    public static final String CONTEXT = "glassbox.context";
    public static final String ROTARY = "glassbox.rotary";
    public static final String MASK = "glassbox.mask";
    public static final String ALL_POSITIONS = "glassbox.all_positions";

    private BlockParams() {}

    /** The params of a model call: the context, and whether every position's logits are wanted. */
    public static PairList<String, Object> of(ForwardContext ctx, boolean allPositions) {
        PairList<String, Object> p = new PairList<>(2);
        p.add(CONTEXT, ctx);
        p.add(ALL_POSITIONS, allPositions);
        return p;
    }

    /** The params of one layer's call: the context, its rotary tables and its mask (either may be null). */
    public static PairList<String, Object> layer(ForwardContext ctx, NDArray[] cosSin, NDArray mask) {
        PairList<String, Object> p = new PairList<>(3);
        p.add(CONTEXT, ctx);
        if (cosSin != null) {
            p.add(ROTARY, cosSin);
        }
        if (mask != null) {
            p.add(MASK, mask);
        }
        return p;
    }

    /** The context in {@code params}; a plain one (no cache, no hooks) when there is none. */
    public static ForwardContext context(PairList<String, Object> params) {
        Object c = params == null ? null : params.get(CONTEXT);
        return c == null ? ForwardContext.plain() : (ForwardContext) c;
    }

    /** The rotary tables {cos, sin}, or null. */
    public static NDArray[] rotary(PairList<String, Object> params) {
        return params == null ? null : (NDArray[]) params.get(ROTARY);
    }

    /** The additive mask, or null. */
    public static NDArray mask(PairList<String, Object> params) {
        return params == null ? null : (NDArray) params.get(MASK);
    }

    /** Whether a model call wants logits for every position (true unless said otherwise). */
    public static boolean allPositions(PairList<String, Object> params) {
        Object a = params == null ? null : params.get(ALL_POSITIONS);
        return a == null || (Boolean) a;
    }

    /**
     * The value of {@code p} for this call, read through DJL's parameter store on the store's
     * device (null for an absent optional parameter, e.g. a bias the model does not have).
     */
    public static NDArray value(ParameterStore ps, Parameter p, boolean training) {
        return p == null ? null : ps.getValue(p, ps.getManager().getDevice(), training);
    }
}
