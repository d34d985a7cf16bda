package dev.glassbox.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming every
 * tensor's dtype, shape and byte range, then the data. The header is validated completely before
 * any tensor is handed out, so a corrupt file fails with a message instead of reading garbage.
 *
 * <p>Tensors are memory-mapped one by one (each mapping is under 2 GiB even when the file is much
 * larger), read-only: nothing is copied onto the Java heap.
 */
public final class SafetensorsFile implements TensorSource {

    /** A header entry: where one tensor's bytes lie, relative to the start of the data section. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A header larger than this is not a safetensors header (the format's own limit is 100 MB). */
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path, FileChannel channel, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}; throws a GlassboxException naming the file and the fault. */
    public static SafetensorsFile open(Path path) {
        String file = path.getFileName().toString();
        if (!Files.isRegularFile(path)) {
            throw new GlassboxException(file + ": no such safetensors file (" + path + ")");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            long size = channel.size();
            if (size < 8) {
                throw new GlassboxException(file + ": truncated safetensors file (" + size + " bytes, the header length alone needs 8)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER) {
                throw new GlassboxException(file + ": corrupt safetensors header length " + headerLen + " (not a safetensors file?)");
            }
            if (8 + headerLen > size) {
                throw new GlassboxException(
                        file + ": truncated safetensors file: header length " + headerLen + " reaches beyond the file's " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(channel, headerBuf, 8);
            JsonNode header;
            try {
                header = JSON.readTree(headerBuf.array());
            } catch (IOException e) {
                throw new GlassboxException(file + ": safetensors header is not valid JSON (" + firstLine(e.getMessage()) + ")");
            }
            if (header == null || !header.isObject()) {
                throw new GlassboxException(file + ": safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("__metadata__")) {
                    field.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), dataSize));
            }
            checkNoOverlap(file, entries);
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(entries), metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new GlassboxException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Entry parseEntry(String file, String name, JsonNode node, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new GlassboxException(where + ": header entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || offsetsNode == null) {
            throw new GlassboxException(where + ": header entry needs dtype, shape and data_offsets");
        }
        DType dtype = DType.fromSafetensors(dtypeNode.asText());
        if (dtype == null) {
            throw new GlassboxException(where + ": unsupported dtype " + dtypeNode.asText() + " (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        }
        if (!shapeNode.isArray()) {
            throw new GlassboxException(where + ": shape is not a list");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw new GlassboxException(where + ": bad shape " + shapeNode);
            }
            shape[i] = d.asLong();
            numel = Math.multiplyExact(numel, shape[i]);
        }
        if (!offsetsNode.isArray() || offsetsNode.size() != 2
                || !offsetsNode.get(0).canConvertToLong() || !offsetsNode.get(1).canConvertToLong()) {
            throw new GlassboxException(where + ": data_offsets must be [begin, end]");
        }
        long begin = offsetsNode.get(0).asLong();
        long end = offsetsNode.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new GlassboxException(where + ": bad data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataSize) {
            throw new GlassboxException(
                    where + ": data_offsets [" + begin + ", " + end + "] lie outside the data (" + dataSize + " bytes); the file is truncated or corrupt");
        }
        long expected = Math.multiplyExact(numel, (long) dtype.bytes());
        if (end - begin != expected) {
            throw new GlassboxException(
                    where + ": shape " + shapeNode + " x " + dtype + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(String file, Map<String, Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1);
            Entry cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new GlassboxException(
                        file + ": tensors '" + prev.name() + "' and '" + cur.name() + "' overlap in the data section");
            }
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public RawTensor get(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new GlassboxException(path.getFileName() + ": no tensor named '" + name + "'");
        }
        long length = e.end() - e.begin();
        if (length > Integer.MAX_VALUE - 8) {
            throw new GlassboxException(
                    path.getFileName() + ": tensor '" + name + "' is " + length + " bytes; a single tensor of 2 GiB or more is not supported");
        }
        ByteBuffer data;
        try {
            if (length == 0) {
                data = ByteBuffer.allocateDirect(0);
            } else {
                // Mapped, not read: the bytes stay in the page cache, never on the Java heap.
                data = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), length);
            }
        } catch (IOException ex) {
            throw new GlassboxException(path.getFileName() + ": cannot map tensor '" + name + "': " + ex.getMessage(), ex);
        }
        return new RawTensor(name, e.dtype(), e.shape().clone(), data.order(ByteOrder.LITTLE_ENDIAN));
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing useful to do: the file was only read
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
