package dev.glassbox.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A safetensors file over 2 GiB reads correctly: each tensor is mapped on its own, so offsets past
 * 2^31 work and nothing is read whole into a Java array. The file is sparse, so it costs no disk.
 */
class LargeFileTest {

    @Test
    void tensorBeyondTwoGibibytesIsRead(@TempDir Path tmp) throws IOException {
        long pad = 2L * 1024 * 1024 * 1024 + 4096; // a U8 tensor of zeros filling the first 2 GiB
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + pad + "],\"data_offsets\":[0," + pad + "]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + pad + "," + (pad + 16) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(len.array());
            raf.write(h);
            raf.seek(8 + h.length + pad);
            ByteBuffer w = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            w.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(4f);
            raf.write(w.array());
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            RawTensor t = sf.get("w");
            ByteBuffer d = t.data().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1.5f, d.getFloat(0));
            assertEquals(-2f, d.getFloat(4));
            assertEquals(3.25f, d.getFloat(8));
            assertEquals(4f, d.getFloat(12));
        }
    }
}
