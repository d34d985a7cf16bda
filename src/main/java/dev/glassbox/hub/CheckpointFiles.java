package dev.glassbox.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Which files of a repository a transformer checkpoint needs, so a resolve never pulls READMEs,
 * Flax/TF/ONNX exports or duplicate weight formats.
 */
final class CheckpointFiles {
    /** Configuration and tokenizer files, fetched when the repository has them. */
    static final List<String> METADATA = List.of(
            "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model");

    static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    static final String SAFETENSORS = "model.safetensors";
    static final String PYTORCH_INDEX = "pytorch_model.bin.index.json";
    static final String PYTORCH = "pytorch_model.bin";
    private static final String NO_WEIGHTS =
            "model weights (" + SAFETENSORS + ", " + SAFETENSORS_INDEX + " or " + PYTORCH + ")";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointFiles() {}

    static List<String> metadataIn(Set<String> files) {
        return METADATA.stream().filter(files::contains).toList();
    }

    /**
     * The weight files to fetch, in order. An index is fetched first through {@code fetch} because
     * only its weight_map says which shards are current (repositories often keep stale or
     * consolidated copies next to the shards). Safetensors win over pytorch_model.bin.
     */
    static List<String> weightsIn(Set<String> files, String what, Function<String, Path> fetch) {
        if (files.contains(SAFETENSORS_INDEX)) {
            return withShards(SAFETENSORS_INDEX, files, what, fetch);
        }
        if (files.contains(SAFETENSORS)) {
            return List.of(SAFETENSORS);
        }
        List<String> topLevel = files.stream()
                .filter(f -> f.endsWith(".safetensors") && !f.contains("/")).sorted().toList();
        if (!topLevel.isEmpty()) {
            return topLevel;
        }
        if (files.contains(PYTORCH_INDEX)) {
            return withShards(PYTORCH_INDEX, files, what, fetch);
        }
        if (files.contains(PYTORCH)) {
            return List.of(PYTORCH);
        }
        throw new GlassboxException(what + " has no " + NO_WEIGHTS + "; it is not a transformers checkpoint");
    }

    private static List<String> withShards(
            String index, Set<String> files, String what, Function<String, Path> fetch) {
        List<String> out = new ArrayList<>();
        out.add(index);
        for (String shard : shardsOf(fetch.apply(index))) {
            if (!files.contains(shard)) {
                throw new GlassboxException(what + ": " + index + " names shard " + shard
                        + " which the repository does not have");
            }
            out.add(shard);
        }
        return out;
    }

    /** The distinct shard files an index's weight_map points at, in first-seen order. */
    static Set<String> shardsOf(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + index + ": " + HubClient.describe(e), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new GlassboxException(index + " has no weight_map");
        }
        Set<String> shards = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            String shard = it.next().asText("");
            if (!isSafeRelativeName(shard)) {
                throw new GlassboxException(index + " names an invalid shard file '" + shard + "'");
            }
            shards.add(shard);
        }
        return shards;
    }

    /**
     * What a cached snapshot lacks to be loadable (empty when complete): config.json and the weights,
     * every shard when there is an index. Dangling links count as missing. Used when resolving
     * without the hub, where there is no file list to compare against.
     */
    static List<String> missingIn(Path snapshot) {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) {
            missing.add("config.json");
        }
        for (String index : List.of(SAFETENSORS_INDEX, PYTORCH_INDEX)) {
            if (Files.isRegularFile(snapshot.resolve(index))) {
                for (String shard : shardsOf(snapshot.resolve(index))) {
                    if (!Files.isRegularFile(snapshot.resolve(shard))) {
                        missing.add(shard);
                    }
                }
                return missing;
            }
        }
        boolean hasWeights;
        try (Stream<Path> entries = Files.list(snapshot)) {
            hasWeights = entries.anyMatch(p -> Files.isRegularFile(p)
                    && (p.getFileName().toString().endsWith(".safetensors")
                            || p.getFileName().toString().equals(PYTORCH)));
        } catch (IOException e) {
            hasWeights = false;
        }
        if (!hasWeights) {
            missing.add(NO_WEIGHTS);
        }
        return missing;
    }

    /** A repository-relative file name that cannot escape the snapshot folder. */
    static boolean isSafeRelativeName(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0")) {
            return false;
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }
}
