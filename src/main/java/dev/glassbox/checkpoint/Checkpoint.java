package dev.glassbox.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.pickle.TorchPickleCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A HuggingFace checkpoint folder: {@code config.json}, optional {@code generation_config.json},
 * and the weights as {@code model.safetensors}, shards with {@code model.safetensors.index.json},
 * or a {@code pytorch_model.bin} pickle read without executing it.
 */
public final class Checkpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode config;
    private final JsonNode generationConfig;
    private final TensorSource tensors;
    private final String weightsDescription;

    private Checkpoint(Path dir, JsonNode config, JsonNode generationConfig, TensorSource tensors, String weights) {
        this.dir = dir;
        this.config = config;
        this.generationConfig = generationConfig;
        this.tensors = tensors;
        this.weightsDescription = weights;
    }

    /** Reads config.json and opens the weights (validating every header) without loading them. */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new GlassboxException(dir + ": no such checkpoint folder");
        }
        JsonNode config = readConfig(dir);
        JsonNode gen = readJson(dir.resolve("generation_config.json"), false);
        if (gen == null) {
            gen = JsonNodeFactory.instance.objectNode();
        }
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Path bin = dir.resolve("pytorch_model.bin");
        TensorSource source;
        String what;
        if (Files.exists(single)) {
            source = SafetensorsFile.open(single);
            what = "model.safetensors";
        } else if (Files.exists(index)) {
            ShardedSafetensors sharded = ShardedSafetensors.open(index);
            source = sharded;
            what = sharded.shardCount() + " safetensors shards";
        } else if (Files.exists(bin)) {
            source = TorchPickleCheckpoint.open(bin);
            what = "pytorch_model.bin (read as data, never executed)";
        } else {
            throw new GlassboxException(
                    dir + ": no weights found (expected model.safetensors, model.safetensors.index.json or pytorch_model.bin)");
        }
        return new Checkpoint(dir, config, gen, source, what);
    }

    /** Reads and parses config.json; a clear error when it is missing or not JSON. */
    public static JsonNode readConfig(Path dir) {
        JsonNode config = readJson(dir.resolve("config.json"), true);
        if (!config.isObject()) {
            throw new GlassboxException(dir.resolve("config.json") + ": not a JSON object");
        }
        if (!config.hasNonNull("model_type")) {
            throw new GlassboxException(dir.resolve("config.json") + ": has no model_type");
        }
        return config;
    }

    /** The folder's generation_config.json, or null when it has none. */
    public static JsonNode readGenerationConfig(Path dir) {
        return readJson(dir.resolve("generation_config.json"), false);
    }

    private static JsonNode readJson(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) {
                throw new GlassboxException(file + ": missing (every HuggingFace checkpoint folder has one)");
            }
            return null;
        }
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(file));
            if (n == null || n.isMissingNode()) {
                throw new GlassboxException(file + ": is empty");
            }
            return n;
        } catch (IOException e) {
            throw new GlassboxException(file + ": malformed JSON (" + e.getMessage().split("\n")[0] + ")");
        }
    }

    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    public JsonNode generationConfig() {
        return generationConfig;
    }

    public TensorSource tensors() {
        return tensors;
    }

    public String modelType() {
        return config.get("model_type").asText();
    }

    /** Where the weights came from, for messages and reports. */
    public String weightsDescription() {
        return weightsDescription;
    }

    @Override
    public void close() {
        tensors.close();
    }
}
