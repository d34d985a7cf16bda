package dev.glassbox.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.glassbox.LanguageModel;
import dev.glassbox.ModelLocator;
import dev.glassbox.djl.GlassboxModelZoo;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The bundled default model (model-zoo/kjv-gpt2) has learned its corpus, the King James Bible. */
class ModelZooTest {

    static final Path DIR = Path.of("model-zoo", ModelLocator.DEFAULT_MODEL);

    /**
     * Genesis 1:2 costs the model far fewer nats than a uniform guess over its 4096 tokens
     * (ln 4096 = 8.32 per token); an untrained model of the same shape sits near that.
     */
    @Test
    void kingJamesTextIsFarMoreLikelyThanChance() {
        try (LanguageModel m = LanguageModel.load(DIR)) {
            long[] ids = m.requireTokenizer().encode("And the earth was without form, and void; and darkness was upon the face of the deep.");
            Scoring.Result r = Scoring.score(m, ids, 1, false, false);
            assertTrue(r.meanNll() < 5.0, "mean NLL " + r.meanNll());
            // And a phrase that is not King James English costs more than one that is.
            long[] modern = m.requireTokenizer().encode("The software update was installed on the laptop yesterday.");
            assertTrue(Scoring.score(m, modern, 1, false, false).meanNll() > r.meanNll() + 1.0);
        }
    }

    /**
     * It has learned Genesis 1 by heart: greedy decoding of "And God said, Let there be" continues
     * " light" (Genesis 1:3 and 1:14 open so; 1:6 goes on " a firmament").
     */
    @Test
    void letThereBeLight() {
        try (LanguageModel m = LanguageModel.load(DIR)) {
            long[] prompt = m.requireTokenizer().encode("And God said, Let there be");
            GenerationResult r = new Generator(m).generate(prompt, SamplingConfig.builder().greedy(true).maxNewTokens(1).build());
            assertEquals(" light", r.text());
        }
    }

    @Test
    void theFolderIsAHuggingFaceCheckpointOfAtMost20MB() throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json", "README.md"}) {
            assertTrue(Files.isRegularFile(DIR.resolve(f)), f);
        }
        assertTrue(Files.notExists(DIR.resolve(Trainer.STATE_DIR)), "the training state is not bundled");
        long bytes;
        try (Stream<Path> files = Files.walk(DIR)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(bytes <= 20L * 1024 * 1024, bytes + " bytes");
    }

    @Test
    void djlFindsTheBundledModelByName() throws Exception {
        Criteria<String, String> c = Criteria.builder().setTypes(String.class, String.class)
                .optGroupId(GlassboxModelZoo.GROUP_ID).optArtifactId(ModelLocator.DEFAULT_MODEL).build();
        try (ZooModel<String, String> model = c.loadModel(); var p = model.newPredictor()) {
            // Genesis 1:3, which the model knows by heart (see letThereBeLight), through DJL's own API
            String text = p.predict("And God said, Let there be");
            assertTrue(text.startsWith(" light") || text.startsWith("And God said, Let there be light"), text);
            assertEquals(text, p.predict("And God said, Let there be"));
        }
    }
}
