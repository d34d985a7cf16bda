package dev.glassbox.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real chat templates (Llama 3/3.1/3.2, Qwen2/2.5/3, Gemma 2/3, Phi-3/3.5/4/4-mini, Mistral
 * v0.1/v0.3/Nemo/Small, Mixtral, SmolLM2/3, Zephyr, DeepSeek-R1, OLMo-2, Hermes-2-Pro) rendered for
 * 17 conversations (tools, tool calls with null content, enable_thinking, reasoning, list content,
 * unicode, whitespace, raising role orders),
 * against what transformers renders (glassbox-fixtures/chat/expected.json, written by
 * make_chat_fixtures.py with transformers 5.18 / jinja2 3.1.6).
 */
class ChatTemplateFixturesTest {

    static final Path DIR = Path.of("src/test/resources/glassbox-fixtures/chat");
    static Clock saved;

    @BeforeAll
    static void fixClock() throws Exception {
        saved = ChatJinja.clock;
        JsonNode exp = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        ZoneId zone = ZoneId.systemDefault();
        LocalDateTime now = LocalDateTime.parse(exp.get("fixed_now").asText());
        ChatJinja.clock = Clock.fixed(now.atZone(zone).toInstant(), zone);
    }

    @AfterAll
    static void restoreClock() {
        ChatJinja.clock = saved;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyFamilyRendersAsTransformers() throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode families = m.readTree(DIR.resolve("families.json").toFile());
        Map<String, JsonNode> convs = new HashMap<>();
        for (JsonNode c : m.readTree(DIR.resolve("conversations.json").toFile()).get("conversations")) {
            convs.put(c.get("id").asText(), c);
        }
        JsonNode expected = m.readTree(DIR.resolve("expected.json").toFile());
        Map<String, ChatTemplate> templates = new HashMap<>();
        List<String> failures = new ArrayList<>();
        int raised = 0;
        for (JsonNode c : expected.get("cases")) {
            String family = c.get("family").asText();
            ChatTemplate t = templates.computeIfAbsent(family, f -> {
                try {
                    return ChatTemplate.of(Files.readString(DIR.resolve("templates/" + f + ".jinja")),
                            m.convertValue(families.get(f).get("special_tokens"), Map.class));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Conversation chat = Conversation.fromJson(((com.fasterxml.jackson.databind.node.ObjectNode) convs.get(c.get("id").asText()).deepCopy()).without("id"), family);
            boolean gen = c.get("add_generation_prompt").asBoolean();
            String label = family + "/" + c.get("id").asText() + " gen=" + gen;
            if (c.get("ok").asBoolean()) {
                try {
                    String got = t.render(chat, gen);
                    if (!got.equals(c.get("text").asText())) {
                        failures.add(label + ": got " + m.writeValueAsString(got) + "\n   want " + m.writeValueAsString(c.get("text").asText()));
                    }
                } catch (GlassboxException e) {
                    failures.add(label + ": " + e.getMessage());
                }
            } else {
                raised++;
                GlassboxException e = assertThrows(GlassboxException.class, () -> t.render(chat, gen), label);
                assertTrue(e.getMessage().contains(c.get("error").asText()), label + ": " + e.getMessage());
            }
        }
        assertTrue(raised > 10, "the fixtures hold raising cases");
        assertEquals(List.of(), failures, failures.size() + " of " + expected.get("cases").size() + " differ");
    }
}
