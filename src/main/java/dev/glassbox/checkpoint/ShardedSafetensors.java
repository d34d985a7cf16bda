package dev.glassbox.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A checkpoint split into shards, with {@code model.safetensors.index.json} naming each tensor's file. */
public final class ShardedSafetensors implements TensorSource {

    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, SafetensorsFile> files;

    private ShardedSafetensors(Map<String, SafetensorsFile> byTensor, Map<String, SafetensorsFile> files) {
        this.byTensor = byTensor;
        this.files = files;
    }

    public static ShardedSafetensors open(Path index) {
        String name = index.getFileName().toString();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(index));
        } catch (IOException e) {
            throw new GlassboxException(name + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new GlassboxException(name + ": has no weight_map object");
        }
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String shard = e.getValue().asText();
                if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                    throw new GlassboxException(name + ": shard name '" + shard + "' must be a plain file name in the checkpoint folder");
                }
                Path shardPath = index.resolveSibling(shard);
                SafetensorsFile f = files.get(shard);
                if (f == null) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new GlassboxException(name + ": names shard '" + shard + "' (for tensor '" + e.getKey() + "'), which is missing");
                    }
                    f = SafetensorsFile.open(shardPath);
                    files.put(shard, f);
                }
                if (!f.names().contains(e.getKey())) {
                    throw new GlassboxException(name + ": tensor '" + e.getKey() + "' is said to be in " + shard + ", which lacks it");
                }
                byTensor.put(e.getKey(), f);
            }
        } catch (RuntimeException ex) {
            files.values().forEach(SafetensorsFile::close);
            throw ex;
        }
        return new ShardedSafetensors(Collections.unmodifiableMap(byTensor), files);
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public RawTensor get(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new GlassboxException("model.safetensors.index.json: no tensor named '" + name + "'");
        }
        return f.get(name);
    }

    public int shardCount() {
        return files.size();
    }

    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
    }
}
