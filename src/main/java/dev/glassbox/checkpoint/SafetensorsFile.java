package dev.glassbox.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
 * <p>The header is held to the reference implementation's rules (exact dtype names, integer
 * dims, no repeated names, nothing but whitespace after the JSON, tensors tiling the data exactly).
 * Each tensor is read on its own into a direct buffer (under 2 GiB even when the file is much
 * larger), off the Java heap; see {@link FileBytes} for why it is read rather than mapped.
 */
public final class SafetensorsFile implements TensorSource {

    /** A header entry: where one tensor's bytes lie, relative to the start of the data section. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    /** Strict as the reference: a repeated tensor name or bytes after the JSON object are errors. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** safetensors dtype names that glassbox knows but cannot load. */
    private static final Set<String> KNOWN_UNSUPPORTED = Set.of("F8_E4M3", "F8_E5M2", "U16", "U32", "U64", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2");
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
            if (headerBuf.get(0) != '{') {
                throw new GlassboxException(file + ": safetensors header is not valid JSON (it does not start with '{'; not a safetensors file?)");
            }
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
                    readMetadata(file, field.getValue(), metadata);
                    continue;
                }
                entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), dataSize));
            }
            checkLayout(file, entries, dataSize);
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(entries), metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new GlassboxException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** {@code __metadata__} is a string-to-string map, as the reference implementation reads it. */
    private static void readMetadata(String file, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new GlassboxException(file + ": __metadata__ is not an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new GlassboxException(file + ": __metadata__ value of '" + m.getKey() + "' is " + m.getValue() + ", not a string");
            }
            metadata.put(m.getKey(), m.getValue().asText());
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
        // Names are exact, as in the format's specification: "f32" is not a safetensors dtype.
        DType dtype = dtypeNode.isTextual() ? DType.fromSafetensors(dtypeNode.asText()) : null;
        if (dtype == null || !dtype.name().equals(dtypeNode.asText())) {
            String known = KNOWN_UNSUPPORTED.contains(dtypeNode.asText()) ? "unsupported dtype " : "unknown dtype ";
            throw new GlassboxException(where + ": " + known + dtypeNode + " (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        }
        if (!shapeNode.isArray()) {
            throw new GlassboxException(where + ": shape is not a list");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!isNonNegativeInteger(d)) {
                throw new GlassboxException(where + ": bad shape " + shapeNode + " (dimension " + i + " is " + d
                        + ", not a non-negative integer)");
            }
            shape[i] = d.longValue();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new GlassboxException(where + ": shape " + shapeNode + " has more elements than 2^63");
            }
        }
        if (!offsetsNode.isArray() || offsetsNode.size() != 2
                || !isNonNegativeInteger(offsetsNode.get(0)) || !isNonNegativeInteger(offsetsNode.get(1))) {
            throw new GlassboxException(where + ": data_offsets must be [begin, end], two non-negative integers, not " + offsetsNode);
        }
        long begin = offsetsNode.get(0).longValue();
        long end = offsetsNode.get(1).longValue();
        if (end < begin) {
            throw new GlassboxException(where + ": bad data_offsets [" + begin + ", " + end + "] (end before begin)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new GlassboxException(where + ": shape " + shapeNode + " x " + dtype + " needs more than 2^63 bytes");
        }
        if (end > dataSize) {
            throw new GlassboxException(
                    where + ": data_offsets [" + begin + ", " + end + "] lie outside the data (" + dataSize + " bytes); the file is truncated or corrupt");
        }
        if (end - begin != expected) {
            throw new GlassboxException(
                    where + ": shape " + shapeNode + " x " + dtype + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** An integer that fits a long and is not negative: 512.5, "512", -1 and 2^64 are not. */
    private static boolean isNonNegativeInteger(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
    }

    /**
     * The tensors tile the data section exactly, as the reference implementation demands: in
     * offset order each begins where the previous ends, the first at 0, the last at the end of the
     * file. Overlaps, holes and trailing bytes are all refused.
     */
    private static void checkLayout(String file, Map<String, Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort((a, b) -> a.begin() != b.begin() ? Long.compare(a.begin(), b.begin()) : Long.compare(a.end(), b.end()));
        long expected = 0;
        Entry prev = null;
        for (Entry cur : sorted) {
            if (cur.begin() < expected) {
                throw new GlassboxException(
                        file + ": tensors '" + prev.name() + "' and '" + cur.name() + "' overlap in the data section");
            }
            if (cur.begin() > expected) {
                throw new GlassboxException(file + ": " + (cur.begin() - expected) + " unused bytes before tensor '" + cur.name()
                        + "' (data_offsets begin at " + cur.begin() + ", expected " + expected + "); the header is corrupt");
            }
            expected = cur.end();
            prev = cur;
        }
        if (expected != dataSize) {
            throw new GlassboxException(file + ": " + (dataSize - expected) + " bytes after the last tensor's data (the header"
                    + " describes " + expected + " data bytes, the file has " + dataSize + "); the file is corrupt");
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
        // Read, not mapped: a mapped file truncated under a running load would kill the JVM (SIGBUS).
        ByteBuffer data = length == 0
                ? ByteBuffer.allocateDirect(0)
                : FileBytes.read(channel, dataStart + e.begin(), (int) length, path.getFileName().toString(), "tensor '" + name + "'");
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
