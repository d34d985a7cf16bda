package dev.glassbox.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.SafetensorsWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes exported activations as safetensors shards plus an index, in the layout
 * {@link ActivationShards} reads (and the README's "Exporting activations" describes): per shard,
 * one float32 tensor [rows, ...] per hook and int64 tensors {@code doc}, {@code line}, {@code pos}
 * saying whose row each is; {@code documents.jsonl}, one line per document, streamed as documents
 * arrive; {@code index.json} at the end. Memory stays bounded: rows are held until the shard
 * reaches {@code shardBytes}, then written and dropped; a document never spans two shards.
 */
public final class ActivationShardWriter implements AutoCloseable {

    /** Default bound on one shard's activation bytes (256 MiB). */
    public static final long DEFAULT_SHARD_BYTES = 256L << 20;

    static final String FORMAT = "glassbox-activations";
    static final String INDEX = "index.json";
    static final String DOCUMENTS = "documents.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, long[]> shapes;
    private final Map<String, Integer> widths = new LinkedHashMap<>();
    private final ObjectNode info;
    private final long shardBytes;
    private final long rowBytes;
    private final BufferedWriter documents;
    private final ArrayNode shards = JSON.createArrayNode();

    // the shard being filled: per hook the documents' row blocks, in order
    private final Map<String, List<float[]>> pending = new LinkedHashMap<>();
    private final List<long[]> pendingIndex = new ArrayList<>(); // {doc, line, pos} per row
    private long rows;
    private int docs;
    private boolean closed;

    /**
     * Writes into {@code dir} (which must exist and be empty).
     *
     * @param shapes each hook's per-row shape (the activation's shape without batch and position)
     * @param info fields added to index.json (model, positions, …)
     */
    public ActivationShardWriter(Path dir, Map<String, long[]> shapes, ObjectNode info, long shardBytes) {
        if (shardBytes < 1) {
            throw new GlassboxException("the shard size must be positive, found " + shardBytes);
        }
        this.dir = dir;
        this.shapes = new LinkedHashMap<>(shapes);
        this.info = info.deepCopy();
        this.shardBytes = shardBytes;
        long bytes = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long w = 1;
            for (long d : e.getValue()) {
                w *= d;
            }
            widths.put(e.getKey(), Math.toIntExact(w));
            pending.put(e.getKey(), new ArrayList<>());
            bytes += 4 * w;
        }
        this.rowBytes = bytes;
        try {
            this.documents = Files.newBufferedWriter(dir.resolve(DOCUMENTS), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException(dir + ": cannot write " + DOCUMENTS + ": " + e.getMessage(), e);
        }
    }

    /** Rows written or pending so far. */
    public long rows() {
        return rows;
    }

    /**
     * Adds one document's rows: {@code positions[r]} is row r's position in the document and
     * {@code values.get(hook)} holds positions.length rows of that hook, row-major.
     */
    public void add(CorpusReader.Document doc, int[] positions, Map<String, float[]> values) {
        long bytes = rowBytes * positions.length;
        if (!pendingIndex.isEmpty() && (pendingIndex.size() * rowBytes + bytes) > shardBytes) {
            flush();
        }
        for (Map.Entry<String, Integer> e : widths.entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null || v.length != (long) e.getValue() * positions.length) {
                throw new IllegalArgumentException("hook " + e.getKey() + ": expected " + positions.length + " rows of "
                        + e.getValue() + " values, found " + (v == null ? "none" : v.length + " values"));
            }
            pending.get(e.getKey()).add(v);
        }
        long first = rows;
        for (int p : positions) {
            pendingIndex.add(new long[] {doc.index(), doc.line(), p});
        }
        rows += positions.length;
        docs++;
        ObjectNode line = JSON.createObjectNode();
        line.put("doc", doc.index());
        line.put("line", doc.line());
        line.put("tokens", doc.ids().length);
        line.put("shard", shards.size());
        line.put("row", first);
        line.put("rows", positions.length);
        doc.extra().fields().forEachRemaining(f -> {
            if (!line.has(f.getKey())) {
                line.set(f.getKey(), f.getValue());
            }
        });
        try {
            documents.write(JSON.writeValueAsString(line));
            documents.write('\n');
        } catch (IOException e) {
            throw new GlassboxException(dir.resolve(DOCUMENTS) + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Writes the pending rows as the next shard. */
    private void flush() {
        if (pendingIndex.isEmpty()) {
            return;
        }
        int n = pendingIndex.size();
        String file = String.format("shard-%05d.safetensors", shards.size());
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        for (Map.Entry<String, List<float[]>> e : pending.entrySet()) {
            List<float[]> blocks = e.getValue();
            specs.add(new SafetensorsWriter.Spec(e.getKey(), DType.F32, rowShape(n, shapes.get(e.getKey())), buf -> {
                for (float[] block : blocks) {
                    buf.asFloatBuffer().put(block);
                    buf.position(buf.position() + 4 * block.length);
                }
            }));
        }
        String[] columns = {"doc", "line", "pos"};
        for (int c = 0; c < columns.length; c++) {
            int col = c;
            specs.add(new SafetensorsWriter.Spec(columns[c], DType.I64, new long[] {n}, (ByteBuffer buf) -> {
                for (long[] r : pendingIndex) {
                    buf.putLong(r[col]);
                }
            }));
        }
        long firstRow = rows - n;
        SafetensorsWriter.write(dir.resolve(file), specs, Map.of("first_row", Long.toString(firstRow)));
        ObjectNode s = shards.addObject();
        s.put("file", file);
        s.put("rows", n);
        s.put("first_row", firstRow);
        s.put("first_doc", pendingIndex.get(0)[0]);
        s.put("last_doc", pendingIndex.get(n - 1)[0]);
        pending.values().forEach(List::clear);
        pendingIndex.clear();
    }

    private static long[] rowShape(long rows, long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = rows;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    /** Writes the last shard and index.json. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            documents.close();
        } catch (IOException e) {
            throw new GlassboxException(dir.resolve(DOCUMENTS) + ": cannot write: " + e.getMessage(), e);
        }
        flush();
        ObjectNode index = JSON.createObjectNode();
        index.put("format", FORMAT);
        index.put("version", 1);
        index.setAll(info);
        index.put("dtype", "F32");
        ObjectNode hooks = index.putObject("hooks");
        shapes.forEach((name, shape) -> {
            ArrayNode a = hooks.putObject(name).putArray("shape");
            for (long d : shape) {
                a.add(d);
            }
        });
        index.put("documents", docs);
        index.put("rows", rows);
        index.put("documents_file", DOCUMENTS);
        index.set("shards", shards);
        try {
            Files.writeString(dir.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        } catch (IOException e) {
            throw new GlassboxException(dir.resolve(INDEX) + ": cannot write: " + e.getMessage(), e);
        }
    }
}
