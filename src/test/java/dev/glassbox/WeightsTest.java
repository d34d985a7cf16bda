package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.SafetensorsFile;
import dev.glassbox.hooks.ActivationCache;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Weights}' TransformerLens-layout views, checked two independent ways: against the
 * checkpoint's raw tensors read with the safetensors reader and indexed by hand in the layout
 * each architecture stores (GPT-2's Conv1D c_attn [D, 3D], Llama's GQA k_proj [KV·d, D], Phi-3's
 * qkv_proj and gate_up_proj), and against TransformerLens's definitions on the model's own hooks:
 * q_h = ln1·W_Q(l, h) + b_Q(l, h) is head h of attn.q (k, v likewise through the kv head),
 * attn.out = Σ_h z_h·W_O(l, h) + b_O(l), mlp.pre = ln2·W_in + b_in (gated: ln2·W_gate, and
 * pre_linear = ln2·W_in), mlp.out = post·W_out + b_out.
 */
class WeightsTest {

    private static final long[] IDS = {1, 5, 9, 2, 7};

    @Test
    void gpt2ViewsAreTheConv1DColumnsOfTheFusedProjection() {
        Path dir = Reference.model("fixtures/gpt2-tiny");
        try (LanguageModel model = LanguageModel.load(dir); SafetensorsFile raw = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Weights w = model.weights();
            int d = 64;
            int dh = 16;
            float[][] cAttn = matrix(raw.get("transformer.h.1.attn.c_attn.weight")); // [in = D][out = 3D]
            float[] cAttnBias = flat(raw.get("transformer.h.1.attn.c_attn.bias"));
            float[][] cProj = matrix(raw.get("transformer.h.1.attn.c_proj.weight")); // [H·d][D]
            int h = 2;
            float[][] wq = w.W_Q(1, h);
            float[][] wv = w.W_V(1, h);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < dh; j++) {
                    assertEquals(cAttn[i][h * dh + j], wq[i][j], 0, "W_Q");
                    assertEquals(cAttn[i][2 * d + h * dh + j], wv[i][j], 0, "W_V");
                }
            }
            for (int j = 0; j < dh; j++) {
                assertEquals(cAttnBias[d + h * dh + j], w.b_K(1, h)[j], 0, "b_K");
                assertArrayEquals(cProj[h * dh + j], w.W_O(1, h)[j], 0, "W_O");
            }
            float[][] fc = matrix(raw.get("transformer.h.1.mlp.c_fc.weight")); // [D][4D]
            assertArrayEquals(fc[5], w.W_in(1)[5], 0, "W_in");
            float[][] wte = matrix(raw.get("transformer.wte.weight"));
            assertArrayEquals(wte[17], w.W_E()[17], 0, "W_E");
            assertEquals(wte[17][3], w.W_U()[3][17], 0, "W_U is W_Eᵀ when tied");
            assertArrayEquals(matrix(raw.get("transformer.wpe.weight"))[4], w.W_pos()[4], 0, "W_pos");
            RawTensor named = raw.get("transformer.h.1.mlp.c_proj.weight");
            Weights.Tensor t = w.tensor("transformer.h.1.mlp.c_proj.weight");
            assertArrayEquals(named.shape(), t.shape());
            assertArrayEquals(flat(named), t.values(), 0);
            assertThrows(GlassboxException.class, () -> w.W_gate(0));
            assertThrows(GlassboxException.class, () -> w.W_Q(0, 4));
        }
    }

    @Test
    void llamaGqaKeyViewsAreTheQueryHeadsKvHead() {
        Path dir = Reference.model("fixtures/llama-gqa");
        try (LanguageModel model = LanguageModel.load(dir); SafetensorsFile raw = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Weights w = model.weights();
            int heads = 8;
            int kvHeads = 2;
            int dh = 8;
            float[][] k = matrix(raw.get("model.layers.0.self_attn.k_proj.weight")); // [KV·d][D]
            float[][] q = matrix(raw.get("model.layers.0.self_attn.q_proj.weight"));
            for (int h = 0; h < heads; h++) {
                int kv = h / (heads / kvHeads); // query heads 0-3 read kv head 0, 4-7 kv head 1
                assertEquals(kv, w.kvHead(h));
                float[][] wk = w.W_K(0, h);
                float[][] wq = w.W_Q(0, h);
                for (int i = 0; i < 64; i++) {
                    for (int j = 0; j < dh; j++) {
                        assertEquals(k[kv * dh + j][i], wk[i][j], 0, "W_K head " + h);
                        assertEquals(q[h * dh + j][i], wq[i][j], 0, "W_Q head " + h);
                    }
                }
                assertArrayEquals(new float[dh], w.b_Q(0, h), "no bias: zeros");
            }
            float[][] gate = matrix(raw.get("model.layers.0.mlp.gate_proj.weight")); // [I][D]
            assertEquals(gate[100][7], w.W_gate(0)[7][100], 0, "W_gate");
        }
    }

    @Test
    void phi3SplitsTheFusedQkvAndGateUp() {
        Path dir = Reference.model("fixtures/phi3-tiny");
        try (LanguageModel model = LanguageModel.load(dir); SafetensorsFile raw = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Weights w = model.weights();
            float[][] qkv = matrix(raw.get("model.layers.0.self_attn.qkv_proj.weight")); // [(H + 2KV)·d][D], q|k|v
            float[][] gateUp = matrix(raw.get("model.layers.0.mlp.gate_up_proj.weight")); // [2I][D], gate then up
            int dh = 16;
            for (int j = 0; j < dh; j++) {
                assertEquals(qkv[64 + 3 * dh + j][9], w.W_K(0, 3)[9][j], 0, "W_K from the k block");
                assertEquals(qkv[128 + j][9], w.W_V(0, 0)[9][j], 0, "W_V from the v block");
            }
            assertEquals(gateUp[3][11], w.W_gate(0)[11][3], 0, "W_gate: the first half");
            assertEquals(gateUp[128 + 3][11], w.W_in(0)[11][3], 0, "W_in: the second half");
        }
    }

    /** TransformerLens's definitions, on the model's own hooks, for every fusing and layout. */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "fixtures/llama-gqa", "fixtures/phi3-tiny", "glassbox-fixtures/gptneox-tiny"})
    void viewsReproduceTheHookedProjections(String name) {
        try (LanguageModel model = LanguageModel.load(Reference.model(name))) {
            Weights w = model.weights();
            int heads = model.config().numHeads();
            int kvHeads = model.config().numKvHeads();
            int dh = model.config().headDim();
            int d = model.config().hiddenSize();
            int t = IDS.length;
            String p = "blocks.1.";
            try (ActivationCache c = model.runWithCache(IDS, p + "ln1", p + "attn.q", p + "attn.k", p + "attn.v", p + "attn.z",
                    p + "attn.out", p + "ln2", p + "mlp.pre", p + "mlp.pre_linear", p + "mlp.post", p + "mlp.out")) {
                float[] ln1 = c.floats(p + "ln1");
                for (int h = 0; h < heads; h++) {
                    int kv = h / (heads / kvHeads);
                    checkHead(c.floats(p + "attn.q"), heads, h, ln1, w.W_Q(1, h), w.b_Q(1, h), t, d, dh, "q");
                    checkHead(c.floats(p + "attn.k"), kvHeads, kv, ln1, w.W_K(1, h), w.b_K(1, h), t, d, dh, "k");
                    checkHead(c.floats(p + "attn.v"), kvHeads, kv, ln1, w.W_V(1, h), w.b_V(1, h), t, d, dh, "v");
                }
                float[] z = c.floats(p + "attn.z"); // [T, H, d]
                float[] out = c.floats(p + "attn.out");
                float[] bO = w.b_O(1);
                for (int pos = 0; pos < t; pos++) {
                    for (int o = 0; o < d; o++) {
                        double sum = bO[o];
                        for (int h = 0; h < heads; h++) {
                            float[][] wo = w.W_O(1, h);
                            for (int j = 0; j < dh; j++) {
                                sum += (double) z[(pos * heads + h) * dh + j] * wo[j][o];
                            }
                        }
                        assertEquals(sum, out[pos * d + o], 1e-4, name + " attn.out");
                    }
                }
                float[] ln2 = c.floats(p + "ln2");
                boolean gated = model.block().layers().get(1).mlp().gated();
                float[][] first = gated ? w.W_gate(1) : w.W_in(1);
                float[] firstBias = gated ? new float[first[0].length] : w.b_in(1);
                checkProduct(c.floats(p + "mlp.pre"), ln2, first, firstBias, t, name + " mlp.pre");
                if (gated) {
                    checkProduct(c.floats(p + "mlp.pre_linear"), ln2, w.W_in(1), w.b_in(1), t, name + " mlp.pre_linear");
                }
                checkProduct(c.floats(p + "mlp.out"), c.floats(p + "mlp.post"), w.W_out(1), w.b_out(1), t, name + " mlp.out");
            }
        }
    }

    /** hooked[pos, head, :] = x[pos]·W + b, with hooked laid out [T, n, d_head]. */
    private static void checkHead(float[] hooked, int n, int head, float[] x, float[][] wm, float[] b, int t, int d, int dh, String what) {
        for (int pos = 0; pos < t; pos++) {
            for (int j = 0; j < dh; j++) {
                double sum = b[j];
                for (int i = 0; i < d; i++) {
                    sum += (double) x[pos * d + i] * wm[i][j];
                }
                assertEquals(sum, hooked[(pos * n + head) * dh + j], 1e-4, what + " head " + head + " pos " + pos);
            }
        }
    }

    /** y[pos] = x[pos]·W + b for every position. */
    private static void checkProduct(float[] y, float[] x, float[][] wm, float[] b, int t, String what) {
        int in = wm.length;
        int out = wm[0].length;
        for (int pos = 0; pos < t; pos++) {
            for (int o = 0; o < out; o++) {
                double sum = b[o];
                for (int i = 0; i < in; i++) {
                    sum += (double) x[pos * in + i] * wm[i][o];
                }
                assertEquals(sum, y[pos * out + o], 1e-4, what + " pos " + pos + " out " + o);
            }
        }
    }

    private static float[] flat(RawTensor r) {
        assertEquals(DType.F32, r.dtype());
        FloatBuffer fb = r.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        return v;
    }

    private static float[][] matrix(RawTensor r) {
        float[] v = flat(r);
        int rows = (int) r.shape()[0];
        int cols = (int) r.shape()[1];
        float[][] m = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(v, i * cols, m[i], 0, cols);
        }
        return m;
    }
}
