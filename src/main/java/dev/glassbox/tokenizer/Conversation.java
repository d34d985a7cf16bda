package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chat to render: {@code messages} (role/content dicts, as transformers takes them), optional
 * {@code tools} (JSON schemas) and {@code extra} template keyword arguments (e.g.
 * {@code enable_thinking}). On disk: {@code {"messages": [...], "tools": [...], "extra": {...}}}.
 *
 * @param messages the messages, as plain maps and lists
 * @param tools the tool schemas, or null when none are given (transformers passes None)
 * @param extra the template's keyword arguments; empty when none
 */
public record Conversation(List<Object> messages, List<Object> tools, Map<String, Object> extra) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public Conversation {
        messages = messages == null ? List.of() : messages;
        extra = extra == null ? Map.of() : extra;
    }

    /** Messages alone, no tools, no extra arguments. */
    public static Conversation of(List<Object> messages) {
        return new Conversation(messages, null, Map.of());
    }

    /** Reads a conversation file; a GlassboxException naming the file and field when it is malformed. */
    public static Conversation read(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new GlassboxException("cannot read messages file " + file + ": " + e.getMessage(), e);
        }
        return fromJson(root, file.toString());
    }

    /** Builds a conversation from its JSON object; {@code what} names it in errors. */
    public static Conversation fromJson(JsonNode root, String what) {
        if (root == null || !root.isObject()) {
            throw new GlassboxException(what + ": expected a JSON object {\"messages\": [...], \"tools\": [...], \"extra\": {...}}");
        }
        for (var it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("messages") && !f.equals("tools") && !f.equals("extra")) {
                throw new GlassboxException(what + ": unknown field '" + f + "' (expected messages, tools, extra)");
            }
        }
        JsonNode msgs = root.get("messages");
        if (msgs == null || !msgs.isArray()) {
            throw new GlassboxException(what + ": 'messages' must be a list of {\"role\": ..., \"content\": ...} objects");
        }
        if (msgs.isEmpty()) {
            throw new GlassboxException(what + ": 'messages' is empty; a chat template needs at least one message");
        }
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            if (!m.isObject() || !m.has("role")) {
                throw new GlassboxException(what + ": messages[" + i + "] must be an object with a 'role'");
            }
        }
        JsonNode tools = root.get("tools");
        if (tools != null && !tools.isNull() && !tools.isArray()) {
            throw new GlassboxException(what + ": 'tools' must be a list of tool schemas");
        }
        JsonNode extra = root.get("extra");
        if (extra != null && !extra.isNull() && !extra.isObject()) {
            throw new GlassboxException(what + ": 'extra' must be an object of template keyword arguments");
        }
        @SuppressWarnings("unchecked")
        List<Object> m = MAPPER.convertValue(msgs, List.class);
        @SuppressWarnings("unchecked")
        List<Object> t = tools == null || tools.isNull() ? null : MAPPER.convertValue(tools, List.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> x = extra == null || extra.isNull() ? Map.of() : MAPPER.convertValue(extra, LinkedHashMap.class);
        return new Conversation(m, t, x);
    }
}
