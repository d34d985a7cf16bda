package dev.glassbox.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.BatchCache;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The activation cache of a padded batch: each row's real positions ({@link BatchCache#row}) hold
 * exactly what a run of that sequence alone caches, for every hook name; and no real token's
 * attention pattern puts weight on a pad slot.
 */
class BatchHooksTest {

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "fixtures/gemma2-tiny", "fixtures/qwen2-moe-tiny"})
    void eachRowSeesItsRealPositionsOnly(String dir) {
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            List<long[]> prompts = BatchConsistencyTest.prompts(model.config(), new int[] {4, 1, 11}, 9);
            try (BatchCache batch = model.runWithCacheBatch(prompts)) {
                assertTrue(batch.names().size() > 10, "a full cache");
                for (int r = 0; r < prompts.size(); r++) {
                    try (ActivationCache alone = model.runWithCache(prompts.get(r))) {
                        assertEquals(alone.names(), batch.names());
                        for (String name : alone.names()) {
                            long[] shape = alone.shape(name);
                            assertArrayEquals(Arrays.copyOfRange(shape, 1, shape.length), batch.rowShape(name, r), dir + " " + name);
                            float[] expected = alone.floats(name);
                            float[] actual = batch.rowFloats(name, r);
                            for (int i = 0; i < expected.length; i++) {
                                assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), dir + " " + name + " row " + r + " [" + i + "]");
                            }
                        }
                    }
                }
                // Padded layout: [B, H, T, T] with row 1 (one token) padded by 10 slots; its real query
                // (the last slot) gives the pad keys exactly 0.
                String pattern = "blocks.0.attn.pattern";
                long[] shape = batch.padded().shape(pattern);
                assertArrayEquals(new long[] {3, model.config().numHeads(), 11, 11}, shape);
                float[] p = batch.padded().floats(pattern);
                int t = 11;
                for (int h = 0; h < shape[1]; h++) {
                    int base = ((1 * (int) shape[1] + h) * t + (t - 1)) * t;
                    for (int k = 0; k < t - 1; k++) {
                        assertEquals(0f, p[base + k], "pad key " + k + " head " + h);
                    }
                    assertEquals(1f, p[base + t - 1], 1e-6);
                }
            }
        }
    }
}
