package dev.glassbox.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.tokenizer.ByteLevelBpeJson;
import dev.glassbox.GlassboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer: every byte has a token (those {@link BpeTrainer} makes are ids
 * 0..255, in byte order, then one token per merge, then the special tokens). Encoding is GPT-2's: split by {@link ByteLevel#GPT2_SPLIT},
 * then inside each piece repeatedly merge the adjacent pair with the lowest merge rank. Special
 * tokens written literally in the text are matched first, as HuggingFace's added tokens are.
 *
 * <p>{@link #writeTokenizerJson} writes the file HuggingFace tokenizers (and so transformers'
 * GPT2TokenizerFast and glassbox's TextTokenizer) read: a BPE model with vocab and merges,
 * ByteLevel pre-tokenizer, post-processor and decoder, and the special tokens as added tokens.
 */
public final class BpeTokenizer {

    /** GPT-2's end-of-text token. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private final List<String> tokens; // id -> byte-level token string
    private final List<int[]> merges; // rank -> {left id, right id, merged id}
    private final List<String> specials;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Long, int[]> mergeByPair = new HashMap<>(); // (left, right) -> {rank, merged}
    private final Map<String, int[]> cache = new HashMap<>();
    private final int[] byteIds = new int[256];

    /**
     * @param tokens every token string by id (bytes, merged tokens, then specials)
     * @param merges {left, right, merged} ids, in the order they were learned
     * @param specials the special tokens (each also in {@code tokens})
     */
    public BpeTokenizer(List<String> tokens, List<int[]> merges, List<String> specials) {
        this.tokens = List.copyOf(tokens);
        this.merges = List.copyOf(merges);
        this.specials = List.copyOf(specials);
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.put(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("token '" + tokens.get(i) + "' appears twice");
            }
        }
        for (int r = 0; r < merges.size(); r++) {
            int[] m = merges.get(r);
            if (!tokens.get(m[2]).equals(tokens.get(m[0]) + tokens.get(m[1]))) {
                throw new IllegalArgumentException("merge " + r + " does not concatenate its parts");
            }
            mergeByPair.putIfAbsent(key(m[0], m[1]), new int[] {r, m[2]});
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.valueOf(ByteLevel.byteChar(b)));
            if (id == null) {
                throw new IllegalArgumentException("byte " + b + " has no token");
            }
            byteIds[b] = id;
        }
        for (String s : specials) {
            if (!ids.containsKey(s)) {
                throw new IllegalArgumentException("special token " + s + " has no id");
            }
        }
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    public int vocabSize() {
        return tokens.size();
    }

    public List<String> tokens() {
        return tokens;
    }

    public List<int[]> merges() {
        return Collections.unmodifiableList(merges);
    }

    public List<String> specials() {
        return specials;
    }

    /** The id of a token string, or -1. */
    public int id(String token) {
        Integer i = ids.get(token);
        return i == null ? -1 : i;
    }

    public String token(int id) {
        return tokens.get(id);
    }

    /** The ids of {@code text} (no special tokens are added). */
    public long[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int next = -1;
            String special = null;
            for (String s : specials) {
                int at = text.indexOf(s, pos);
                if (at >= 0 && (next < 0 || at < next || (at == next && s.length() > special.length()))) {
                    next = at;
                    special = s;
                }
            }
            int end = next < 0 ? text.length() : next;
            if (end > pos) {
                for (String piece : ByteLevel.split(text.substring(pos, end))) {
                    for (int id : encodePiece(piece)) {
                        out.add(id);
                    }
                }
            }
            if (next < 0) {
                break;
            }
            out.add(ids.get(special));
            pos = next + special.length();
        }
        long[] result = new long[out.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = out.get(i);
        }
        return result;
    }

    /** The ids of one pre-tokenized piece (cached: pieces repeat). */
    int[] encodePiece(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int[] sym = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            sym[i] = byteIds[bytes[i] & 0xFF];
        }
        int n = sym.length;
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE;
            int[] best = null;
            for (int i = 0; i + 1 < n; i++) {
                int[] m = mergeByPair.get(key(sym[i], sym[i + 1]));
                if (m != null && m[0] < bestRank) {
                    bestRank = m[0];
                    best = m;
                }
            }
            if (best == null) {
                break;
            }
            int left = merges.get(best[0])[0];
            int right = merges.get(best[0])[1];
            int w = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && sym[i] == left && sym[i + 1] == right) {
                    sym[w++] = best[1];
                    i++;
                } else {
                    sym[w++] = sym[i];
                }
            }
            n = w;
        }
        int[] result = java.util.Arrays.copyOf(sym, n);
        if (cache.size() < 1_000_000) {
            cache.put(piece, result);
        }
        return result;
    }

    /** The text of {@code ids} (special tokens written as themselves). */
    public String decode(long[] idList) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (long id : idList) {
            String t = tokens.get((int) id);
            if (specials.contains(t)) {
                bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
            } else {
                bytes.writeBytes(ByteLevel.decodeBytes(t));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The tokenizer.json document, in the layout HuggingFace tokenizers writes for GPT-2. */
    public ObjectNode toJson() {
        ObjectNode root = ByteLevelBpeJson.root();
        ArrayNode added = root.putArray("added_tokens");
        for (String s : specials) {
            ObjectNode a = added.addObject();
            a.put("id", ids.get(s));
            a.put("content", s);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", true);
            a.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", ByteLevelBpeJson.byteLevel(false, true));
        root.set("post_processor", ByteLevelBpeJson.byteLevel(true, false));
        root.set("decoder", ByteLevelBpeJson.byteLevel(true, true));
        ObjectNode vocab = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
        }
        ArrayNode mergeList = JsonNodeFactory.instance.arrayNode();
        for (int[] m : merges) {
            ArrayNode pair = mergeList.addArray();
            pair.add(tokens.get(m[0]));
            pair.add(tokens.get(m[1]));
        }
        root.set("model", ByteLevelBpeJson.bpeModel(vocab, mergeList));
        return root;
    }

    /**
     * Writes {@code tokenizer.json} and a {@code tokenizer_config.json} that names the special
     * token as transformers' GPT2TokenizerFast expects.
     */
    public void writeTokenizerJson(Path dir, int modelMaxLength) {
        try {
            Files.createDirectories(dir);
            ObjectMapper json = new ObjectMapper();
            Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(toJson()), StandardCharsets.UTF_8);
            ObjectNode cfg = json.createObjectNode();
            cfg.put("tokenizer_class", "GPT2Tokenizer");
            if (specials.contains(END_OF_TEXT)) {
                cfg.put("bos_token", END_OF_TEXT);
                cfg.put("eos_token", END_OF_TEXT);
                cfg.put("unk_token", END_OF_TEXT);
            }
            cfg.put("add_prefix_space", false);
            cfg.put("clean_up_tokenization_spaces", false);
            cfg.put("model_max_length", modelMaxLength);
            json.enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
        } catch (IOException e) {
            throw new GlassboxException(dir + ": cannot write the tokenizer: " + e.getMessage(), e);
        }
    }

    /** Reads a byte-level BPE tokenizer.json written by {@link #writeTokenizerJson} (or GPT-2's). */
    public static BpeTokenizer readTokenizerJson(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText()) || !"ByteLevel".equals(root.path("pre_tokenizer").path("type").asText())) {
            throw new GlassboxException(file + ": not a byte-level BPE tokenizer");
        }
        Map<Integer, String> byId = new HashMap<>();
        model.path("vocab").fields().forEachRemaining(e -> byId.put(e.getValue().asInt(), e.getKey()));
        List<String> specials = new ArrayList<>();
        for (JsonNode a : root.path("added_tokens")) {
            byId.put(a.path("id").asInt(), a.path("content").asText());
            if (a.path("special").asBoolean()) {
                specials.add(a.path("content").asText());
            }
        }
        List<String> toks = new ArrayList<>();
        for (int i = 0; i < byId.size(); i++) {
            String t = byId.get(i);
            if (t == null) {
                throw new GlassboxException(file + ": ids are not contiguous (no token " + i + ")");
            }
            toks.add(t);
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < toks.size(); i++) {
            index.put(toks.get(i), i);
        }
        List<int[]> ms = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            String a;
            String b;
            if (m.isArray()) {
                a = m.get(0).asText();
                b = m.get(1).asText();
            } else {
                String[] parts = m.asText().split(" ", 2);
                a = parts[0];
                b = parts[1];
            }
            ms.add(new int[] {index.get(a), index.get(b), index.get(a + b)});
        }
        return new BpeTokenizer(toks, ms, specials);
    }
}
