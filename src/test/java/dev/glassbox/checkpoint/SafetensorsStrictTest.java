package dev.glassbox.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the safetensors reference implementation refuses, glassbox refuses too, naming the file and
 * the fault; and a file truncated after it was opened is an error, not a SIGBUS.
 */
class SafetensorsStrictTest {

    @TempDir
    Path tmp;

    private Path write(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = tmp.resolve("model.safetensors");
        Files.write(f, b.array());
        return f;
    }

    private String refused(String header, int dataBytes) throws IOException {
        Path f = write(header, dataBytes);
        GlassboxException e = assertThrows(GlassboxException.class, () -> SafetensorsFile.open(f).close());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().startsWith("model.safetensors: "), e.getMessage());
        return e.getMessage();
    }

    private static final String A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @Test
    void wellFormedFileWithTrailingSpacesInTheHeaderOpens() throws IOException {
        try (SafetensorsFile sf = SafetensorsFile.open(write("{" + A + "}    ", 8))) {
            assertEquals(1, sf.names().size());
        }
    }

    @Test
    void fractionalNegativeOrHugeDims() throws IOException {
        assertTrue(refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8).contains("2.5"));
        assertTrue(refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8).contains("bad shape"));
        assertTrue(refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", 8)
                .contains("more than 2^63 bytes"));
        assertTrue(refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8)
                .contains("more elements than 2^63"));
        assertTrue(refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", 8).contains("data_offsets"));
    }

    @Test
    void dtypeNamesAreExact() throws IOException {
        assertTrue(refused("{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8).contains("unknown dtype \"f32\""));
        assertTrue(refused("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2).contains("unsupported dtype"));
    }

    @Test
    void bytesAfterTheHeaderObject() throws IOException {
        assertTrue(refused("{" + A + "}xyz", 8).contains("not valid JSON"));
        assertTrue(refused("{" + A + "}{}", 8).contains("not valid JSON"));
    }

    @Test
    void duplicateTensorName() throws IOException {
        assertTrue(refused("{" + A + "," + A + "}", 8).contains("Duplicate field 'a'"));
    }

    @Test
    void junkAfterTheLastTensorAndHoles() throws IOException {
        assertTrue(refused("{" + A + "}", 12).contains("4 bytes after the last tensor's data"));
        assertTrue(refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12).contains("unused bytes before tensor 'a'"));
    }

    @Test
    void metadataValuesAreStrings() throws IOException {
        assertTrue(refused("{\"__metadata__\":{\"format\":1}," + A + "}", 8).contains("__metadata__"));
    }

    /** Truncating the file under an open SafetensorsFile: the read comes up short and says so. */
    @Test
    void fileTruncatedAfterOpeningIsAnErrorNotACrash() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,4096]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[4096,8192]}}";
        Path f = write(header, 8192);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            sf.get("a").release();
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(raf.length() - 5000); // as a rewrite of the checkpoint would
            }
            GlassboxException e = assertThrows(GlassboxException.class, () -> sf.get("b"));
            assertTrue(e.getMessage().contains("changed while it was being read") && e.getMessage().contains("'b'"), e.getMessage());
        }
    }
}
