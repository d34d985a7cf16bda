package dev.glassbox.djl;

import ai.djl.Application;
import ai.djl.repository.zoo.ModelZoo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import dev.glassbox.ModelLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code model-zoo/} as a DJL model zoo (group id {@value #GROUP_ID}): the models that
 * {@code model-zoo/models.json} lists are found by name through {@code Criteria}, e.g.
 * {@code Criteria.builder().setTypes(String.class, String.class).optGroupId("dev.glassbox")
 * .optArtifactId("kjv-gpt2").build().loadModel()}.
 */
public final class GlassboxModelZoo extends ModelZoo {

    public static final String GROUP_ID = "dev.glassbox";

    /** One entry of models.json. */
    public record Entry(String name, String architecture, String description, Path dir) {}

    public GlassboxModelZoo() {
        for (Entry e : entries(ModelLocator.modelZoo())) {
            if (Files.isDirectory(e.dir())) {
                addModel(new BundledModelLoader(GROUP_ID, e.name(), e.dir(), Application.NLP.TEXT_GENERATION));
            }
        }
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }

    /** The models {@code zoo/models.json} lists (empty when there is no such file). */
    public static List<Entry> entries(Path zoo) {
        Path index = zoo.resolve("models.json");
        List<Entry> out = new ArrayList<>();
        if (!Files.isRegularFile(index)) {
            return out;
        }
        try {
            JsonNode root = new ObjectMapper().readTree(index.toFile());
            for (JsonNode m : root.path("models")) {
                String name = m.path("name").asText();
                out.add(new Entry(name, m.path("architecture").asText(), m.path("description").asText(), zoo.resolve(name)));
            }
        } catch (IOException e) {
            throw new GlassboxException(index + ": malformed JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        return out;
    }
}
