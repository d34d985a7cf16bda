package dev.glassbox.djl;

import ai.djl.repository.zoo.Criteria;
import dev.glassbox.Engines;
import dev.glassbox.generate.GenerationResult;
import java.nio.file.Path;

/**
 * DJL {@link Criteria} for a HuggingFace checkpoint folder, so that
 * {@code GlassboxCriteria.forGeneration(dir).loadModel()} gives a {@code ZooModel} whose
 * predictor generates text. A folder with a {@code serving.properties} naming
 * {@link GlassboxBlockFactory} and {@link GlassboxTranslatorFactory} loads with plain
 * {@code Criteria.builder().optModelPath(dir)} too.
 */
public final class GlassboxCriteria {

    private GlassboxCriteria() {}

    public static Criteria<GenerationRequest, GenerationResult> forGeneration(Path dir) {
        return builder(dir, GenerationRequest.class, GenerationResult.class).build();
    }

    /** String prompt in, greedy continuation out. */
    public static Criteria<String, String> forText(Path dir) {
        return builder(dir, String.class, String.class).build();
    }

    public static <I, O> Criteria.Builder<I, O> builder(Path dir, Class<I> in, Class<O> out) {
        Engines.init();
        return Criteria.builder()
                .setTypes(in, out)
                .optModelPath(dir)
                .optEngine("PyTorch")
                .optArgument("blockFactory", new GlassboxBlockFactory())
                .optTranslatorFactory(new GlassboxTranslatorFactory())
                .optOption("hasParameter", "false");
    }
}
