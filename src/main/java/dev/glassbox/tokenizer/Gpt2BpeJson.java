package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes, in memory, the tokenizer.json that HF transformers' GPT2Converter would produce from a
 * slow GPT-2 tokenizer's {@code vocab.json} + {@code merges.txt}: byte-level BPE, no normalizer,
 * ByteLevel pre-tokenizer / decoder / post-processor, plus the added and special tokens named in
 * tokenizer_config.json and special_tokens_map.json. DJL's own vocab+merges constructor builds a
 * bare BPE model without the byte-level pieces, which encodes spaces and non-ASCII text wrongly.
 */
final class Gpt2BpeJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The special-token keys transformers reads from tokenizer_config / special_tokens_map. */
    private static final List<String> SPECIAL_KEYS = List.of(
            "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
            "mask_token", "additional_special_tokens");

    private Gpt2BpeJson() {}

    static ObjectNode build(Path dir) {
        Path vocabFile = dir.resolve("vocab.json");
        Path mergesFile = dir.resolve("merges.txt");
        JsonNode vocab = readJson(vocabFile);
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw new GlassboxException(vocabFile + " is not a JSON object of token -> id");
        }
        JsonNode config = readOptionalJson(dir.resolve("tokenizer_config.json"));
        JsonNode specialMap = readOptionalJson(dir.resolve("special_tokens_map.json"));

        ObjectNode root = ByteLevelBpeJson.root();
        ArrayNode added = addedTokens(vocab, config, specialMap);
        root.set("added_tokens", added);
        root.putNull("normalizer");
        // add_prefix_space comes from the slow tokenizer's config (GPT-2: false).
        boolean prefixSpace = config.path("add_prefix_space").asBoolean(false);
        root.set("pre_tokenizer", ByteLevelBpeJson.byteLevel(prefixSpace, true));
        // GPT2Converter's ByteLevel post-processor adds no tokens (it only trims offsets); a config
        // with add_bos_token (e.g. OPT) makes GPT2Tokenizer put BOS before each sequence instead.
        String bos = tokenContent(config.path("bos_token"));
        if (bos == null) {
            bos = tokenContent(specialMap.path("bos_token"));
        }
        JsonNode bosId = bos == null ? null : idOf(added, bos);
        if (config.path("add_bos_token").asBoolean(false) && bosId != null) {
            root.set("post_processor", bosTemplate(bos, bosId.asLong()));
        } else {
            root.set("post_processor", ByteLevelBpeJson.byteLevel(true, false));
        }
        root.set("decoder", ByteLevelBpeJson.byteLevel(true, true));

        root.set("model", ByteLevelBpeJson.bpeModel(vocab, merges(mergesFile)));
        return root;
    }

    /** TemplateProcessing for "BOS A" and "BOS A BOS B", as GPT2Tokenizer builds them. */
    private static ObjectNode bosTemplate(String bos, long id) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "TemplateProcessing");
        ArrayNode single = n.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = n.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode special = n.putObject("special_tokens").putObject(bos);
        special.put("id", bos);
        special.putArray("ids").add(id);
        special.putArray("tokens").add(bos);
        return n;
    }

    /** A special token is either a plain string or {"content": ..., ...}; null when absent. */
    private static String tokenContent(JsonNode v) {
        String content = v.isTextual() ? v.asText() : v.path("content").asText(null);
        return content == null || content.isEmpty() ? null : content;
    }

    private static JsonNode idOf(ArrayNode added, String content) {
        for (JsonNode t : added) {
            if (t.path("content").asText().equals(content)) {
                return t.path("id");
            }
        }
        return null;
    }

    /** merges.txt: a "#version" header, then one "left right" pair a line. */
    private static ArrayNode merges(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + file + ": " + e.getMessage(), e);
        }
        ArrayNode out = JSON.createArrayNode();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || line.startsWith("#version")) {
                continue;
            }
            String[] pair = line.split(" ");
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty()) {
                throw new GlassboxException(
                        file + " line " + (i + 1) + ": expected two tokens separated by one space, found '"
                                + line + "'");
            }
            // The pair form (not "a b" strings) so that no token content is re-split by the parser.
            out.addArray().add(pair[0]).add(pair[1]);
        }
        return out;
    }

    /**
     * Added tokens the way a slow tokenizer knows them: tokenizer_config's added_tokens_decoder
     * (exact ids and flags), then any special token named there or in special_tokens_map.json.
     * A named special token missing from the vocabulary gets the next free id, as transformers does.
     */
    private static ArrayNode addedTokens(JsonNode vocab, JsonNode config, JsonNode specialMap) {
        Map<Long, ObjectNode> byId = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = config.path("added_tokens_decoder").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode t = e.getValue();
            long id;
            try {
                id = Long.parseLong(e.getKey());
            } catch (NumberFormatException ex) {
                throw new GlassboxException("tokenizer_config.json: added_tokens_decoder key '" + e.getKey()
                        + "' is not a token id");
            }
            byId.put(id, addedToken(id, t.path("content").asText(), t.path("special").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(false), t.path("single_word").asBoolean(false)));
        }
        long nextId = 0;
        Iterator<JsonNode> ids = vocab.elements();
        while (ids.hasNext()) {
            nextId = Math.max(nextId, ids.next().asLong() + 1);
        }
        for (JsonNode source : List.of(specialMap, config)) {
            for (String key : SPECIAL_KEYS) {
                JsonNode value = source.path(key);
                for (JsonNode v : value.isArray() ? value : List.of(value)) {
                    String content = tokenContent(v);
                    if (content == null || containsContent(byId, content)) {
                        continue;
                    }
                    JsonNode known = vocab.get(content);
                    long id = known != null ? known.asLong() : Math.max(nextId, maxKey(byId) + 1);
                    byId.put(id, addedToken(id, content, true, false, false, false, false));
                }
            }
        }
        ArrayNode out = JSON.createArrayNode();
        byId.values().forEach(out::add);
        return out;
    }

    private static boolean containsContent(Map<Long, ObjectNode> byId, String content) {
        return byId.values().stream().anyMatch(n -> n.path("content").asText().equals(content));
    }

    private static long maxKey(Map<Long, ObjectNode> byId) {
        return byId.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    private static ObjectNode addedToken(long id, String content, boolean special, boolean lstrip,
            boolean rstrip, boolean normalized, boolean singleWord) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id);
        n.put("content", content);
        n.put("single_word", singleWord);
        n.put("lstrip", lstrip);
        n.put("rstrip", rstrip);
        n.put("normalized", normalized);
        n.put("special", special);
        return n;
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + file + ": " + oneLine(e.getMessage()), e);
        }
    }

    /** A missing optional file reads as an empty object, so lookups simply find nothing. */
    static JsonNode readOptionalJson(Path file) {
        return Files.isRegularFile(file) ? readJson(file) : JSON.createObjectNode();
    }

    static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).trim();
    }
}
