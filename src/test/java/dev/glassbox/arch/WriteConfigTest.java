package dev.glassbox.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Architecture.writeConfig: the one writer of a model's config.json. */
class WriteConfigTest {

    @TempDir
    Path dir;

    @Test
    void writesTheConfigWholeAndReplacesAnOldOne() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"stale\"}");
        ObjectNode cfg = json.createObjectNode();
        cfg.put("model_type", "gpt2");
        cfg.put("n_layer", 2);
        cfg.putArray("eos_token_id").add(5).add(7);
        Path file = Architecture.writeConfig(dir, cfg);
        assertEquals(dir.resolve("config.json"), file);
        JsonNode back = json.readTree(file.toFile());
        assertEquals("gpt2", back.get("model_type").asText());
        assertEquals(2, back.get("n_layer").asInt());
        assertEquals("[5,7]", back.get("eos_token_id").toString());
        assertEquals(3, back.size());
        assertFalse(Files.exists(dir.resolve("config.json.partial")), "no partial file left behind");
        // Indented, one key a line, as the files glassbox wrote before.
        assertEquals("{\n  \"model_type\" : \"gpt2\",", String.join("\n", Files.readAllLines(file).subList(0, 2)));
    }
}
