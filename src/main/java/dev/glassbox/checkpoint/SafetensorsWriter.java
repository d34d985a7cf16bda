package dev.glassbox.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes a {@code .safetensors} file in the layout the HuggingFace library writes: tensors sorted
 * by name, the JSON header padded with spaces to a multiple of 8 bytes, {@code {"format": "pt"}}
 * metadata. Tensor bytes are produced one tensor at a time, so large checkpoints stream to disk.
 * The file appears under its final name only once complete.
 */
public final class SafetensorsWriter {

    /** A tensor to write: its name, dtype, shape, and a producer that fills its bytes. */
    public record Spec(String name, DType dtype, long[] shape, Consumer<ByteBuffer> fill) {
        long bytes() {
            long n = dtype.bytes();
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private SafetensorsWriter() {}

    /** A spec whose values are the given floats (F32). */
    public static Spec f32(String name, long[] shape, float[] values) {
        return new Spec(name, DType.F32, shape, buf -> {
            for (float v : values) {
                buf.putFloat(v);
            }
        });
    }

    public static void write(Path file, List<Spec> tensors, Map<String, String> metadata) {
        List<Spec> sorted = new ArrayList<>(tensors);
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        if (metadata != null) {
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Spec s : sorted) {
            ObjectNode e = header.putObject(s.name());
            e.put("dtype", s.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            ArrayNode offsets = e.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + s.bytes());
            offset += s.bytes();
        }
        byte[] headerBytes;
        try {
            headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException("cannot encode safetensors header: " + e.getMessage(), e);
        }
        int padded = (headerBytes.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded);
            head.put(headerBytes);
            while (head.position() < head.capacity()) {
                head.put((byte) ' ');
            }
            head.flip();
            writeFully(ch, head);
            for (Spec s : sorted) {
                long bytes = s.bytes();
                if (bytes > Integer.MAX_VALUE - 8) {
                    throw new GlassboxException("tensor '" + s.name() + "' is too large to write in one piece");
                }
                ByteBuffer buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
                s.fill().accept(buf);
                if (buf.position() != bytes) {
                    throw new IllegalStateException("tensor '" + s.name() + "' produced " + buf.position() + " bytes, expected " + bytes);
                }
                buf.flip();
                writeFully(ch, buf);
            }
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new GlassboxException(file + ": cannot write: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new GlassboxException(file + ": cannot move into place: " + e.getMessage(), e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: the partial file is named .partial, never mistaken for a checkpoint
        }
    }
}
