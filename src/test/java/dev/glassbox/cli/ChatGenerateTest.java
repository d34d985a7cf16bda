package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate --messages}: runs on the rendered chat with no second BOS (the ids are those of
 * {@code tokenize --messages}), and stops at the tokenizer's eos_token, the template's end of turn.
 */
class ChatGenerateTest {

    static final ObjectMapper M = new ObjectMapper();
    /** A trained Llama whose tokenizer.json adds BOS by itself: a chat must not get a second one. */
    static final Path STORIES = Path.of(System.getProperty("glassbox.shared", "../shared"), "models", "stories260K");

    static Path copy(Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> s = Files.list(STORIES)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p)) {
                    Files.copy(p, d.resolve(p.getFileName()));
                }
            }
        }
        Files.writeString(d.resolve("chat_template.jinja"),
                "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant:{% endif %}");
        return d;
    }

    static JsonNode json(String out) throws Exception {
        return M.readTree(out);
    }

    @Test
    void runsOnTheRenderedChatAndStopsAtTheEndOfTurn(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp);
        Path chat = tmp.resolve("chat.json");
        Files.writeString(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"the cat sat\"}]}");
        JsonNode tok = json(TokenizeCommandTest.run("tokenize", "--model", d.toString(), "--messages", chat.toString(), "--json").out());
        assertEquals("<s>user: the cat sat\nassistant:", tok.get("text").asText());
        JsonNode ids = tok.get("input_ids");
        assertEquals(1, ids.get(0).asLong(), "the template's BOS");
        assertTrue(ids.get(1).asLong() != 1, "no second BOS");

        JsonNode gen = json(CliTest.run("generate", "--model", d.toString(), "--messages", chat.toString(),
                "--greedy", "--max-new-tokens", "6", "--json", "--quiet"));
        assertEquals(ids, gen.get("input_ids"), "generate sees exactly the tokenized chat");
        List<Long> first = new ArrayList<>();
        gen.get("ids").forEach(n -> first.add(n.asLong()));
        assertEquals(6, first.size());
        // Make the third greedy token the tokenizer's eos_token: generation must now stop there.
        long stopId = first.get(2);
        assertTrue(first.indexOf(stopId) == 2 && stopId != 2, "a token not generated before: " + first);
        ObjectNode config = (ObjectNode) M.readTree(d.resolve("tokenizer_config.json").toFile());
        config.put("eos_token", tokenString(d, stopId));
        Files.writeString(d.resolve("tokenizer_config.json"), M.writeValueAsString(config));
        // without added_tokens_decoder, transformers lets special_tokens_map.json override the config
        Files.delete(d.resolve("special_tokens_map.json"));
        JsonNode stopped = json(CliTest.run("generate", "--model", d.toString(), "--messages", chat.toString(),
                "--greedy", "--max-new-tokens", "6", "--json", "--quiet"));
        assertEquals("eos", stopped.get("stop_reason").asText());
        List<Long> got = new ArrayList<>();
        stopped.get("ids").forEach(n -> got.add(n.asLong()));
        assertEquals(first.subList(0, 3), got);
    }

    /** The vocabulary string of {@code id}, read from tokenizer.json independently of glassbox. */
    static String tokenString(Path d, long id) throws Exception {
        JsonNode t = M.readTree(d.resolve("tokenizer.json").toFile());
        for (JsonNode a : t.get("added_tokens")) {
            if (a.get("id").asLong() == id) {
                return a.get("content").asText();
            }
        }
        var it = t.get("model").get("vocab").fields();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getValue().asLong() == id) {
                return e.getKey();
            }
        }
        throw new AssertionError("no token " + id);
    }
}
