package dev.glassbox.checkpoint.pickle;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes a torch.save-style zip: {archive}/data.pkl, {archive}/data/{key}, {archive}/version. */
final class TorchZip {

    private final Map<String, byte[]> entries = new LinkedHashMap<>();
    private final Map<String, Boolean> deflate = new LinkedHashMap<>();
    private final String archive;

    TorchZip(String archive, byte[] pickle) {
        this.archive = archive;
        entries.put(archive + "/data.pkl", pickle);
    }

    static TorchZip of(byte[] pickle) {
        return new TorchZip("pytorch_model", pickle);
    }

    TorchZip storage(String key, byte[] bytes) {
        entries.put(archive + "/data/" + key, bytes);
        return this;
    }

    TorchZip floats(String key, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return storage(key, b.array());
    }

    TorchZip entry(String name, String text) {
        entries.put(archive + "/" + name, text.getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** Stores {@code name} (relative to the archive) deflated instead of stored. */
    TorchZip deflated(String name) {
        deflate.put(archive + "/" + name, true);
        return this;
    }

    Path write(Path file) throws IOException {
        entries.putIfAbsent(archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (deflate.containsKey(e.getKey())) {
                    ze.setMethod(ZipEntry.DEFLATED);
                } else {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    ze.setCrc(crc.getValue());
                }
                zip.putNextEntry(ze);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }
}
