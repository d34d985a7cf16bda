package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.checkpoint.RandomCheckpoint;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;

import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Native memory stays flat: a long generation holds the same number of NDArrays at every step. */
class MemoryTest {

    /**
     * 5,000 tokens in one call (2 layers, context 8,192) in a fresh JVM: resident memory after the
     * first token grows by at most the KV cache plus 40 MB (the margin covers the engine's allocator
     * caching the growing attention temporaries, JIT code and metaspace). The child's heap is small
     * and pre-touched, so a heap filling up with short-lived garbage before its first collection
     * (which is bounded by the heap, not by the generation) is not mistaken for growth.
     */
    @Test
    void residentMemoryOverFiveThousandTokensStaysWithinTheKvCache(@TempDir Path tmp) throws Exception {
        int layers = 2, embd = 64, tokens = 5000;
        Path dir = tmp.resolve("ckpt");
        RandomCheckpoint.writeGpt2(new RandomCheckpoint.Gpt2Shape(layers, embd, 4, 1000, 8192), 11, dir);
        ChildJvm.Result r = ChildJvm.runWith(MemoryChild.class, java.util.List.of("-Xmx256m", "-XX:+AlwaysPreTouch"),
                tmp.resolve("logs"), "memory", java.util.List.of(dir.toString(), Integer.toString(tokens)), 900); // ~15 s on an idle machine
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("generated " + tokens), r.out());
        Matcher m = Pattern.compile("rss (\\d+) ([\\d.]+)").matcher(r.out());
        double first = -1, last = -1;
        while (m.find()) {
            double mb = Double.parseDouble(m.group(2));
            if (first < 0) {
                first = mb;
            }
            last = mb;
        }
        // K and V per layer, float32, for every position of the generation.
        double kvMb = 2.0 * layers * (tokens + 1) * embd * 4 / (1 << 20);
        double margin = 40;
        assertTrue(last - first <= kvMb + margin, String.format(
                "RSS grew %.1f MB over %d tokens (from %.1f to %.1f MB); allowed: KV cache %.1f MB + %.0f MB%n%s",
                last - first, tokens, first, last, kvMb, margin, r.out()));
    }

    @Test
    void noNativeArraysAccumulatePerTokenOrPerCall() {
        try (LanguageModel model = LanguageModel.load(Reference.model("models/stories260K"))) {
            Generator gen = new Generator(model);
            SamplingConfig warm = SamplingConfig.builder().greedy(true).maxNewTokens(4).build();
            gen.generate(new long[] {1}, warm); // first forward creates the weights' cached views
            int before = model.manager().getManagedArrays().size();

            List<Integer> during = new ArrayList<>();
            SamplingConfig cfg = SamplingConfig.builder().temperature(0.9).topK(40).seed(1L).stopAtEos(false).maxNewTokens(400).build();
            gen.generate(new long[] {1}, cfg, t -> {
                if (t.step() == 20 || t.step() == 200 || t.step() == 399) {
                    during.add(model.manager().getManagedArrays().size());
                }
            });
            assertEquals(3, during.size());
            assertEquals(during.get(0), during.get(1), "arrays held at step 20 vs 200");
            assertEquals(during.get(0), during.get(2), "arrays held at step 20 vs 399");
            assertEquals(before, model.manager().getManagedArrays().size(), "arrays left after a generation");

            for (int i = 0; i < 5; i++) {
                Scoring.score(model, new long[] {1, 400, 300, 200}, 5, true, true);
                model.logits(new long[] {1, 2, 3});
            }
            assertEquals(before, model.manager().getManagedArrays().size(), "arrays left after scoring");
        }
    }
}
