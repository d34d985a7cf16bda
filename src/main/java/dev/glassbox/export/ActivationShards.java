package dev.glassbox.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.SafetensorsFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads back what {@code glassbox cache} (an {@link ActivationShardWriter}) exported: the index,
 * the documents, each shard's rows, or one document's rows of one hook.
 *
 * <pre>{@code
 * ActivationShards ex = ActivationShards.open(Path.of("acts"));
 * float[][] resid = ex.document(0, "blocks.1.resid_post");   // [rows][D] of document 0
 * }</pre>
 */
public final class ActivationShards {

    /** One document's entry in documents.jsonl: where its rows are, and the input line's other fields. */
    public record Document(int doc, int line, int tokens, int shard, long row, int rows, ObjectNode extra) {}

    /** One shard's rows: whose they are, and the values by hook (float32, row-major). */
    public record Shard(long[] doc, long[] line, long[] pos, Map<String, float[]> values) {
        public int rows() {
            return doc.length;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode index;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private List<Document> documents;

    private ActivationShards(Path dir, JsonNode index) {
        this.dir = dir;
        this.index = index;
        index.get("hooks").fields().forEachRemaining(e -> {
            JsonNode s = e.getValue().get("shape");
            long[] shape = new long[s.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = s.get(i).asLong();
            }
            shapes.put(e.getKey(), shape);
        });
    }

    /** Opens an export folder; a clear error when it is not one. */
    public static ActivationShards open(Path dir) {
        Path file = dir.resolve(ActivationShardWriter.INDEX);
        if (!Files.isRegularFile(file)) {
            throw new GlassboxException(dir + ": no " + ActivationShardWriter.INDEX + " (not an activation export)");
        }
        JsonNode index;
        try {
            index = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (!ActivationShardWriter.FORMAT.equals(index.path("format").asText())) {
            throw new GlassboxException(file + ": format is '" + index.path("format").asText()
                    + "', expected '" + ActivationShardWriter.FORMAT + "'");
        }
        return new ActivationShards(dir, index);
    }

    /** The exported hooks and their row shapes, in export order. */
    public Map<String, long[]> hooks() {
        return shapes;
    }

    /** {@code all} or {@code last}. */
    public ActivationExport.Positions positions() {
        return ActivationExport.Positions.parse(index.get("positions").asText());
    }

    public long rows() {
        return index.get("rows").asLong();
    }

    public int documentCount() {
        return index.get("documents").asInt();
    }

    public int shardCount() {
        return index.get("shards").size();
    }

    /** The model folder the activations came from. */
    public String model() {
        return index.path("model").asText();
    }

    /** Every document's entry (read from documents.jsonl on first use). */
    public List<Document> documents() {
        if (documents == null) {
            List<Document> out = new ArrayList<>();
            try (BufferedReader in = Files.newBufferedReader(dir.resolve(ActivationShardWriter.DOCUMENTS), StandardCharsets.UTF_8)) {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    ObjectNode n = (ObjectNode) JSON.readTree(l);
                    Document d = new Document(n.get("doc").asInt(), n.get("line").asInt(), n.get("tokens").asInt(),
                            n.get("shard").asInt(), n.get("row").asLong(), n.get("rows").asInt(), n);
                    List.of("doc", "line", "tokens", "shard", "row", "rows").forEach(n::remove);
                    out.add(d);
                }
            } catch (IOException | RuntimeException e) {
                throw new GlassboxException(dir.resolve(ActivationShardWriter.DOCUMENTS) + ": cannot read: " + e.getMessage(), e);
            }
            documents = List.copyOf(out);
        }
        return documents;
    }

    /** Shard {@code i}, all hooks. */
    public Shard shard(int i) {
        String name = index.get("shards").get(i).get("file").asText();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(name))) {
            Map<String, float[]> values = new LinkedHashMap<>();
            for (String h : shapes.keySet()) {
                values.put(h, floats(f.get(h)));
            }
            return new Shard(longs(f.get("doc")), longs(f.get("line")), longs(f.get("pos")), values);
        }
    }

    /** Document {@code doc}'s rows of {@code hook}: [rows][row width]. */
    public float[][] document(int doc, String hook) {
        long[] shape = shapes.get(hook);
        if (shape == null) {
            throw new GlassboxException("no hook '" + hook + "' in this export (exported: " + String.join(", ", shapes.keySet()) + ")");
        }
        if (doc < 0 || doc >= documents().size()) {
            throw new GlassboxException("no document " + doc + " in this export (" + documents().size() + " documents)");
        }
        Document d = documents().get(doc);
        long shardFirst = index.get("shards").get(d.shard()).get("first_row").asLong();
        String name = index.get("shards").get(d.shard()).get("file").asText();
        int width = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        float[] all;
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(name))) {
            all = floats(f.get(hook));
        }
        float[][] out = new float[d.rows()][];
        int from = Math.toIntExact(d.row() - shardFirst);
        for (int r = 0; r < out.length; r++) {
            out[r] = Arrays.copyOfRange(all, (from + r) * width, (from + r + 1) * width);
        }
        return out;
    }

    private static float[] floats(RawTensor t) {
        if (t.dtype() != DType.F32) {
            throw new GlassboxException("tensor '" + t.name() + "' is " + t.dtype() + ", expected F32");
        }
        float[] v = new float[Math.toIntExact(t.numel())];
        t.data().asFloatBuffer().get(v);
        t.release();
        return v;
    }

    private static long[] longs(RawTensor t) {
        long[] v = new long[Math.toIntExact(t.numel())];
        t.data().asLongBuffer().get(v);
        t.release();
        return v;
    }
}
