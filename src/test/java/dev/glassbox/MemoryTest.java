package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Native memory stays flat: a long generation holds the same number of NDArrays at every step. */
class MemoryTest {

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
