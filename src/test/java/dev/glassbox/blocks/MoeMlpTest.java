package dev.glassbox.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.arch.MoeConfig;
import dev.glassbox.hooks.ActivationCache;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mixture of experts against a hand computation written out here in doubles: router softmax,
 * top k, optional renormalisation, SwiGLU experts, the sigmoid-gated shared expert.
 */
class MoeMlpTest {

    static final int D = 6;
    static final int B = 2;
    static final int T = 4;

    @ParameterizedTest(name = "{0}: {2} of {1} experts, renormalised {3}, shared width {4}")
    @CsvSource({
        "mixtral, 4, 2, true, 0",
        "mixtral, 3, 1, true, 0",
        "mixtral, 4, 4, true, 0",
        "qwen2_moe, 4, 2, false, 5",
        "qwen2_moe, 5, 3, true, 5",
        "qwen2_moe, 4, 2, true, 0",
        "qwen2_moe, 3, 1, false, 7",
    })
    void matchesTheHandComputation(String type, int experts, int k, boolean norm, int sharedWidth) {
        int width = 4;
        ModelConfig cfg = config(type, experts, k, norm, width, sharedWidth);
        MoeConfig moeCfg = MoeConfig.of(cfg);
        assertEquals(experts, moeCfg.numExperts());
        assertEquals(k, moeCfg.topK());
        assertEquals(norm, moeCfg.normTopK());
        try (NDManager m = NDManager.newBaseManager()) {
            MoeMlp moe = new MoeMlp(cfg, moeCfg, 0, false);
            Map<String, float[]> w = randomWeights(moe, m, new Random(7 + experts * 10 + k));
            assertEquals(sharedWidth > 0, moe.sharedExpert() != null);
            float[] x = new float[B * T * D];
            Random r = new Random(3);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            NDArray in = m.create(x, new Shape(B, T, D));
            ParameterStore ps = new ParameterStore(m, false);
            float[] plain = moe.forward(ps, in, false).toFloatArray();
            float[] hooked;
            try (ActivationCache cache = new ActivationCache(m)) {
                hooked = moe.forward(ps, in, false, BlockParams.of(new ForwardContext(null, cache), true)).toFloatArray();
                for (int row = 0; row < B * T; row++) {
                    float[] xr = Arrays.copyOfRange(x, row * D, (row + 1) * D);
                    Routing route = route(w, type, experts, k, norm, xr);
                    double[] expected = expected(w, route, experts, sharedWidth > 0, xr);
                    for (int o = 0; o < D; o++) {
                        assertEquals(expected[o], plain[row * D + o], 1e-5, "plain row " + row + " dim " + o);
                        assertEquals(expected[o], hooked[row * D + o], 1e-5, "hooked row " + row + " dim " + o);
                    }
                    float[] ids = Arrays.copyOfRange(cache.floats("blocks.0.mlp.expert_ids"), row * k, (row + 1) * k);
                    float[] weights = Arrays.copyOfRange(cache.floats("blocks.0.mlp.expert_weights"), row * k, (row + 1) * k);
                    for (int j = 0; j < k; j++) {
                        assertEquals(route.ids[j], (int) ids[j], "row " + row + " choice " + j);
                        assertEquals(route.weights[j], weights[j], 1e-6, "row " + row + " weight " + j);
                    }
                    // each expert's output is its weighted share, zero where it was not chosen
                    double[] sum = new double[D];
                    for (int e = 0; e < experts; e++) {
                        float[] out = Arrays.copyOfRange(cache.floats("blocks.0.mlp.experts." + e + ".out"), row * D, (row + 1) * D);
                        double we = 0;
                        for (int j = 0; j < k; j++) {
                            we += route.ids[j] == e ? route.weights[j] : 0;
                        }
                        double[] y = expert(w, "e" + e, xr);
                        for (int o = 0; o < D; o++) {
                            assertEquals(we * y[o], out[o], 1e-5, "expert " + e + " row " + row);
                            sum[o] += out[o];
                        }
                    }
                    if (sharedWidth > 0) {
                        float[] s = Arrays.copyOfRange(cache.floats("blocks.0.mlp.shared_expert.out"), row * D, (row + 1) * D);
                        for (int o = 0; o < D; o++) {
                            sum[o] += s[o];
                        }
                    } else {
                        assertEquals(false, cache.has("blocks.0.mlp.shared_expert.out"));
                    }
                    for (int o = 0; o < D; o++) {
                        assertEquals(expected[o], sum[o], 1e-5, "experts' outputs sum to the output, row " + row);
                    }
                }
                assertEquals(java.util.Set.copyOf(MoeMlp.hookNames(0, moeCfg)), cache.names());
            }
        }
    }

    @Test
    void qwen2MoeLayersFollowMlpOnlyLayersAndSparseStep() {
        ObjectNode c = base("qwen2_moe", 6);
        c.put("num_experts", 4).put("num_experts_per_tok", 2).put("moe_intermediate_size", 4)
                .put("shared_expert_intermediate_size", 5).put("intermediate_size", 8).put("decoder_sparse_step", 2);
        c.putArray("mlp_only_layers").add(3);
        MoeConfig moe = MoeConfig.of(parse(c));
        boolean[] sparse = new boolean[6];
        for (int i = 0; i < 6; i++) {
            sparse[i] = moe.isSparse(i);
        }
        // (i + 1) % 2 == 0 gives 1, 3, 5; layer 3 is listed as dense
        assertEquals("[false, true, false, false, false, true]", Arrays.toString(sparse));
        DecoderLayer dense = new DecoderLayer(parse(c), names(c, 0), 0, false, false);
        assertNotNull(dense.mlp());
        assertNull(dense.moe());
        assertEquals(8, dense.mlp().width());
        DecoderLayer sparseLayer = new DecoderLayer(parse(c), names(c, 1), 1, false, false);
        assertNull(sparseLayer.mlp());
        assertEquals(4, sparseLayer.moe().experts().get(0).width());
        assertEquals(5, sparseLayer.moe().sharedExpert().width());
        assertEquals("model.layers.1.mlp.experts.3.down_proj.weight", sparseLayer.moe().experts().get(3).down().weight().getName());
        assertEquals("model.layers.1.mlp.shared_expert_gate.weight", sparseLayer.moe().sharedExpertGate().weight().getName());
    }

    @Test
    void mixtralUsesTheHubNamesAndItsSlidingWindow() {
        ObjectNode c = base("mixtral", 2);
        c.put("num_local_experts", 3).put("num_experts_per_tok", 2).put("intermediate_size", 4).put("sliding_window", 5);
        ModelConfig cfg = parse(c);
        assertEquals(5, cfg.slidingWindow());
        MoeMlp moe = new DecoderLayer(cfg, names(c, 1), 1, false, false).moe();
        assertEquals("model.layers.1.block_sparse_moe.gate.weight", moe.router().weight().getName());
        assertEquals("model.layers.1.block_sparse_moe.experts.2.w1.weight", moe.experts().get(2).gate().weight().getName());
        assertEquals("model.layers.1.block_sparse_moe.experts.2.w3.weight", moe.experts().get(2).up().weight().getName());
        assertEquals("model.layers.1.block_sparse_moe.experts.2.w2.weight", moe.experts().get(2).down().weight().getName());
        assertNull(moe.sharedExpert());
    }

    @Test
    void badMixturesAreRefusedNamingTheKey() {
        ObjectNode c = base("mixtral", 1);
        c.put("num_local_experts", 2).put("num_experts_per_tok", 3).put("intermediate_size", 4);
        GlassboxException e = assertThrows(GlassboxException.class, () -> parse(c));
        assertEquals("test.json: num_experts_per_tok 3 exceeds the 2 experts a layer has", e.getMessage());
        ObjectNode q = base("qwen2_moe", 1);
        q.put("num_experts", 4).put("intermediate_size", 8).put("decoder_sparse_step", 0);
        e = assertThrows(GlassboxException.class, () -> parse(q));
        assertEquals("test.json: 'decoder_sparse_step' must be at least 1, found 0", e.getMessage());
    }

    // ---- the hand computation ---------------------------------------------------------------

    record Routing(int[] ids, double[] weights) {}

    static Routing route(Map<String, float[]> w, String type, int experts, int k, boolean norm, float[] x) {
        float[] router = w.get("router");
        double[] p = new double[experts];
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < D; i++) {
                p[e] += (double) router[e * D + i] * x[i];
            }
            max = Math.max(max, p[e]);
        }
        double z = 0;
        for (int e = 0; e < experts; e++) {
            p[e] = Math.exp(p[e] - max);
            z += p[e];
        }
        Integer[] order = new Integer[experts];
        for (int e = 0; e < experts; e++) {
            p[e] /= z;
            order[e] = e;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int[] ids = new int[k];
        double[] weights = new double[k];
        double sum = 0;
        for (int j = 0; j < k; j++) {
            ids[j] = order[j];
            weights[j] = p[order[j]];
            sum += weights[j];
        }
        if (norm) {
            for (int j = 0; j < k; j++) {
                weights[j] /= sum;
            }
        }
        return new Routing(ids, weights);
    }

    static double[] expected(Map<String, float[]> w, Routing r, int experts, boolean shared, float[] x) {
        double[] out = new double[D];
        for (int j = 0; j < r.ids.length; j++) {
            double[] y = expert(w, "e" + r.ids[j], x);
            for (int o = 0; o < D; o++) {
                out[o] += r.weights[j] * y[o];
            }
        }
        if (shared) {
            double g = 0;
            float[] gw = w.get("shared_gate");
            for (int i = 0; i < D; i++) {
                g += (double) gw[i] * x[i];
            }
            g = 1 / (1 + Math.exp(-g));
            double[] y = expert(w, "shared", x);
            for (int o = 0; o < D; o++) {
                out[o] += g * y[o];
            }
        }
        return out;
    }

    /** down(silu(gate·x) ⊙ up·x). */
    static double[] expert(Map<String, float[]> w, String name, float[] x) {
        float[] g = w.get(name + ".gate");
        float[] u = w.get(name + ".up");
        float[] dn = w.get(name + ".down");
        int width = g.length / D;
        double[] h = new double[width];
        for (int i = 0; i < width; i++) {
            double a = 0;
            double b = 0;
            for (int j = 0; j < D; j++) {
                a += (double) g[i * D + j] * x[j];
                b += (double) u[i * D + j] * x[j];
            }
            h[i] = a / (1 + Math.exp(-a)) * b;
        }
        double[] out = new double[D];
        for (int o = 0; o < D; o++) {
            for (int i = 0; i < width; i++) {
                out[o] += (double) dn[o * width + i] * h[i];
            }
        }
        return out;
    }

    // ---- building the block -----------------------------------------------------------------

    static Map<String, float[]> randomWeights(MoeMlp moe, NDManager m, Random r) {
        Map<String, float[]> w = new HashMap<>();
        put(w, "router", moe.router(), m, r, 1.0);
        for (int e = 0; e < moe.numExperts(); e++) {
            Mlp x = moe.experts().get(e);
            put(w, "e" + e + ".gate", x.gate(), m, r, 0.5);
            put(w, "e" + e + ".up", x.up(), m, r, 0.5);
            put(w, "e" + e + ".down", x.down(), m, r, 0.5);
        }
        if (moe.sharedExpert() != null) {
            put(w, "shared.gate", moe.sharedExpert().gate(), m, r, 0.5);
            put(w, "shared.up", moe.sharedExpert().up(), m, r, 0.5);
            put(w, "shared.down", moe.sharedExpert().down(), m, r, 0.5);
            put(w, "shared_gate", moe.sharedExpertGate(), m, r, 0.5);
        }
        return w;
    }

    static void put(Map<String, float[]> w, String key, Linear l, NDManager m, Random r, double scale) {
        Shape s = l.storedWeightShape();
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (scale * r.nextGaussian());
        }
        l.weight().setArray(m.create(v, s));
        w.put(key, v);
    }

    static ObjectNode base(String type, int layers) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", type).put("vocab_size", 16).put("hidden_size", D).put("num_hidden_layers", layers)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("max_position_embeddings", 32);
        return c;
    }

    static ModelConfig config(String type, int experts, int k, boolean norm, int width, int sharedWidth) {
        ObjectNode c = base(type, 1);
        c.put("num_experts_per_tok", k);
        if (type.equals("mixtral")) {
            c.put("num_local_experts", experts).put("intermediate_size", width);
        } else {
            c.put("num_experts", experts).put("norm_topk_prob", norm).put("moe_intermediate_size", width)
                    .put("shared_expert_intermediate_size", sharedWidth).put("intermediate_size", 8);
        }
        return parse(c);
    }

    static ModelConfig parse(JsonNode c) {
        return Architecture.forModelType(c.get("model_type").asText(), "test.json").parseConfig(c, "test.json");
    }

    static dev.glassbox.arch.LayerNames names(JsonNode c, int layer) {
        return Architecture.forModelType(c.get("model_type").asText(), "test.json").layer(layer, parse(c));
    }
}
