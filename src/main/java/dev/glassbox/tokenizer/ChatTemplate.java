package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A checkpoint's chat template(s), rendered as transformers' {@code apply_chat_template} renders
 * them (see {@link ChatJinja}). Templates are read as transformers reads them: {@code chat_template.jinja}
 * (the default) and {@code additional_chat_templates/NAME.jinja}, else {@code tokenizer_config.json}'s
 * {@code chat_template} (one string, or a list of {@code {"name", "template"}}), else a processor's
 * {@code chat_template.json}. The template sees {@code messages}, {@code tools}, {@code documents},
 * {@code add_generation_prompt}, the named special tokens ({@code bos_token}, {@code eos_token}, …,
 * every {@code *_token} string of tokenizer_config) and the extra keyword arguments.
 */
public final class ChatTemplate {

    private static final List<String> NAMED_TOKENS =
            List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    private final Map<String, String> templates;
    private final Map<String, Object> specialTokens;
    private final String source;
    private final ChatJinja jinja = new ChatJinja();

    private ChatTemplate(Map<String, String> templates, Map<String, Object> specialTokens, String source) {
        this.templates = templates;
        this.specialTokens = specialTokens;
        this.source = source;
    }

    /** One template with the given special tokens (e.g. {@code bos_token}). */
    public static ChatTemplate of(String template, Map<String, ?> specialTokens) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("default", template);
        return new ChatTemplate(t, new LinkedHashMap<>(specialTokens), "(given template)");
    }

    /** The chat template of a tokenizer folder; a GlassboxException when it has none. */
    public static ChatTemplate load(Path dir) {
        return find(dir).orElseThrow(() -> new GlassboxException("no chat template in " + dir
                + ": expected chat_template.jinja or a 'chat_template' in tokenizer_config.json"
                + " (use --prompt for plain text)"));
    }

    /** The chat template of a tokenizer folder, or empty when it has none. */
    public static Optional<ChatTemplate> find(Path dir) {
        JsonNode config = Gpt2BpeJson.readOptionalJson(dir.resolve("tokenizer_config.json"));
        Map<String, String> templates = new LinkedHashMap<>();
        String source;
        Path jinjaFile = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinjaFile)) {
            templates.put("default", read(jinjaFile));
        }
        Path extraDir = dir.resolve("additional_chat_templates");
        if (Files.isDirectory(extraDir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(extraDir, "*.jinja")) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    templates.put(name.substring(0, name.length() - ".jinja".length()), read(p));
                }
            } catch (IOException e) {
                throw new GlassboxException("cannot list " + extraDir + ": " + e.getMessage(), e);
            }
        }
        source = jinjaFile + (templates.size() > (templates.containsKey("default") ? 1 : 0) ? " + " + extraDir : "");
        if (templates.isEmpty()) {
            source = dir.resolve("tokenizer_config.json") + " chat_template";
            addTemplates(templates, config.get("chat_template"), source);
        }
        if (templates.isEmpty()) {
            Path legacy = dir.resolve("chat_template.json");
            if (Files.isRegularFile(legacy)) {
                source = legacy.toString();
                addTemplates(templates, Gpt2BpeJson.readOptionalJson(legacy).get("chat_template"), source);
            }
        }
        if (templates.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ChatTemplate(templates, specialTokens(dir, config), source));
    }

    private static void addTemplates(Map<String, String> templates, JsonNode node, String what) {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isTextual()) {
            templates.put("default", node.asText());
        } else if (node.isArray()) {
            for (JsonNode t : node) {
                if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                    throw new GlassboxException(what + ": each entry of the list must be {\"name\": ..., \"template\": ...}");
                }
                templates.put(t.get("name").asText(), t.get("template").asText());
            }
        } else {
            throw new GlassboxException(what + " must be a string or a list of {\"name\", \"template\"}, found " + node.getNodeType());
        }
    }

    /**
     * The special tokens transformers passes to templates: the named ones, every other
     * {@code *_token} string, a dict of {@code extra_special_tokens}; special_tokens_map.json
     * overrides them where tokenizer_config has no added_tokens_decoder (transformers' legacy path).
     */
    private static Map<String, Object> specialTokens(Path dir, JsonNode config) {
        Map<String, Object> out = new LinkedHashMap<>();
        config.fields().forEachRemaining(e -> {
            String k = e.getKey();
            String v = tokenText(e.getValue());
            if (v != null && (NAMED_TOKENS.contains(k) || k.endsWith("_token"))) {
                out.put(k, v);
            }
        });
        JsonNode extra = config.get("extra_special_tokens");
        if (extra != null && extra.isObject()) {
            extra.fields().forEachRemaining(e -> {
                String v = tokenText(e.getValue());
                if (v != null) {
                    out.put(e.getKey(), v);
                }
            });
        }
        if (!config.has("added_tokens_decoder")) {
            JsonNode map = Gpt2BpeJson.readOptionalJson(dir.resolve("special_tokens_map.json"));
            map.fields().forEachRemaining(e -> {
                String v = tokenText(e.getValue());
                if (v != null) {
                    out.put(e.getKey(), v);
                }
            });
        }
        return out;
    }

    /** A token as tokenizer_config writes it: a string or an AddedToken object with "content". */
    private static String tokenText(JsonNode v) {
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return v.get("content").asText();
        }
        return null;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    /** The template names: "default" for a single template. */
    public Set<String> names() {
        return new TreeSet<>(templates.keySet());
    }

    /** The special tokens the template sees (bos_token, eos_token, …). */
    public Map<String, Object> specialTokens() {
        return Map.copyOf(specialTokens);
    }

    /** The eos_token string, if the tokenizer names one. */
    public Optional<String> eosToken() {
        Object v = specialTokens.get("eos_token");
        return v instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** Where the template was read from. */
    public String source() {
        return source;
    }

    /** Renders with the template transformers picks: "tool_use" when tools are given and it exists, else "default". */
    public String render(Conversation chat, boolean addGenerationPrompt) {
        return render(chat, addGenerationPrompt, null);
    }

    /**
     * Renders {@code chat} with the template called {@code name} (null: transformers' choice). A
     * template that raises gives a GlassboxException carrying its message; one Jinjava cannot
     * render gives one naming the construct.
     */
    public String render(Conversation chat, boolean addGenerationPrompt, String name) {
        String template = select(name, chat.tools() != null);
        if (chat.messages().isEmpty()) {
            throw new GlassboxException("cannot apply the chat template to an empty conversation: give at least one message");
        }
        for (String reserved : List.of("messages", "tools", "documents", "add_generation_prompt")) {
            if (chat.extra().containsKey(reserved)) {
                throw new GlassboxException("'extra' may not set '" + reserved + "'; give it as its own field");
            }
        }
        Map<String, Object> ctx = new HashMap<>(specialTokens);
        // JSON nulls inside the chat are Python's None (defined, prints "None"), not undefined
        chat.extra().forEach((k, v) -> ctx.put(k, PyNone.wrapNulls(v)));
        ctx.put("messages", PyNone.wrapNulls(chat.messages()));
        ctx.put("tools", chat.tools() == null ? null : PyNone.wrapNulls(chat.tools()));
        ctx.put("documents", null);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        return jinja.render(template, ctx);
    }

    private String select(String name, boolean hasTools) {
        if (name != null) {
            String t = templates.get(name);
            if (t == null) {
                throw new GlassboxException("no chat template named '" + name + "' in " + source + "; it has " + names());
            }
            return t;
        }
        if (hasTools && templates.containsKey("tool_use")) {
            return templates.get("tool_use");
        }
        if (templates.containsKey("default")) {
            return templates.get("default");
        }
        throw new GlassboxException(source + " has several chat templates and none is named 'default': pick one with"
                + " --chat-template NAME from " + names());
    }
}
