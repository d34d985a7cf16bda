package dev.glassbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Access to ../shared: checkpoints and what HuggingFace transformers computed for them. */
public final class Reference {

    private Reference() {}

    public static Path shared() {
        Path p = Paths.get(System.getProperty("glassbox.shared", "../shared"));
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("../shared not found at " + p.toAbsolutePath());
        }
        return p;
    }

    /** Checkpoints made in this repository (see fixtures/make_gptneox_fixtures.py there). */
    public static final String LOCAL = "glassbox-fixtures/";

    /**
     * A checkpoint folder: {@code glassbox-fixtures/NAME} is src/test/resources/fixtures/NAME (for
     * architectures ../shared has no checkpoint of), anything else is relative to ../shared.
     */
    public static Path model(String relative) {
        if (relative.startsWith(LOCAL)) {
            return Paths.get("src", "test", "resources", "fixtures", relative.substring(LOCAL.length()));
        }
        return shared().resolve(relative);
    }

    public static JsonNode json(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode reference(String relative) {
        return json(model(relative).resolve("reference.json"));
    }

    public static long[] longs(JsonNode arr) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asLong();
        }
        return out;
    }

    /** Parsed as float32, as the README says the numbers were written. */
    public static float[] floats(JsonNode arr) {
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(arr.get(i).asText());
        }
        return out;
    }
}
