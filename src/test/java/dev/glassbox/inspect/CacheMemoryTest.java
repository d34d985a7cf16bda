package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.checkpoint.RandomCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** What caching activations costs: ActivationCache.bytes() against a count of every cached float. */
class CacheMemoryTest {

    /** Floats a full cache of a GPT-2 model holds for T positions (all hook names). */
    static long fullCacheFloats(ModelConfig c, long t) {
        long d = c.hiddenSize();
        long i = c.intermediateSize();
        long h = c.numHeads();
        // per layer: resid_pre, ln1, q, k, v, z, attn.out, resid_mid, ln2, mlp.out, resid_post
        // ([T, D] each), scores and pattern ([H, T, T]), mlp.pre and mlp.post ([T, I])
        long perLayer = 11 * t * d + 2 * h * t * t + 2 * t * i;
        return 3 * t * d + c.numLayers() * perLayer + t * c.vocabSize(); // embed, pos_embed, ln_final; logits
    }

    @Test
    void aFullCacheHoldsEveryActivationOnce() {
        long[] ids = Reference.longs(Reference.reference("fixtures/gpt2-tiny").get("results").get(2).get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/gpt2-tiny"))) {
            try (ActivationCache all = model.runWithCache(ids, n -> true)) {
                assertEquals(4 * fullCacheFloats(model.config(), ids.length), all.bytes());
            }
        }
    }

    /**
     * The figure documented in ActivationCache and Journey: a GPT-2-small-shaped random checkpoint
     * (~500 MB written to disk) and a 128-token prompt. Opt-in, as it is slow and large (tagged
     * "measurement", which the build leaves out rather than reporting as skipped):
     * {@code mvn -o test -Dtest=CacheMemoryTest -Dglassbox.excludedGroups=none -Dglassbox.measureCacheDir=/tmp/gpt2-random}.
     */
    @Test
    @Tag("measurement")
    @EnabledIfSystemProperty(named = "glassbox.measureCacheDir", matches = ".+")
    void measureGpt2Small() throws Exception {
        Path dir = Paths.get(System.getProperty("glassbox.measureCacheDir"));
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            RandomCheckpoint.writeGpt2(RandomCheckpoint.Gpt2Shape.preset("gpt2"), 1, dir);
        }
        long[] ids = new long[128];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7919L) % 50257;
        }
        try (LanguageModel model = LanguageModel.load(dir)) {
            long full;
            long journey;
            try (ActivationCache all = model.runWithCache(ids, n -> true)) {
                full = all.bytes();
            }
            try (ActivationCache some = model.runWithCache(ids, Journey.hookNames(model.config())::contains)) {
                journey = some.bytes();
            }
            System.out.printf("GPT-2 small, 128 tokens: full cache %,d bytes, journey cache %,d bytes%n", full, journey);
            assertEquals(4 * fullCacheFloats(model.config(), 128), full);
            assertTrue(journey < full);
        }
    }
}
