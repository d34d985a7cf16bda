package dev.glassbox.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SAE encode/decode against SAELens's formulas computed here in plain doubles; save and reload; hook names. */
class SparseAutoencoderTest {

    static final int D = 8;
    static final int N = 16;
    static final int T = 5;

    /** Random weights and input, kept as Java arrays for the independent computation. */
    record Weights(float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, float[] threshold, float[] x) {
        static Weights random(long seed) {
            Random r = new Random(seed);
            return new Weights(g(r, D * N, 0.5), g(r, N, 0.3), g(r, N * D, 0.5), g(r, D, 0.3), u(r, N, 0.4), g(r, T * D, 1.5));
        }

        static float[] g(Random r, int n, double s) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) (r.nextGaussian() * s);
            }
            return a;
        }

        static float[] u(Random r, int n, double s) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) (r.nextDouble() * s);
            }
            return a;
        }
    }

    static SaeConfig cfg(SaeConfig.Architecture a, boolean bDecIn, String norm) {
        return new SaeConfig(D, N, "blocks.1.hook_resid_post", a, a == SaeConfig.Architecture.TOPK ? 4 : 0, bDecIn, norm, "m", 64, "c");
    }

    /** SAELens's encode and decode for one token, in doubles: {f…, x̂…}. */
    static double[][] reference(SaeConfig c, Weights w, int t) {
        double[] x = new double[D];
        for (int j = 0; j < D; j++) {
            x[j] = w.x()[t * D + j];
        }
        double coeff = 1;
        double mu = 0;
        double std = 1;
        if (c.normalizeActivations().equals("constant_norm_rescale")) {
            double norm = 0;
            for (double v : x) {
                norm += v * v;
            }
            coeff = Math.sqrt(D) / Math.sqrt(norm);
            for (int j = 0; j < D; j++) {
                x[j] *= coeff;
            }
        } else if (c.normalizeActivations().equals("layer_norm")) {
            for (double v : x) {
                mu += v / D;
            }
            double ss = 0;
            for (double v : x) {
                ss += (v - mu) * (v - mu);
            }
            std = Math.sqrt(ss / (D - 1));
            for (int j = 0; j < D; j++) {
                x[j] = (x[j] - mu) / (std + 1e-5);
            }
        }
        double[] pre = new double[N];
        for (int i = 0; i < N; i++) {
            double s = w.bEnc()[i];
            for (int j = 0; j < D; j++) {
                s += (x[j] - (c.applyBDecToInput() ? w.bDec()[j] : 0)) * w.wEnc()[j * N + i];
            }
            pre[i] = s;
        }
        double[] f = new double[N];
        for (int i = 0; i < N; i++) {
            double relu = Math.max(0, pre[i]);
            switch (c.architecture()) {
                case STANDARD -> f[i] = relu;
                case JUMPRELU -> f[i] = pre[i] > w.threshold()[i] ? relu : 0;
                case TOPK -> {
                    int larger = 0;
                    for (int k = 0; k < N; k++) {
                        larger += pre[k] > pre[i] ? 1 : 0;
                    }
                    f[i] = larger < c.k() ? relu : 0;
                }
            }
        }
        double[] out = new double[D];
        for (int j = 0; j < D; j++) {
            double s = w.bDec()[j];
            for (int i = 0; i < N; i++) {
                s += f[i] * w.wDec()[i * D + j];
            }
            out[j] = c.normalizeActivations().equals("constant_norm_rescale") ? s / coeff
                    : c.normalizeActivations().equals("layer_norm") ? s * std + mu : s;
        }
        return new double[][] {f, out};
    }

    static void check(SaeConfig c, long seed) {
        Engines.init();
        Weights w = Weights.random(seed);
        try (NDManager m = NDManager.newBaseManager("PyTorch");
                SparseAutoencoder sae = SparseAutoencoder.of(c, m, w.wEnc(), w.bEnc(), w.wDec(), w.bDec(),
                        c.architecture() == SaeConfig.Architecture.JUMPRELU ? w.threshold() : null)) {
            NDArray x = m.create(w.x(), new Shape(1, T, D));
            float[] f = sae.encode(x).toFloatArray();
            float[] r = sae.reconstruct(x).toFloatArray();
            int active = 0;
            for (int t = 0; t < T; t++) {
                double[][] ref = reference(c, w, t);
                for (int i = 0; i < N; i++) {
                    assertEquals(ref[0][i], f[t * N + i], 1e-5, c.architecture() + " f[" + t + "][" + i + "]");
                    active += ref[0][i] > 0 ? 1 : 0;
                }
                for (int j = 0; j < D; j++) {
                    assertEquals(ref[1][j], r[t * D + j], 1e-4, c.normalizeActivations() + " x̂[" + t + "][" + j + "]");
                }
            }
            assertTrue(active > 0 && active < T * N, "some but not all features active: " + active);
        }
    }

    @Test
    void standardMatchesTheFormula() {
        check(cfg(SaeConfig.Architecture.STANDARD, true, "none"), 1);
        check(cfg(SaeConfig.Architecture.STANDARD, false, "none"), 2);
    }

    @Test
    void jumpReluMatchesTheFormula() {
        check(cfg(SaeConfig.Architecture.JUMPRELU, true, "none"), 3);
    }

    @Test
    void topKMatchesTheFormula() {
        check(cfg(SaeConfig.Architecture.TOPK, true, "none"), 4);
    }

    @Test
    void normalisationsMatchSaeLens() {
        check(cfg(SaeConfig.Architecture.STANDARD, true, "constant_norm_rescale"), 5);
        check(cfg(SaeConfig.Architecture.TOPK, true, "layer_norm"), 6);
    }

    @Test
    void savedSaeReloadsIdentically(@TempDir Path dir) throws Exception {
        Engines.init();
        Weights w = Weights.random(9);
        SaeConfig c = cfg(SaeConfig.Architecture.JUMPRELU, true, "none");
        try (NDManager m = NDManager.newBaseManager("PyTorch");
                SparseAutoencoder sae = SparseAutoencoder.of(c, m, w.wEnc(), w.bEnc(), w.wDec(), w.bDec(), w.threshold())) {
            sae.save(dir, null);
            try (SparseAutoencoder back = SparseAutoencoder.load(dir, m)) {
                assertEquals(c, back.config());
                assertArrayEquals(w.wEnc(), back.wEnc.toFloatArray());
                assertArrayEquals(w.bEnc(), back.bEnc.toFloatArray());
                assertArrayEquals(w.wDec(), back.wDec.toFloatArray());
                assertArrayEquals(w.bDec(), back.bDec.toFloatArray());
                assertArrayEquals(w.threshold(), back.threshold.toFloatArray());
            }
        }
        // SAELens's layout: tensor names and shapes, and the cfg.json fields it reads.
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("sae_weights.safetensors"))) {
            assertArrayEquals(new long[] {D, N}, st.entries().get("W_enc").shape());
            assertArrayEquals(new long[] {N}, st.entries().get("b_enc").shape());
            assertArrayEquals(new long[] {N, D}, st.entries().get("W_dec").shape());
            assertArrayEquals(new long[] {D}, st.entries().get("b_dec").shape());
            assertArrayEquals(new long[] {N}, st.entries().get("threshold").shape());
        }
        JsonNode j = new ObjectMapper().readTree(Files.readString(dir.resolve("cfg.json")));
        assertEquals("jumprelu", j.get("architecture").asText());
        assertEquals(D, j.get("d_in").asInt());
        assertEquals(N, j.get("d_sae").asInt());
        assertEquals("blocks.1.hook_resid_post", j.get("hook_name").asText());
        assertEquals(1, j.get("hook_layer").asInt());
        assertEquals("none", j.get("normalize_activations").asText());
        assertTrue(j.get("apply_b_dec_to_input").asBoolean());
    }

    @Test
    void badFoldersAreClearErrors(@TempDir Path dir) throws Exception {
        assertTrue(assertThrows(GlassboxException.class, () -> SaeConfig.read(dir)).getMessage().contains("no cfg.json"));
        Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 8, \"d_sae\": 16, \"hook_name\": \"blocks.0.hook_resid_post\", \"normalize_activations\": \"expected_average_only_in\"}");
        assertTrue(assertThrows(GlassboxException.class, () -> SaeConfig.read(dir)).getMessage().contains("expected_average_only_in"));
        Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 8, \"d_sae\": 16, \"hook_name\": \"blocks.0.hook_resid_post\", \"architecture\": \"gated\"}");
        assertTrue(assertThrows(GlassboxException.class, () -> SaeConfig.read(dir)).getMessage().contains("gated"));
    }

    @Test
    void transformerLensHookNamesMapOntoGlassbox() {
        assertEquals("blocks.1.resid_post", TransformerLensHooks.toGlassbox("blocks.1.hook_resid_post"));
        assertEquals("blocks.0.resid_pre", TransformerLensHooks.toGlassbox("blocks.0.hook_resid_pre"));
        assertEquals("blocks.3.resid_mid", TransformerLensHooks.toGlassbox("blocks.3.hook_resid_mid"));
        assertEquals("blocks.2.mlp.out", TransformerLensHooks.toGlassbox("blocks.2.hook_mlp_out"));
        assertEquals("blocks.2.attn.out", TransformerLensHooks.toGlassbox("blocks.2.hook_attn_out"));
        assertEquals("blocks.5.attn.z", TransformerLensHooks.toGlassbox("blocks.5.attn.hook_z"));
        assertEquals("blocks.1.mlp.post", TransformerLensHooks.toGlassbox("blocks.1.mlp.hook_post"));
        assertEquals("embed", TransformerLensHooks.toGlassbox("hook_embed"));
        assertEquals("blocks.1.resid_post", TransformerLensHooks.toGlassbox("blocks.1.resid_post"));
        GlassboxException e = assertThrows(GlassboxException.class, () -> TransformerLensHooks.toGlassbox("blocks.1.hook_banana"));
        assertTrue(e.getMessage().contains("blocks.1.hook_banana") && !e.getMessage().contains("\n"));
    }
}
