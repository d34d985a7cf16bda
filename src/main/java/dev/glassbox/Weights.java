package dev.glassbox;

import ai.djl.nn.Parameter;
import dev.glassbox.blocks.Attention;
import dev.glassbox.blocks.DecoderLayer;
import dev.glassbox.blocks.Half;
import dev.glassbox.blocks.Linear;
import dev.glassbox.blocks.Mlp;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.WeightLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loaded model's weights as plain Java arrays (nothing to close): by checkpoint name
 * ({@link #tensor}), and per layer and head in TransformerLens's names and layouts, where
 * activations multiply from the left ({@code q = x·W_Q + b_Q}):
 *
 * <pre>
 * W_E [d_vocab][d_model]     W_pos [n_ctx][d_model]          W_U [d_model][d_vocab]
 * W_Q(l, h), W_K(l, h), W_V(l, h) [d_model][d_head]       b_Q/b_K/b_V(l, h) [d_head]
 * W_O(l, h) [d_head][d_model]                             b_O(l) [d_model]
 * W_in(l), W_gate(l) [d_model][d_mlp]   W_out(l) [d_mlp][d_model]   b_in(l) [d_mlp], b_out(l) [d_model]
 * </pre>
 *
 * Here x is the attention's (or MLP's) normalised input, the {@code blocks.L.ln1} ({@code ln2})
 * hook, and q is head h of the {@code blocks.L.attn.q} hook before any q-norm and rotary. Unlike
 * TransformerLens's default {@code from_pretrained}, nothing is folded or centred: these are the
 * checkpoint's values (TransformerLens's {@code from_pretrained_no_processing}). Fused projections
 * (GPT-2's {@code c_attn}, Phi-3's {@code qkv_proj} and {@code gate_up_proj}, GPT-NeoX's per-head
 * {@code query_key_value}) are split, and GPT-2's Conv1D [in, out] layout is handled.
 *
 * <p>Grouped-query attention: W_K(l, h), W_V(l, h) and their biases take a <em>query</em> head h and
 * return the key/value head it reads, h / (n_heads / n_kv_heads) (transformers' repeat_kv), as
 * TransformerLens's W_K does for GQA models. A missing bias is zeros, as in TransformerLens. On a
 * mixture-of-experts layer the MLP views throw; read the experts by name.
 */
public final class Weights {

    /** One tensor by its checkpoint name: its shape and row-major values in float32. */
    public record Tensor(String name, long[] shape, float[] values) {}

    private final TransformerLM model;
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final Map<String, float[]> values = new ConcurrentHashMap<>();
    private final boolean perHeadQkv;

    /** @param perHeadQkv the fused qkv projection is laid out per head (GPT-NeoX) */
    Weights(TransformerLM model, boolean perHeadQkv) {
        this.model = model;
        this.perHeadQkv = perHeadQkv;
        for (WeightLoader.Slot s : WeightLoader.slots(model)) {
            byName.put(s.parameter().getName(), s.parameter());
        }
    }

    /** The checkpoint names of every weight the model holds. */
    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(byName.keySet());
    }

    /** The tensor stored under {@code name} in the checkpoint, with the checkpoint's shape. */
    public Tensor tensor(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new GlassboxException("no weight named '" + name + "' in this model (see Weights.names())");
        }
        return new Tensor(name, p.getArray().getShape().getShape(), floats(p));
    }

    private float[] floats(Parameter p) {
        return values.computeIfAbsent(p.getName(), n -> Half.floats(p.getArray()));
    }

    // ---- embeddings --------------------------------------------------------------------------

    /** The token embedding [d_vocab][d_model]. */
    public float[][] W_E() {
        return rows(floats(model.embed()), model.config().vocabSize(), model.config().hiddenSize());
    }

    /** The learned position embedding [n_ctx][d_model]; an error for rotary models, which have none. */
    public float[][] W_pos() {
        if (model.posEmbed() == null) {
            throw new GlassboxException("this model has no learned position embedding (its positions are rotary)");
        }
        return rows(floats(model.posEmbed()), model.config().maxPositions(), model.config().hiddenSize());
    }

    /** The unembedding [d_model][d_vocab] (W_Eᵀ when tied). */
    public float[][] W_U() {
        Parameter u = model.lmHead() == null ? model.embed() : model.lmHead();
        return transpose(rows(floats(u), model.config().vocabSize(), model.config().hiddenSize()));
    }

    // ---- attention ---------------------------------------------------------------------------

    /** Head h's query weights [d_model][d_head]. */
    public float[][] W_Q(int layer, int head) {
        return transpose(projectionRows(layer, 0, checkHead(head)));
    }

    /** The key weights [d_model][d_head] that query head h reads (its kv head under GQA). */
    public float[][] W_K(int layer, int head) {
        return transpose(projectionRows(layer, 1, kvHead(head)));
    }

    /** The value weights [d_model][d_head] that query head h reads (its kv head under GQA). */
    public float[][] W_V(int layer, int head) {
        return transpose(projectionRows(layer, 2, kvHead(head)));
    }

    /** Head h's query bias [d_head] (zeros when the model has none). */
    public float[] b_Q(int layer, int head) {
        return projectionBias(layer, 0, checkHead(head));
    }

    /** The key bias [d_head] of query head h's kv head. */
    public float[] b_K(int layer, int head) {
        return projectionBias(layer, 1, kvHead(head));
    }

    /** The value bias [d_head] of query head h's kv head. */
    public float[] b_V(int layer, int head) {
        return projectionBias(layer, 2, kvHead(head));
    }

    /** Head h's output weights [d_head][d_model]: its rows of W_O. */
    public float[][] W_O(int layer, int head) {
        checkHead(head);
        int dh = model.config().headDim();
        float[][] all = transpose(outIn(attention(layer).o())); // [H·d_head][d_model]
        float[][] mine = new float[dh][];
        System.arraycopy(all, head * dh, mine, 0, dh);
        return mine;
    }

    /** The attention output bias [d_model] (zeros when the model has none). */
    public float[] b_O(int layer) {
        return biasOrZeros(attention(layer).o());
    }

    // ---- MLP ---------------------------------------------------------------------------------

    /** The MLP's input weights [d_model][d_mlp] (GPT-2's c_fc; up_proj in a gated MLP). */
    public float[][] W_in(int layer) {
        Mlp m = mlp(layer);
        return transpose(m.gateUp() != null ? half(outIn(m.gateUp()), 1) : outIn(m.up()));
    }

    /** The gate weights [d_model][d_mlp] of a gated MLP (gate_proj); an error for an ungated one. */
    public float[][] W_gate(int layer) {
        Mlp m = mlp(layer);
        if (!m.gated()) {
            throw new GlassboxException("layer " + layer + "'s MLP has no gate");
        }
        return transpose(m.gateUp() != null ? half(outIn(m.gateUp()), 0) : outIn(m.gate()));
    }

    /** The MLP's output weights [d_mlp][d_model]. */
    public float[][] W_out(int layer) {
        return transpose(outIn(mlp(layer).down()));
    }

    /** The MLP's input bias [d_mlp] (zeros when none). */
    public float[] b_in(int layer) {
        Mlp m = mlp(layer);
        return m.gateUp() != null ? new float[m.width()] : biasOrZeros(m.up());
    }

    /** The MLP's output bias [d_model] (zeros when none). */
    public float[] b_out(int layer) {
        return biasOrZeros(mlp(layer).down());
    }

    // ---- layouts -----------------------------------------------------------------------------

    /**
     * The rows (output features) of q (part 0), k (1) or v (2) for one head of a layer, in W's
     * [out][in] layout, whichever way the checkpoint stores and fuses them.
     */
    private float[][] projectionRows(int layer, int part, int head) {
        Attention a = attention(layer);
        int dh = a.headDim();
        if (a.qkv() == null) {
            float[][] w = outIn(part == 0 ? a.q() : part == 1 ? a.k() : a.v());
            return slice(w, head * dh, dh);
        }
        return slice(outIn(a.qkv()), fusedOffset(a, part, head), dh);
    }

    private float[] projectionBias(int layer, int part, int head) {
        Attention a = attention(layer);
        int dh = a.headDim();
        Linear l = a.qkv() != null ? a.qkv() : part == 0 ? a.q() : part == 1 ? a.k() : a.v();
        if (l.bias() == null) {
            return new float[dh];
        }
        int from = a.qkv() != null ? fusedOffset(a, part, head) : head * dh;
        return java.util.Arrays.copyOfRange(floats(l.bias()), from, from + dh);
    }

    /** Where a head's q, k or v rows start in a fused projection: [q|k|v][head][d], or per head [head][q|k|v][d] (GPT-NeoX). */
    private int fusedOffset(Attention a, int part, int head) {
        int dh = a.headDim();
        if (perHeadQkv) {
            return head * 3 * dh + part * dh;
        }
        int q = a.heads() * dh;
        int kv = a.kvHeads() * dh;
        return part == 0 ? head * dh : part == 1 ? q + head * dh : q + kv + head * dh;
    }

    /** W of {@code l} as [out][in], the PyTorch layout (a Conv1D's [in][out] transposed). */
    private float[][] outIn(Linear l) {
        long[] s = l.storedWeightShape().getShape();
        float[][] w = rows(floats(l.weight()), (int) s[0], (int) s[1]);
        return l.inputMajor() ? transpose(w) : w;
    }

    private float[] biasOrZeros(Linear l) {
        return l.bias() == null ? new float[l.outFeatures()] : floats(l.bias()).clone();
    }

    private Attention attention(int layer) {
        return layer(layer).attention();
    }

    private Mlp mlp(int layer) {
        DecoderLayer d = layer(layer);
        if (d.mlp() == null) {
            throw new GlassboxException("layer " + layer + "'s MLP is a mixture of experts; read its experts with tensor(name)");
        }
        return d.mlp();
    }

    private DecoderLayer layer(int layer) {
        int n = model.config().numLayers();
        if (layer < 0 || layer >= n) {
            throw new GlassboxException("layer " + layer + " is outside [0, " + n + ")");
        }
        return model.layers().get(layer);
    }

    private int checkHead(int head) {
        int n = model.config().numHeads();
        if (head < 0 || head >= n) {
            throw new GlassboxException("head " + head + " is outside [0, " + n + ")");
        }
        return head;
    }

    /** The kv head that query head {@code head} reads: h / (n_heads / n_kv_heads). */
    public int kvHead(int head) {
        checkHead(head);
        return head / (model.config().numHeads() / model.config().numKvHeads());
    }

    private static float[][] rows(float[] flat, int r, int c) {
        float[][] out = new float[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }

    private static float[][] slice(float[][] w, int from, int count) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = w[from + i].clone();
        }
        return out;
    }

    /** The first (0) or second (1) half of the rows: Phi-3's gate_up_proj stores gate, then up. */
    private static float[][] half(float[][] w, int which) {
        return slice(w, which * w.length / 2, w.length / 2);
    }

    private static float[][] transpose(float[][] w) {
        float[][] t = new float[w[0].length][w.length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < w[i].length; j++) {
                t[j][i] = w[i][j];
            }
        }
        return t;
    }
}
