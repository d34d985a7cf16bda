package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.LayerNames;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.kernels.PromptAttention;
import dev.glassbox.kernels.Rotary;
import dev.glassbox.kernels.RowAttention;

/**
 * Causal multi-head self-attention with grouped-query heads: Q = xW_Q, K = xW_K, V = xW_V split
 * into heads; q and k normalised where the model does (per head, or over the whole projection);
 * rotary positions where the layer uses them; scores q·k·scale over the past (scale 1/√d unless
 * the model sets its own), softcapped as c·tanh(s/c) where the model caps them, then masked
 * (causal, and within the layer's sliding window); softmax; the probability-weighted sum of
 * values; heads concatenated and projected by W_O.
 *
 * <p>The rotary tables, the mask, the KV cache and the hooks come in the call's params
 * ({@link BlockParams}), as {@link TransformerLM} passes them to each layer.
 */
public final class Attention extends ArrayBlock {

    private final int layer;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final boolean rotary;
    private final boolean qkvInterleaved;
    private final Linear qkv;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final Norm qNorm;
    private final Norm kNorm;
    private final ModelConfig.QkNorm qkNormKind;
    private final Float softcap;
    private final String prefix;

    /**
     * @param inputMajor linear weights stored [in, out] (GPT-2's Conv1D)
     * @param qkvInterleaved the fused qkv output is [head][q|k|v][d] (GPT-NeoX), not [q|k|v][head][d]
     */
    public Attention(ModelConfig cfg, LayerNames n, int layer, boolean inputMajor, boolean qkvInterleaved) {
        this.layer = layer;
        this.qkvInterleaved = qkvInterleaved;
        this.heads = cfg.numHeads();
        this.kvHeads = cfg.numKvHeads();
        this.headDim = cfg.headDim();
        this.rotary = cfg.layer(layer).rope() != null;
        double s = cfg.attentionScale() != null ? cfg.attentionScale() : 1.0 / Math.sqrt(headDim);
        if (cfg.scaleAttnByInverseLayerIdx()) {
            s /= layer + 1;
        }
        this.scale = (float) s;
        this.prefix = "blocks." + layer + ".";
        int d = cfg.hiddenSize();
        if (n.qkvWeight() != null) {
            qkv = addChildBlock("qkv", new Linear(n.qkvWeight(), n.qkvBias(), d, cfg.qDim() + 2 * cfg.kvDim(), inputMajor));
            q = null;
            k = null;
            v = null;
        } else {
            qkv = null;
            q = addChildBlock("q", new Linear(n.qWeight(), n.qBias(), d, cfg.qDim(), inputMajor));
            k = addChildBlock("k", new Linear(n.kWeight(), n.kBias(), d, cfg.kvDim(), inputMajor));
            v = addChildBlock("v", new Linear(n.vWeight(), n.vBias(), d, cfg.kvDim(), inputMajor));
        }
        o = addChildBlock("o", new Linear(n.oWeight(), n.oBias(), cfg.qDim(), d, inputMajor));
        qkNormKind = n.qNormWeight() == null ? ModelConfig.QkNorm.NONE : cfg.qkNorm();
        boolean perHead = qkNormKind == ModelConfig.QkNorm.PER_HEAD;
        qNorm = n.qNormWeight() == null ? null
                : addChildBlock("q_norm", new Norm(cfg.norm(), n.qNormWeight(), null, perHead ? headDim : cfg.qDim(), cfg.normEps()));
        kNorm = n.kNormWeight() == null ? null
                : addChildBlock("k_norm", new Norm(cfg.norm(), n.kNormWeight(), null, perHead ? headDim : cfg.kvDim(), cfg.normEps()));
        softcap = cfg.attnLogitSoftcap() == null ? null : (float) (double) cfg.attnLogitSoftcap();
    }

    /**
     * inputs: the normalised stream x [B, T, D]; returns the attention output [B, T, D]. From params:
     * this layer's rotary tables [1, T, 1, d] each (absent for layers without rotary), its additive
     * causal mask [T, S] (0 or -inf; absent when every position may attend to every cached one, as a
     * single new token does), the cache and the hooks.
     */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray[] cosSin = BlockParams.rotary(params);
        NDArray mask = BlockParams.mask(params);
        ForwardContext ctx = BlockParams.context(params);
        Shape shape = x.getShape();
        long b = shape.get(0);
        long t = shape.get(1);
        NDArray qs;
        NDArray ks;
        NDArray vs;
        if (qkv != null && qkvInterleaved) {
            // GPT-NeoX: each head's q, k and v sit side by side (no grouped heads there)
            NDList parts = qkv.forward(ps, x, training).reshape(b, t, heads, 3L * headDim).split(3, 3);
            qs = parts.get(0);
            ks = parts.get(1);
            vs = parts.get(2);
        } else if (qkv != null) {
            NDList parts = qkv.forward(ps, x, training).split(new long[] {(long) heads * headDim, (long) (heads + kvHeads) * headDim}, 2);
            qs = parts.get(0);
            ks = parts.get(1);
            vs = parts.get(2);
        } else {
            qs = q.forward(ps, x, training);
            ks = k.forward(ps, x, training);
            vs = v.forward(ps, x, training);
        }
        qs = ctx.hook(prefix + "attn.q", qs.reshape(b, t, heads, headDim));
        ks = ctx.hook(prefix + "attn.k", ks.reshape(b, t, kvHeads, headDim));
        vs = ctx.hook(prefix + "attn.v", vs.reshape(b, t, kvHeads, headDim));
        if (qkNormKind == ModelConfig.QkNorm.PER_HEAD) {
            qs = ctx.hook(prefix + "attn.q_norm", qNorm.forward(ps, qs, training));
            ks = ctx.hook(prefix + "attn.k_norm", kNorm.forward(ps, ks, training));
        } else if (qkNormKind == ModelConfig.QkNorm.WHOLE) {
            // one norm over all heads together (OLMo-2), on the flat projection
            qs = ctx.hook(prefix + "attn.q_norm", qNorm.forward(ps, qs.reshape(b, t, (long) heads * headDim), training).reshape(b, t, heads, headDim));
            ks = ctx.hook(prefix + "attn.k_norm", kNorm.forward(ps, ks.reshape(b, t, (long) kvHeads * headDim), training).reshape(b, t, kvHeads, headDim));
        }
        if (rotary) {
            qs = ctx.hook(prefix + "attn.rot_q", rotate(qs, cosSin));
            ks = ctx.hook(prefix + "attn.rot_k", rotate(ks, cosSin));
        }
        if (t == 1 && !ctx.hooked() && RowAttention.applies(qs, ks, vs, ctx.cache(), mask)) {
            // a plain decode step of one sequence: the attention core in one pass (see RowAttention)
            NDArray z = RowAttention.attend(qs, ks, vs, mask, ctx.cache(), layer, scale, softcap);
            if (z != null) {
                return new NDList(o.forward(ps, z, training));
            }
        }
        int past = ctx.cache() == null ? 0 : ctx.cache().length();
        if (t > 1 && !ctx.hooked() && PromptAttention.applies(qs, mask, softcap, past + (int) t)) {
            // a plain prompt of one sequence: the two products per head in OpenBLAS (see PromptAttention)
            PromptAttention.KeysValues kv = ctx.cache() == null ? PromptAttention.KeysValues.ofFresh(ks, vs)
                    : ctx.cache().appendRows(layer, ks, vs) ? PromptAttention.KeysValues.ofCache(ctx.cache(), layer, past + (int) t, (int) headDim)
                    : null;
            if (kv != null) {
                return new NDList(o.forward(ps, PromptAttention.attend(qs, kv, kvHeads, mask, scale), training));
            }
        }
        // [B, heads, T, d]
        NDArray qh = qs.transpose(0, 2, 1, 3);
        NDArray kh = ks.transpose(0, 2, 1, 3);
        NDArray vh = vs.transpose(0, 2, 1, 3);
        if (ctx.cache() != null) {
            NDArray[] kv = ctx.cache().append(layer, kh, vh);
            kh = kv[0];
            vh = kv[1];
        }
        long s = kh.getShape().get(2);
        int group = heads / kvHeads;
        // Grouped-query attention without copying K and V: the `group` query heads that share a
        // key/value head are stacked along the position axis.
        NDArray qg = group == 1 ? qh : qh.reshape(b, kvHeads, group * t, headDim);
        // A power-of-two scale (1/8 for 64-wide heads) scales q exactly, so q·scale·k equals (q·k)·scale
        // bit for bit, over t·d values instead of t·s (the scores are the larger tensor once s > d).
        NDArray scores = powerOfTwo(scale)
                ? qg.mul(Constants.of(scale, qg)).matMul(kh.transpose(0, 1, 3, 2))
                : qg.matMul(kh.transpose(0, 1, 3, 2)).mul(Constants.of(scale, qg));
        if (group != 1) {
            scores = scores.reshape(b, heads, t, s);
        }
        if (softcap != null) {
            // c·tanh(s/c) before the mask, as transformers' eager attention
            NDArray c = Constants.of(softcap, scores);
            scores = scores.div(c).tanh().mul(c);
        }
        if (mask != null) {
            scores = scores.add(mask);
        }
        scores = ctx.hook(prefix + "attn.scores", scores);
        // softmax in float32, the probabilities cast back to V's type (transformers' eager attention)
        NDArray pattern = ctx.hook(prefix + "attn.pattern", Half.like(Half.f32(scores).softmax(-1), vh));
        NDArray z = group == 1
                ? pattern.matMul(vh)
                : pattern.reshape(b, kvHeads, group * t, s).matMul(vh).reshape(b, heads, t, headDim);
        z = ctx.hook(prefix + "attn.z", z.transpose(0, 2, 1, 3));
        return new NDList(o.forward(ps, z.reshape(b, t, (long) heads * headDim), training));
    }

    private static boolean powerOfTwo(float x) {
        return x > 0 && Float.isFinite(x) && x == Math.scalb(1f, Math.getExponent(x));
    }

    /**
     * HuggingFace's rotate_half convention: x·cos + [-x₂, x₁]·sin on each head. With partial rotary
     * (GPT-NeoX's rotary_pct) only the first rotary dimensions turn; the rest pass through. For a
     * single position the tables also hold the rotation as a d×d matrix R ({@code cosSin[2]}): one
     * product x·R (5 µs) instead of seven operations (30 µs, measured in a decode step); R's other
     * entries are zeros, so each output sums the same two products (within one rounding of FMA).
     */
    static NDArray rotate(NDArray x, NDArray[] cosSin) {
        long d = x.getShape().get(3);
        long r = cosSin[0].getShape().get(3);
        if (cosSin.length > 2 && r == d && x.getShape().get(1) == 1) {
            return x.matMul(cosSin[2]);
        }
        if (Rotary.applies(x, cosSin[0], cosSin[1])) {
            return Rotary.apply(x, cosSin[0], cosSin[1]); // the same roundings in one Java pass (see Rotary)
        }
        if (r < d) {
            NDArray turned = rotate(x.get(new NDIndex("..., :{}", r)), cosSin);
            return NDArrays.concat(new NDList(turned, x.get(new NDIndex("..., {}:", r))), -1);
        }
        long half = d / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }

    public int layer() {
        return layer;
    }

    public int heads() {
        return heads;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public float scale() {
        return scale;
    }

    /** The fused q|k|v projection, or null when q, k and v are separate. */
    public Linear qkv() {
        return qkv;
    }

    public Linear q() {
        return q;
    }

    public Linear k() {
        return k;
    }

    public Linear v() {
        return v;
    }

    public Linear o() {
        return o;
    }

    /** The query norm (Qwen3, Gemma 3, OLMo-2), or null. */
    public Norm qNorm() {
        return qNorm;
    }

    /** The key norm, or null. */
    public Norm kNorm() {
        return kNorm;
    }

    /** True when this layer rotates q and k. */
    public boolean rotary() {
        return rotary;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
