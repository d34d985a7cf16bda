package dev.glassbox.checkpoint.pickle;

import dev.glassbox.GlassboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A minimal reader of the zip container torch.save writes. We parse the central directory
 * ourselves (instead of java.util.zip.ZipFile) because we need each entry's byte offset in the
 * file: torch stores tensor data uncompressed and 64-byte aligned precisely so that readers can
 * memory-map it, and ZipFile hides where an entry's data starts.
 *
 * <p>Every offset and length read from the file is checked against the file size before use, so
 * a truncated or hostile archive ends in a GlassboxException, never in a wild read.
 */
final class StoredZip {

    private static final int LOCAL_HEADER_SIG = 0x04034b50;
    private static final int CENTRAL_HEADER_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_END_SIG = 0x06064b50;
    private static final int METHOD_STORED = 0;
    private static final int METHOD_DEFLATED = 8;
    /** A central directory bigger than this is not a checkpoint we want to index on the heap. */
    private static final long MAX_CENTRAL_DIRECTORY = 64L << 20;

    /** One file in the archive, as the central directory describes it. */
    record Entry(String name, int method, long crc, long compressedSize, long size, long localHeaderOffset) {}

    private final String label;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, Entry> entries;

    private StoredZip(String label, FileChannel channel, long fileSize, Map<String, Entry> entries) {
        this.label = label;
        this.channel = channel;
        this.fileSize = fileSize;
        this.entries = entries;
    }

    /** Indexes the archive open on {@code channel}; {@code label} prefixes every error message. */
    static StoredZip open(String label, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        // The end-of-central-directory record sits in the last 22 bytes plus an optional comment
        // of at most 65535 bytes; scan that tail backwards for its signature.
        int tailLength = (int) Math.min(fileSize, 22 + 65535);
        ByteBuffer tail = readAt(label, channel, fileSize - tailLength, tailLength);
        int end = -1;
        for (int i = tailLength - 22; i >= 0; i--) {
            if (tail.getInt(i) == END_SIG) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new GlassboxException(label + ": not a complete zip archive (no central directory at"
                    + " its end); the file is truncated or corrupt");
        }
        long endPos = fileSize - tailLength + end;
        long count = tail.getShort(end + 10) & 0xFFFFL;
        long cdSize = tail.getInt(end + 12) & 0xFFFFFFFFL;
        long cdOffset = tail.getInt(end + 16) & 0xFFFFFFFFL;
        // torch always writes the zip64 records; when present they hold the authoritative values.
        if (endPos >= 20) {
            ByteBuffer locator = readAt(label, channel, endPos - 20, 20);
            if (locator.getInt(0) == ZIP64_LOCATOR_SIG) {
                long zip64End = locator.getLong(8);
                if (zip64End < 0 || zip64End > endPos - 56) {
                    throw corrupt(label, "its zip64 end record lies outside the file");
                }
                ByteBuffer z = readAt(label, channel, zip64End, 56);
                if (z.getInt(0) != ZIP64_END_SIG) {
                    throw corrupt(label, "its zip64 end record is missing");
                }
                count = z.getLong(32);
                cdSize = z.getLong(40);
                cdOffset = z.getLong(48);
            }
        }
        if (cdOffset < 0 || cdSize < 0 || cdSize > MAX_CENTRAL_DIRECTORY
                || cdOffset > endPos || cdSize > endPos - cdOffset) {
            throw corrupt(label, "its central directory lies outside the file");
        }
        if (count < 0 || count > cdSize / 46) {
            throw corrupt(label, "its central directory claims " + count + " entries");
        }
        ByteBuffer cd = readAt(label, channel, cdOffset, (int) cdSize);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long n = 0; n < count; n++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL_HEADER_SIG) {
                throw corrupt(label, "its central directory is damaged");
            }
            int method = cd.getShort(p + 10) & 0xFFFF;
            long crc = cd.getInt(p + 16) & 0xFFFFFFFFL;
            long compressed = cd.getInt(p + 20) & 0xFFFFFFFFL;
            long size = cd.getInt(p + 24) & 0xFFFFFFFFL;
            int nameLength = cd.getShort(p + 28) & 0xFFFF;
            int extraLength = cd.getShort(p + 30) & 0xFFFF;
            int commentLength = cd.getShort(p + 32) & 0xFFFF;
            long offset = cd.getInt(p + 42) & 0xFFFFFFFFL;
            int next = p + 46 + nameLength + extraLength + commentLength;
            if (next > cd.limit()) {
                throw corrupt(label, "its central directory is damaged");
            }
            byte[] nameBytes = new byte[nameLength];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            // Zip64 extra field: 64-bit values for exactly those fields that read 0xFFFFFFFF.
            int e = p + 46 + nameLength;
            int extraEnd = e + extraLength;
            while (e + 4 <= extraEnd) {
                int id = cd.getShort(e) & 0xFFFF;
                int len = cd.getShort(e + 2) & 0xFFFF;
                int q = e + 4;
                if (q + len > extraEnd) {
                    break;
                }
                if (id == 0x0001) {
                    if (size == 0xFFFFFFFFL && q + 8 <= e + 4 + len) {
                        size = cd.getLong(q);
                        q += 8;
                    }
                    if (compressed == 0xFFFFFFFFL && q + 8 <= e + 4 + len) {
                        compressed = cd.getLong(q);
                        q += 8;
                    }
                    if (offset == 0xFFFFFFFFL && q + 8 <= e + 4 + len) {
                        offset = cd.getLong(q);
                    }
                }
                e += 4 + len;
            }
            if (offset < 0 || compressed < 0 || size < 0 || offset > fileSize - 30) {
                throw corrupt(label, "entry " + name + " lies outside the file");
            }
            entries.put(name, new Entry(name, method, crc, compressed, size, offset));
            p = next;
        }
        return new StoredZip(label, channel, fileSize, Collections.unmodifiableMap(entries));
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * Where {@code entry}'s bytes start in the file. Read from the local header, whose name and
     * extra field lengths may differ from the central directory's (torch pads the local extra
     * field to align the data).
     */
    long dataOffset(Entry entry) throws IOException {
        ByteBuffer local = readAt(label, channel, entry.localHeaderOffset(), 30);
        if (local.getInt(0) != LOCAL_HEADER_SIG) {
            throw corrupt(label, "the header of entry " + entry.name() + " is missing");
        }
        long start = entry.localHeaderOffset() + 30 + (local.getShort(26) & 0xFFFF)
                + (local.getShort(28) & 0xFFFF);
        if (start > fileSize || entry.compressedSize() > fileSize - start) {
            throw new GlassboxException(label + ": entry " + entry.name() + " runs past the end of the"
                    + " file; the file is truncated or corrupt");
        }
        return start;
    }

    /** True if the entry's bytes lie in the file as they are, so they can be memory-mapped. */
    static boolean isStored(Entry entry) {
        return entry.method() == METHOD_STORED && entry.size() == entry.compressedSize();
    }

    /** Reads a small entry (data.pkl, version, byteorder) onto the heap, refusing over {@code cap}. */
    byte[] readSmall(Entry entry, long cap) throws IOException {
        if (entry.size() > cap || entry.compressedSize() > cap) {
            throw new GlassboxException(label + ": entry " + entry.name() + " holds " + entry.size()
                    + " bytes, more than the " + cap + " a state dict needs; refusing to read it");
        }
        long start = dataOffset(entry);
        byte[] raw = new byte[(int) entry.compressedSize()];
        readAt(label, channel, start, raw.length).get(raw);
        if (entry.method() == METHOD_STORED) {
            if (entry.size() != entry.compressedSize()) {
                throw corrupt(label, "entry " + entry.name() + " has inconsistent sizes");
            }
            return checked(entry, raw);
        }
        if (entry.method() != METHOD_DEFLATED) {
            throw corrupt(label, "entry " + entry.name() + " uses unknown zip method " + entry.method());
        }
        // Only small metadata entries may be deflated (some zip tools re-compress); tensor data may not.
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(raw);
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) entry.size());
            byte[] chunk = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw corrupt(label, "entry " + entry.name() + " is truncated");
                }
                out.write(chunk, 0, n);
                if (out.size() > entry.size()) {
                    throw corrupt(label, "entry " + entry.name() + " inflates past its declared size");
                }
            }
            return checked(entry, out.toByteArray());
        } catch (DataFormatException e) {
            throw new GlassboxException(label + ": entry " + entry.name() + " is corrupt: "
                    + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    /**
     * Verifies the checksum of a small entry. Cheap for data.pkl, and it catches the corruption
     * the parser cannot see, such as a flipped letter in a tensor name. (Tensor data is mapped
     * lazily and not checksummed: that would mean reading every byte at open.)
     */
    private byte[] checked(Entry entry, byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if (crc.getValue() != entry.crc()) {
            throw corrupt(label, "entry " + entry.name() + " fails its CRC-32 check");
        }
        return bytes;
    }

    private static ByteBuffer readAt(String label, FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new GlassboxException(label + ": unexpected end of file at byte " + (position + buffer.position())
                        + "; the file is truncated");
            }
        }
        return buffer.flip();
    }

    private static GlassboxException corrupt(String label, String what) {
        return new GlassboxException(label + ": corrupt zip archive: " + what);
    }
}
