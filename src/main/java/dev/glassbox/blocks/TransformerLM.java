package dev.glassbox.blocks;
import dev.glassbox.hooks.HookNames;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.GlassboxException;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.Rope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only transformer language model, as in nanoGPT's model.py: token embedding E (plus
 * learned positions P, or rotary positions inside attention), a stack of pre-norm layers, a final
 * norm, and the projection back to the vocabulary (logits = h·Eᵀ when tied).
 *
 * <p>It is a DJL block through and through: every sub-block ({@link DecoderLayer}, {@link Attention},
 * {@link Mlp}, {@link MoeMlp}, {@link Norm}, {@link Linear}) computes in its {@code forwardInternal}
 * and reads its weights, DJL {@link Parameter}s named as in the checkpoint, through the
 * {@link ParameterStore}; inference and training read the same arrays. Per-call context travels in
 * DJL's {@code params} argument ({@link BlockParams}): the {@link ForwardContext} (KV cache, hooks)
 * and, from here to each layer, its rotary tables and mask. {@code forward(ps, [ids], training,
 * params)} gives {@code [logits]} (every position, or the last with {@link BlockParams#ALL_POSITIONS}
 * false); {@code [ids, k_0, v_0, …, k_{L-1}, v_{L-1}, length]} runs on those cache buffers
 * (HuggingFace's past_key_values, DJL style) and returns {@code [lastLogits, buffers…, length]}.
 * {@link #forward(NDArray, ForwardContext, boolean)} is the shorthand glassbox's own callers use.
 */
public final class TransformerLM extends AbstractBlock {

    private final ModelConfig config;
    private final Parameter embed;
    private final Parameter posEmbed;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final Norm finalNorm;
    private final Parameter lmHead;
    // The shorthand forward's store, one per model: it caches each Parameter's array, so edit weights in place
    // (a later setArray would not be seen by it).
    private ParameterStore store;
    private dev.glassbox.quant.Int8Matrix int8Head;
    /** The view OpenBLAS reads the output head through. */
    private final dev.glassbox.kernels.BlasLinear.Weights headWeights = new dev.glassbox.kernels.BlasLinear.Weights();

    public TransformerLM(ModelConfig cfg, Architecture arch) {
        this.config = cfg;
        embed = addParameter(Parameter.builder().setName(arch.embedName()).setType(Parameter.Type.WEIGHT).build());
        posEmbed = cfg.learnedPositions()
                ? addParameter(Parameter.builder().setName(arch.positionEmbedName()).setType(Parameter.Type.WEIGHT).build())
                : null;
        boolean inputMajor = arch.weightsStoredInputMajor();
        for (int l = 0; l < cfg.numLayers(); l++) {
            layers.add(addChildBlock("layer" + l, new DecoderLayer(cfg, arch.layer(l, cfg), l, inputMajor, arch.qkvInterleavedPerHead())));
        }
        finalNorm = addChildBlock("norm", new Norm(cfg.norm(), arch.finalNormWeight(), arch.finalNormBias(), cfg.hiddenSize(), cfg.normEps()));
        lmHead = cfg.tieWordEmbeddings()
                ? null
                : addParameter(Parameter.builder().setName(arch.lmHeadName()).setType(Parameter.Type.WEIGHT).build());
    }

    /**
     * Runs the model on {@code ids} [B, T] (int64), continuing after the positions already in the
     * context's KV cache: DJL's forward, for inference, with the model's own parameter store.
     *
     * @param allPositions logits for every position [B, T, V]; otherwise only the last [B, 1, V]
     * @return logits, which outlive this call (every intermediate is closed before it returns)
     */
    public NDArray forward(NDArray ids, ForwardContext ctx, boolean allPositions) {
        return forward(parameterStore(), new NDList(ids), false, BlockParams.of(ctx, allPositions)).singletonOrThrow();
    }

    private synchronized ParameterStore parameterStore() {
        if (store == null) {
            store = new ParameterStore(embed.getArray().getManager(), false);
        }
        return store;
    }

    private NDArray logits(ParameterStore ps, NDArray ids, ForwardContext ctx, boolean allPositions, boolean training) {
        Shape shape = ids.getShape();
        if (training || shape.dimension() != 2 || !ai.djl.Device.Type.CPU.equals(ids.getDevice().getDeviceType())
                || (shape.size() != 1 && !dev.glassbox.kernels.BlasLinear.usable(unembedding()))) {
            return logitsOf(ps, ids, ctx, allPositions, training);
        }
        // a decode step of one sequence, or a float32 prompt or batch whose products OpenBLAS
        // computes: PyTorch on one thread (see ForwardThreads)
        try (dev.glassbox.kernels.ForwardThreads step = dev.glassbox.kernels.ForwardThreads.enter()) {
            return logitsOf(ps, ids, ctx, allPositions, training);
        }
    }

    private NDArray logitsOf(ParameterStore ps, NDArray ids, ForwardContext ctx, boolean allPositions, boolean training) {
        Shape shape = ids.getShape();
        if (shape.dimension() != 2) {
            throw new GlassboxException("input ids must be [batch, positions], found " + shape);
        }
        int b = (int) shape.get(0);
        int t = (int) shape.get(1);
        if (t == 0) {
            throw new GlassboxException("the input has no tokens");
        }
        int past = ctx.pastLength();
        if (past + t > config.maxPositions()) {
            throw new GlassboxException(
                    (past + t) + " positions exceed the model's context of " + config.maxPositions() + " tokens");
        }
        long[] flatIds = checkIds(ids);
        long[][] newMask = ctx.attentionMask();
        if (newMask != null && (newMask.length != b || newMask[0].length != t)) {
            throw new GlassboxException("the attention mask is [" + newMask.length + ", " + newMask[0].length
                    + "] but the ids are [" + b + ", " + t + "]");
        }
        long[][] pastMask = ctx.cache() == null ? null : ctx.cache().slotMask();
        // A padded batch: per-row position ids and masks; otherwise positions past..past+t for every row.
        BatchPositions batch = newMask == null && pastMask == null ? null : new BatchPositions(b, past, t, pastMask, newMask);
        int reachedBefore = batch == null ? past : maxPastPosition(pastMask, past) + 1;
        int reached = batch == null ? past + t : batch.maxPosition() + 1;
        if (ctx.cache() != null && past > 0 && crossesLongrope(reachedBefore, reached) && ctx.cache().cachedIds() != null) {
            return recomputeAcrossLongrope(ps, ids, flatIds, ctx, allPositions, training);
        }
        if (ctx.cache() != null) {
            ctx.cache().recordIds(flatIds, t);
            ctx.cache().recordMask(batch == null ? null : batch.newSlots(), t);
        }
        try (NDScope scope = new NDScope()) {
            NDManager m = ids.getManager();
            NDArray x = ai.djl.nn.core.Embedding.embedding(ids, BlockParams.value(ps, embed, training), SparseFormat.DENSE).singletonOrThrow();
            if (config.embeddingScale() != 1.0) {
                x = x.mul(Constants.of((float) config.embeddingScale(), x));
            }
            x = ctx.hook(HookNames.EMBED, x);
            if (posEmbed != null) {
                NDArray p;
                if (batch == null) {
                    p = BlockParams.value(ps, posEmbed, training).get(new NDIndex("{}:{}", past, past + t)).expandDims(0);
                    p.attach(m); // a view of P: make it a temporary of this call, not of the weights
                } else {
                    p = batch.learned(m, BlockParams.value(ps, posEmbed, training));
                }
                x = x.add(ctx.hook(HookNames.POS_EMBED, p));
            }
            // One rotary table per distinct rope (Gemma 3: local and global) and one mask per window.
            Map<Rope, NDArray[]> tables = new HashMap<>();
            Map<Integer, NDArray> masks = new HashMap<>();
            DataType streamType = x.getDataType();
            for (DecoderLayer layer : layers) {
                ModelConfig.LayerSpec spec = config.layer(layer.index());
                NDArray[] cosSin = spec.rope() == null ? null : tables.computeIfAbsent(spec.rope(),
                        r -> batch == null ? rotaryTables(m, r, past, t, streamType) : batch.rotary(m, r, streamType));
                int window = spec.window() == null ? 0 : spec.window();
                NDArray mask = masks.containsKey(window) ? masks.get(window)
                        : batch == null ? causalMask(m, past, t, spec.window()) : batch.mask(m, spec.window());
                masks.put(window, mask);
                x = forwardLayer(layer, ps, x, training, BlockParams.layer(ctx, cosSin, mask), ctx.hooked());
            }
            if (ctx.cache() != null) {
                ctx.cache().advance(t);
            }
            // With left padding every row's last token is in the last slot.
            if (!allPositions && t > 1) {
                x = x.get(new NDIndex(":, -1:, :"));
            }
            NDArray h = ctx.hook(HookNames.LN_FINAL, finalNorm.forward(ps, x, training));
            NDArray logits = unembed(h, BlockParams.value(ps, lmHead == null ? embed : lmHead, training));
            if (config.finalLogitSoftcap() != null) {
                logits = softcap(ctx.hook(HookNames.LOGITS_PRE_CAP, logits));
            }
            logits = ctx.hook(HookNames.LOGITS, logits);
            NDScope.unregister(logits);
            return logits;
        }
    }

    /**
     * One layer's forward. Unhooked, its temporaries are closed as soon as it returns, so the next
     * layer's allocations reuse their memory (still in cache, and no fresh pages to fault in)
     * instead of every layer's staying alive until the forward ends. Hooks may keep any array of
     * a forward until it ends, so a hooked forward keeps them all, as before.
     */
    private static NDArray forwardLayer(DecoderLayer layer, ParameterStore ps, NDArray x, boolean training,
            PairList<String, Object> params, boolean hooked) {
        if (hooked) {
            return layer.forward(ps, x, training, params);
        }
        NDArray out;
        try (NDScope layerScope = new NDScope()) {
            out = layer.forward(ps, x, training, params);
            NDScope.unregister(out);
        }
        NDScope.register(out); // a temporary of the whole forward again
        return out;
    }

    /** The highest position id among the cached slots (−1 when there are none). */
    private static int maxPastPosition(long[][] pastMask, int past) {
        if (pastMask == null) {
            return past - 1;
        }
        int max = -1;
        for (long[] row : pastMask) {
            int real = 0;
            for (long v : row) {
                real += (int) v;
            }
            max = Math.max(max, real - 1);
        }
        return max;
    }

    /**
     * The output head, as the model's own logits: h·Eᵀ when tied, h·W_Uᵀ otherwise, divided by
     * Granite's logits_scaling, then softcapped where the model caps its logits (Gemma 2).
     */
    public NDArray project(NDArray h) {
        NDArray logits = unembed(h);
        return config.finalLogitSoftcap() == null ? logits : softcap(logits);
    }

    /** The type the weights are held in: float32, or float16 for a half-precision model. */
    public DataType dtype() {
        return embed.getArray().getDataType();
    }

    /**
     * The logits before the final softcap: h·W_Uᵀ / logits_scaling. A half-precision model
     * projects in the weights' type and returns float32 logits (transformers' logits.float()).
     */
    public NDArray unembed(NDArray h) {
        return unembed(h, unembedding());
    }

    private NDArray unembed(NDArray h, NDArray w) {
        h = Half.like(h, w);
        NDArray logits = int8Head != null && dev.glassbox.quant.DecodeRow.applies(h)
                ? dev.glassbox.quant.DecodeRow.multiply(int8Head, h, null)
                : dev.glassbox.kernels.BlasLinear.applies(h, w)
                ? dev.glassbox.kernels.BlasLinear.multiply(h, w, false, null, headWeights)
                : Half.f32(ai.djl.nn.core.Linear.linear(h, w, null).singletonOrThrow());
        return config.logitsScaling() == 1.0 ? logits : logits.div(Constants.of((float) config.logitsScaling(), logits));
    }

    /**
     * Projects single rows by {@code q} from now on (an int8 model); the unembedding parameter
     * must already hold q's dequantized values.
     */
    public void useInt8Head(dev.glassbox.quant.Int8Matrix q) {
        this.int8Head = q;
    }

    /** The int8 output head, or null when the model is not quantized. */
    public dev.glassbox.quant.Int8Matrix int8Head() {
        return int8Head;
    }

    /** c·tanh(logits / c) with c the final_logit_softcapping. */
    private NDArray softcap(NDArray logits) {
        NDArray c = Constants.of((float) (double) config.finalLogitSoftcap(), logits);
        return logits.div(c).tanh().mul(c);
    }

    private static NDArray[] rotaryTables(NDManager m, Rope rope, int past, int t, DataType streamType) {
        float[][] cs = rope.cosSin(past, t);
        Shape s = new Shape(1, t, 1, rope.rotaryDim());
        // Engine-owned copies: autograd keeps them for the backward pass (see Owned).
        // computed in float32, used in the stream's type (transformers' cos.to(x.dtype))
        NDArray cos = Half.as(Owned.copyOf(m.create(cs[0], s)), streamType);
        NDArray sin = Half.as(Owned.copyOf(m.create(cs[1], s)), streamType);
        if (t != 1 || streamType != DataType.FLOAT32) {
            return new NDArray[] {cos, sin};
        }
        // one position (a decode step): the whole rotation as one matrix, see Attention.rotate
        return new NDArray[] {cos, sin, Owned.copyOf(m.create(rotationMatrix(cs[0], cs[1]), new Shape(cs[0].length, cs[0].length)))};
    }

    /**
     * The rotation x·cos + rotate_half(x)·sin of one position as a matrix R with y = x·R:
     * R_ii = cos_i, and rotate_half's [-x₂, x₁] puts -sin_i at R_(i+h, i) for i below h = d/2 and
     * sin_i at R_(i−h, i) above. One product for each of q and k replaces seven operations.
     */
    static float[] rotationMatrix(float[] cos, float[] sin) {
        int d = cos.length;
        int h = d / 2;
        float[] r = new float[d * d];
        for (int i = 0; i < d; i++) {
            r[i * d + i] = cos[i];
            if (i < h) {
                r[(i + h) * d + i] = -sin[i];
            } else {
                r[(i - h) * d + i] = sin[i];
            }
        }
        return r;
    }

    /**
     * True when this call takes a longrope model from at most original_max_position_embeddings
     * positions past it: the cached keys were rotated with the short factors, the call's with the
     * long ones. {@code before} and {@code after} are the lengths reached (max position id + 1) before
     * and with this call; in a padded batch the longest row decides, for the whole batch, as
     * transformers picks the factors from the batch's max position id (and its Phi-3 generation
     * drops the cache when the padded batch crosses).
     */
    private boolean crossesLongrope(int before, int after) {
        for (int l = 0; l < config.numLayers(); l++) {
            Rope r = config.layer(l).rope();
            if (r != null && r.scaling().equals("longrope") && before <= r.originalMaxPositions() && after > r.originalMaxPositions()) {
                return true;
            }
        }
        return false;
    }

    /**
     * What transformers' Phi-3 generation does when it crosses the original context: drop the
     * cache and run the whole sequence again (now with the long factors everywhere); the logits
     * returned are those of this call's positions.
     */
    private NDArray recomputeAcrossLongrope(ParameterStore ps, NDArray ids, long[] flatIds, ForwardContext ctx, boolean allPositions, boolean training) {
        long[][] cached = ctx.cache().cachedIds();
        long[][] cachedMask = ctx.cache().slotMask();
        long[][] newMask = ctx.attentionMask();
        int b = cached.length;
        int past = cached[0].length;
        int t = flatIds.length / b;
        long[] all = new long[b * (past + t)];
        long[][] mask = cachedMask == null && newMask == null ? null : new long[b][past + t];
        for (int r = 0; r < b; r++) {
            System.arraycopy(cached[r], 0, all, r * (past + t), past);
            System.arraycopy(flatIds, r * t, all, r * (past + t) + past, t);
            if (mask != null) {
                java.util.Arrays.fill(mask[r], 1L);
                if (cachedMask != null) {
                    System.arraycopy(cachedMask[r], 0, mask[r], 0, past);
                }
                if (newMask != null) {
                    System.arraycopy(newMask[r], 0, mask[r], past, t);
                }
            }
        }
        ctx.cache().truncate(0);
        NDArray full = ids.getManager().create(all, new Shape(b, past + t));
        NDArray logits = logits(ps, full, new ForwardContext(ctx.cache(), ctx.hooks(), mask), allPositions, training);
        full.close();
        if (!allPositions) {
            return logits;
        }
        NDArray mine = logits.get(new NDIndex(":, {}:, :", past));
        logits.close();
        return mine;
    }

    private long[] checkIds(NDArray ids) {
        if (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32) {
            throw new GlassboxException("input ids must be integers, found " + ids.getDataType());
        }
        long[] v = ids.toType(DataType.INT64, false).toLongArray();
        for (long id : v) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new GlassboxException("token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        return v;
    }

    /**
     * Additive mask [T, S]: query i (absolute position past + i) may see key j when j ≤ past + i
     * and, with a sliding window, past + i − j < window. Null when nothing needs masking.
     */
    private static NDArray causalMask(NDManager m, int past, int t, Integer window) {
        int s = past + t;
        boolean windowBites = window != null && s > window;
        if (t == 1 && !windowBites) {
            return null;
        }
        return m.create(causalMaskValues(past, t, window), new Shape(t, s));
    }

    /**
     * Row i (position past + i) sees positions j ≤ past + i, and with a window only those with
     * past + i − j &lt; window: 0 there, −∞ elsewhere. Filled by runs, not value by value: the
     * double loop took C2 0.2 s to compile, on a core a prompt's products needed.
     */
    static float[] causalMaskValues(int past, int t, Integer window) {
        int s = past + t;
        float[] mask = new float[t * s];
        for (int i = 0; i < t; i++) {
            int qpos = past + i;
            int first = window == null ? 0 : Math.max(0, qpos - window + 1); // first visible position
            int row = i * s;
            java.util.Arrays.fill(mask, row, row + Math.min(first, s), Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(mask, row + Math.min(qpos + 1, s), row + s, Float.NEGATIVE_INFINITY);
        }
        return mask;
    }

    /** A KV cache sized for this model. */
    public KvCache newCache(NDManager parent, int batch, int capacity) {
        return new KvCache(parent, config.numLayers(), batch, config.numKvHeads(), config.headDim(), capacity, config.maxPositions());
    }

    public ModelConfig config() {
        return config;
    }

    public Parameter embed() {
        return embed;
    }

    public Parameter posEmbed() {
        return posEmbed;
    }

    public List<DecoderLayer> layers() {
        return Collections.unmodifiableList(layers);
    }

    public Norm finalNorm() {
        return finalNorm;
    }

    /** The untied output projection, or null when logits use the embedding matrix. */
    public Parameter lmHead() {
        return lmHead;
    }

    /** The unembedding matrix [V, D] (E itself when tied). */
    public NDArray unembedding() {
        return lmHead == null ? embed.getArray() : lmHead.getArray();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        if (inputs.size() == 1) {
            return new NDList(logits(ps, ids, BlockParams.context(params), BlockParams.allPositions(params), training));
        }
        KvCache cache = KvCache.wrap(inputs.subNDList(1));
        NDArray logits = logits(ps, ids, new ForwardContext(cache, null), false, training);
        NDList out = new NDList(logits);
        out.addAll(cache.toList(ids.getManager()));
        return out;
    }

    /** Initialised once the checkpoint's weights are loaded (see {@link ArrayBlock}). */
    @Override
    public boolean isInitialized() {
        return ArrayBlock.loaded(this);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        throw ArrayBlock.notLoaded(this);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
    }
}
