package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code glassbox tokenize}: the shared zephyr example (text and ids as transformers'
 * apply_chat_template gives them), the JSON contract, template selection, and one-line errors.
 */
class TokenizeCommandTest {

    static final ObjectMapper M = new ObjectMapper();
    static final Path ZEPHYR = Path.of(System.getProperty("glassbox.shared", "../shared"), "chat", "zephyr");

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static Path messages(Path dir, String json) throws Exception {
        Path f = Files.createTempFile(dir, "chat", ".json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void zephyrMatchesTransformers(@TempDir Path tmp) throws Exception {
        JsonNode expected = M.readTree(ZEPHYR.resolve("expected.json").toFile());
        Map<String, JsonNode> convs = new HashMap<>();
        for (JsonNode c : M.readTree(ZEPHYR.resolve("conversations.json").toFile()).get("conversations")) {
            convs.put(c.get("id").asText(), c);
        }
        List<String> failures = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            ObjectNode payload = M.createObjectNode();
            JsonNode conv = convs.get(c.get("id").asText());
            payload.set("messages", conv.get("messages"));
            if (conv.hasNonNull("tools")) {
                payload.set("tools", conv.get("tools"));
            }
            if (conv.hasNonNull("extra")) {
                payload.set("extra", conv.get("extra"));
            }
            Path f = messages(tmp, M.writeValueAsString(payload));
            boolean gen = c.get("add_generation_prompt").asBoolean();
            List<String> args = new ArrayList<>(List.of("tokenize", "--model", ZEPHYR.toString(), "--messages", f.toString(), "--json"));
            if (!gen) {
                args.add("--no-generation-prompt");
            }
            CliRun r = run(args.toArray(new String[0]));
            String label = c.get("id").asText() + " gen=" + gen;
            if (!c.get("ok").asBoolean()) {
                assertNotEquals(0, r.code(), label);
                assertTrue(r.err().contains(c.get("error").asText()), label + ": " + r.err());
                continue;
            }
            assertEquals(0, r.code(), label + ": " + r.err());
            JsonNode got = M.readTree(r.out());
            if (!got.get("text").equals(c.get("text")) || !got.get("input_ids").equals(c.get("input_ids"))) {
                failures.add(label + ": " + got);
            }
            assertEquals(got.get("input_ids").size(), got.get("tokens").size(), label);
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void promptIsTokenizedWithoutATemplate() throws Exception {
        CliRun r = run("tokenize", "--model", ZEPHYR.toString(), "--prompt", "Hello! What is 2+2?", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode got = M.readTree(r.out());
        assertEquals("Hello! What is 2+2?", got.get("text").asText());
        // the ids of the same text inside zephyr's case a_user (after "<|user|>\n"), as transformers gives them
        assertEquals("[39,68,355,78,0,405,71,280,329,558,10,17,30]", got.get("input_ids").toString());
        assertEquals("<|user|>", M.readTree(run("tokenize", "--model", ZEPHYR.toString(), "--prompt", "<|user|>", "--json").out())
                .get("tokens").get(0).asText());
    }

    @Test
    void readableOutputListsPiecesAndIds(@TempDir Path tmp) throws Exception {
        Path f = messages(tmp, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        CliRun r = run("tokenize", "--model", ZEPHYR.toString(), "--messages", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("<|user|>\nHi</s>\n<|assistant|>\n"), r.out());
        assertTrue(r.out().contains("703  '<|user|>'"), r.out());
        assertTrue(r.out().contains("198  '\\n'"), r.out());
    }

    /** A tokenizer folder with zephyr's tokenizer.json and the given tokenizer_config entries. */
    static Path folder(Path tmp, String name, Map<String, Object> config) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.copy(ZEPHYR.resolve("tokenizer.json"), d.resolve("tokenizer.json"));
        Map<String, Object> c = new HashMap<>(Map.of("bos_token", "<s>", "eos_token", "</s>"));
        c.putAll(config);
        Files.writeString(d.resolve("tokenizer_config.json"), M.writeValueAsString(c));
        return d;
    }

    @Test
    void raisingTemplateGivesOneLineWithItsMessage(@TempDir Path tmp) throws Exception {
        String mistral = Files.readString(Path.of("src/test/resources/glassbox-fixtures/chat/templates/mistral-v0.1.jinja"));
        Path d = folder(tmp, "mistral", Map.of("chat_template", mistral));
        Path f = messages(tmp, "{\"messages\": [{\"role\": \"assistant\", \"content\": \"A\"}, {\"role\": \"assistant\", \"content\": \"B\"}]}");
        CliRun r = run("tokenize", "--model", d.toString(), "--messages", f.toString(), "--json");
        assertEquals(2, r.code());
        assertEquals("", r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("glassbox: error: "), lines[0]);
        assertTrue(lines[0].contains("Conversation roles must alternate user/assistant/user/assistant/..."), lines[0]);
    }

    @Test
    void unrenderableConstructIsNamed(@TempDir Path tmp) throws Exception {
        Path d = folder(tmp, "odd", Map.of("chat_template", "{% for m in messages %}{% frobnicate %}{% endfor %}"));
        Path f = messages(tmp, "{\"messages\": [{\"role\": \"user\", \"content\": \"A\"}]}");
        CliRun r = run("tokenize", "--model", d.toString(), "--messages", f.toString());
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].contains("frobnicate"), lines[0]);
    }

    @Test
    void templateFilesAndNamedTemplates(@TempDir Path tmp) throws Exception {
        List<Map<String, String>> named = List.of(
                Map.of("name", "default", "template", "D{{ messages[0].content }}"),
                Map.of("name", "tool_use", "template", "T{{ tools[0].name }}"),
                Map.of("name", "rag", "template", "R{{ eos_token }}"));
        Path d = folder(tmp, "named", Map.of("chat_template", named));
        Path plain = messages(tmp, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
        Path tools = messages(tmp, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"name\": \"f\"}]}");
        assertEquals("Dx", M.readTree(run("tokenize", "--model", d.toString(), "--messages", plain.toString(), "--json").out()).get("text").asText());
        assertEquals("Tf", M.readTree(run("tokenize", "--model", d.toString(), "--messages", tools.toString(), "--json").out()).get("text").asText());
        assertEquals("R</s>", M.readTree(run("tokenize", "--model", d.toString(), "--messages", plain.toString(),
                "--chat-template", "rag", "--json").out()).get("text").asText());
        // chat_template.jinja takes priority over tokenizer_config's, as in transformers
        Files.writeString(d.resolve("chat_template.jinja"), "J{{ bos_token }}{% if enable_thinking is defined and enable_thinking is false %}nothink{% endif %}\n");
        Path extra = messages(tmp, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"extra\": {\"enable_thinking\": false}}");
        assertEquals("J<s>nothink", M.readTree(run("tokenize", "--model", d.toString(), "--messages", extra.toString(), "--json").out()).get("text").asText());
        CliRun missing = run("tokenize", "--model", d.toString(), "--messages", plain.toString(), "--chat-template", "nope");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no chat template named 'nope'"), missing.err());
    }

    @Test
    void badMessagesFileIsOneLine(@TempDir Path tmp) throws Exception {
        Path f = messages(tmp, "{\"messages\": {}}");
        CliRun r = run("tokenize", "--model", ZEPHYR.toString(), "--messages", f.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("glassbox: error: ") && r.err().contains("'messages' must be a list"), r.err());
    }
}
