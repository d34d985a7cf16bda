package dev.glassbox.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.Reference;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.SamplingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints load through DJL's Criteria / ZooModel and generate through a Translator. */
class DjlIntegrationTest {

    @Test
    void criteriaLoadsAndPredictorGeneratesLikeTransformers() throws Exception {
        Path dir = Reference.model("fixtures/gpt2-tiny");
        JsonNode r = Reference.reference("fixtures/gpt2-tiny").get("results").get(0);
        long[] prompt = Reference.longs(r.get("input_ids"));
        long[] expected = Reference.longs(r.get("generate").get("ids"));
        try (ZooModel<GenerationRequest, GenerationResult> model = GlassboxCriteria.forGeneration(dir).loadModel();
                Predictor<GenerationRequest, GenerationResult> p = model.newPredictor()) {
            SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(expected.length).build();
            GenerationResult res = p.predict(GenerationRequest.ofIds(prompt, cfg));
            assertArrayEquals(expected, res.ids());
            // A second call on the same predictor gives the same answer (no state leaks between calls).
            assertArrayEquals(expected, p.predict(GenerationRequest.ofIds(prompt, cfg)).ids());
        }
    }

    @Test
    void servingPropertiesNameTheFactories(@TempDir Path tmp) throws Exception {
        Path src = Reference.model("models/stories260K");
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(src.resolve(f), tmp.resolve(f));
        }
        Files.writeString(tmp.resolve("serving.properties"),
                "engine=PyTorch\n"
                        + "blockFactory=dev.glassbox.djl.GlassboxBlockFactory\n"
                        + "translatorFactory=dev.glassbox.djl.GlassboxTranslatorFactory\n"
                        + "option.hasParameter=false\n"
                        + "maxNewTokens=12\n");
        // DJL resolves the translator before it reads serving.properties; DeferredTranslatorFactory
        // is its documented way to take the one serving.properties names.
        Criteria<String, String> c = Criteria.builder().setTypes(String.class, String.class).optModelPath(tmp)
                .optTranslatorFactory(new ai.djl.translate.DeferredTranslatorFactory()).build();
        try (ZooModel<String, String> model = c.loadModel(); Predictor<String, String> p = model.newPredictor()) {
            String text = p.predict("Once upon a time");
            assertTrue(text.startsWith(", there was a"), text);
            assertEquals(text, p.predict("Once upon a time"));
        }
    }
}
