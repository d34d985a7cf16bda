package dev.glassbox.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.ModelLocator;
import dev.glassbox.cli.CliRun;
import dev.glassbox.checkpoint.SafetensorsWriter;
import dev.glassbox.djl.GenerationRequest;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.hooks.HookChain;
import dev.glassbox.hooks.Interventions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SAE spliced into the bundled model. A "perfect" SAE, W_enc = [I, −I], W_dec = [I; −I], zero
 * biases, reconstructs exactly (ReLU(x) − ReLU(−x) = x), so splicing it must leave the logits as
 * they are and feature steering must equal adding k·W_dec[f] by hand. CLI errors are one line.
 */
class SaeSplicingTest {

    static final Path DIR = Path.of("model-zoo", ModelLocator.DEFAULT_MODEL);
    static final String HOOK = "blocks.1.hook_resid_post";
    static LanguageModel model;
    static long[] ids;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(DIR);
        ids = model.toTokens("In the beginning God created the heaven and the earth.");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SparseAutoencoder perfect(int d) {
        float[] wEnc = new float[d * 2 * d];
        float[] wDec = new float[2 * d * d];
        for (int j = 0; j < d; j++) {
            wEnc[j * 2 * d + j] = 1;
            wEnc[j * 2 * d + d + j] = -1;
            wDec[j * d + j] = 1;
            wDec[(d + j) * d + j] = -1;
        }
        SaeConfig c = new SaeConfig(d, 2 * d, HOOK, SaeConfig.Architecture.STANDARD, 0, true, "none", null, null, null);
        return SparseAutoencoder.of(c, model.manager(), wEnc, new float[2 * d], wDec, new float[d], null);
    }

    @Test
    void splicingAPerfectSaeLeavesTheModelAsItIs() {
        int d = model.config().hiddenSize();
        try (SparseAutoencoder sae = perfect(d)) {
            SaeHooks h = new SaeHooks(sae, model.config());
            assertEquals("blocks.1.resid_post", h.hookName());
            float[][] clean = model.runWithHooks(ids, (dev.glassbox.hooks.Hooks) null);
            float[][] spliced = model.runWithHooks(ids, h.splice());
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < clean[t].length; v++) {
                    assertEquals(clean[t][v], spliced[t][v], 1e-4);
                }
            }
            SaeAnalysis.Quality q = SaeAnalysis.quality(model, h, ids);
            assertEquals(0, q.mse(), 1e-10);
            assertEquals(1, q.explainedVariance(), 1e-8);
            assertEquals(q.cleanLoss(), q.splicedLoss(), 1e-4);
            assertTrue(q.zeroAblationLoss() > q.cleanLoss() + 0.5, "zero-ablating the residual stream should hurt");
            assertEquals(1, q.lossRecovered(), 1e-3);
            // feature f (f < d) is ReLU(x_f): the top features at a token are its largest positive coordinates
            float[][] f = SaeAnalysis.featureActivations(model, h, ids);
            List<SaeAnalysis.TokenFeatures> top = SaeAnalysis.features(model, h, ids, 3);
            float[] x;
            try (var cache = model.runWithCache(ids, "blocks.1.resid_post")) {
                x = cache.floats("blocks.1.resid_post");
            }
            for (int t = 0; t < ids.length; t++) {
                int best = 0;
                for (int j = 0; j < d; j++) {
                    best = Math.abs(x[t * d + j]) > Math.abs(x[t * d + best]) ? j : best;
                }
                int expected = x[t * d + best] > 0 ? best : d + best;
                assertEquals(expected, top.get(t).top().get(0).index(), "strongest feature at token " + t);
                assertEquals(Math.abs(x[t * d + best]), f[t][expected], 1e-5);
            }
        }
    }

    @Test
    void featureSteeringAddsTheDecoderRowInGeneration() {
        int d = model.config().hiddenSize();
        try (SparseAutoencoder sae = perfect(d)) {
            SaeHooks h = new SaeHooks(sae, model.config());
            int feature = d + 5; // W_dec[d + 5] = −e_5
            float k = 40f;
            float[] byHand = new float[d];
            byHand[5] = -k;
            SamplingConfig greedy = SamplingConfig.builder().greedy(true).maxNewTokens(8).stopAtEos(false).build();
            long[] steered = model.generate(GenerationRequest.ofIds(ids, greedy).withHooks(new HookChain().add(h.steer(feature, k)))).ids();
            long[] manual = model.generate(GenerationRequest.ofIds(ids, greedy)
                    .withHooks(new HookChain().add("blocks.1.resid_post", a -> a.add(a.getManager().create(byHand))))).ids();
            long[] plain = model.generate(ids, greedy).ids();
            assertEquals(java.util.Arrays.toString(manual), java.util.Arrays.toString(steered));
            assertTrue(!java.util.Arrays.equals(plain, steered), "a strong steer should change the continuation");
        }
    }

    @Test
    void cliErrorsAreOneLine(@TempDir Path dir) {
        CliRun r = CliRun.of("sae", "--model", DIR.toString(), "--sae", dir.resolve("nope").toString(), "--prompt", "In the beginning");
        assertEquals(2, r.code());
        assertOneLine(r.err(), "no cfg.json");
        r = CliRun.of("generate", "--model", DIR.toString(), "--prompt", "In the", "--ablate-head", "9.1", "--quiet");
        assertEquals(2, r.code());
        assertOneLine(r.err(), "--ablate-head 9.1");
        Path two = dir.resolve("two.safetensors");
        SafetensorsWriter.write(two, List.of(SafetensorsWriter.f32("a", new long[] {256}, new float[256]),
                SafetensorsWriter.f32("b", new long[] {256}, new float[256])), null);
        r = CliRun.of("generate", "--model", DIR.toString(), "--prompt", "In the", "--steer", "blocks.1.resid_post=" + two + ":2", "--quiet");
        assertEquals(2, r.code());
        assertOneLine(r.err(), "holds 2 tensors (a, b)");
        r = CliRun.of("train-sae", "--model", DIR.toString(), "--hook", "blocks.1.hook_nothing", "--d-sae", "64",
                "--input", two.toString(), "--out", dir.resolve("o").toString());
        assertEquals(2, r.code());
        assertOneLine(r.err(), "unknown hook name 'blocks.1.hook_nothing'");
    }

    @Test
    void cliSteeringChangesGeneration(@TempDir Path dir) throws Exception {
        float[] v = new float[256];
        v[5] = -40;
        Path file = dir.resolve("v.safetensors");
        SafetensorsWriter.write(file, List.of(SafetensorsWriter.f32("steer", new long[] {256}, v)), null);
        CliRun plain = CliRun.of("generate", "--model", DIR.toString(), "--prompt", "In the beginning", "--max-new-tokens", "8", "--json", "--quiet");
        CliRun steered = CliRun.of("generate", "--model", DIR.toString(), "--prompt", "In the beginning", "--max-new-tokens", "8",
                "--steer", "blocks.1.resid_post=" + file + ":1", "--json", "--quiet");
        assertEquals(0, plain.code(), plain.err());
        assertEquals(0, steered.code(), steered.err());
        assertTrue(!plain.out().equals(steered.out()));
        assertTrue(Files.exists(file));
    }

    static void assertOneLine(String err, String contains) {
        assertTrue(err.startsWith("glassbox: error: ") && err.strip().lines().count() == 1 && err.contains(contains), err);
    }
}
