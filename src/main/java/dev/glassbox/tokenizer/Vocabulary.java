package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The id &lt;-&gt; token-string table of a tokenizer. DJL's HuggingFaceTokenizer has no id-to-token
 * lookup, so glassbox reads it from tokenizer.json itself: the model's vocabulary plus the added
 * tokens (which win where both name an id, as in HF tokenizers' own lookup).
 */
final class Vocabulary {

    // Parallel arrays sorted by id: memory follows the number of tokens, not the largest id, so a
    // file naming id 2,000,000,000 costs one entry (and is refused against the model's vocabulary).
    private final long[] idList;
    private final String[] tokenList;
    private final Map<String, Long> ids;
    private final Set<Long> special;

    private Vocabulary(long[] idList, String[] tokenList, Map<String, Long> ids, Set<Long> special) {
        this.idList = idList;
        this.tokenList = tokenList;
        this.ids = ids;
        this.special = special;
    }

    /** Collects (id, token) pairs; a later pair for the same id wins. */
    static final class Builder {
        private final TreeMap<Long, String> byId = new TreeMap<>();
        private final Map<String, Long> ids = new HashMap<>();
        private final Set<Long> special = new HashSet<>();

        Builder put(long id, String token, boolean isSpecial) {
            // HF tokenizers' ids are u32; an embedding row index must also fit a Java int.
            if (id < 0 || id > Integer.MAX_VALUE - 8) {
                throw new GlassboxException("token id out of range: " + id + " (token '" + token + "')");
            }
            byId.put(id, token);
            ids.put(token, id);
            if (isSpecial) {
                special.add(id);
            } else {
                special.remove(id);
            }
            return this;
        }

        Vocabulary build() {
            long[] idList = new long[byId.size()];
            String[] tokenList = new String[byId.size()];
            int i = 0;
            for (Map.Entry<Long, String> e : byId.entrySet()) {
                idList[i] = e.getKey();
                tokenList[i++] = e.getValue();
            }
            return new Vocabulary(idList, tokenList, Map.copyOf(ids), Set.copyOf(special));
        }
    }

    /**
     * Reads a tokenizer.json tree: {@code model.vocab} (an object token -&gt; id for BPE, WordPiece
     * and WordLevel; a list of [piece, score] for Unigram, where the position is the id), then
     * {@code added_tokens}. Ids must be non-negative integers; anything else is refused naming
     * {@code file} and the token, since HF tokenizers would otherwise fail later, or abort.
     */
    static Vocabulary fromTokenizerJson(JsonNode root, String file) {
        Builder b = new Builder();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = vocab.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                b.put(tokenId(e.getValue(), file, "model.vocab", e.getKey()), e.getKey(), false);
            }
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode piece = vocab.get(i);
                if (!piece.isArray() || piece.size() != 2 || !piece.get(0).isTextual() || !piece.get(1).isNumber()) {
                    throw new GlassboxException(file + ": model.vocab entry " + i + " is " + clip(piece)
                            + ", expected [piece, score]");
                }
                b.put(i, piece.get(0).asText(), false);
            }
        } else if (!vocab.isMissingNode()) {
            throw new GlassboxException(file + ": model.vocab is " + clip(vocab) + ", expected an object of token -> id or a list");
        }
        JsonNode addedTokens = root.path("added_tokens");
        if (!addedTokens.isMissingNode() && !addedTokens.isNull() && !addedTokens.isArray()) {
            throw new GlassboxException(file + ": added_tokens is not a list");
        }
        for (JsonNode added : addedTokens) {
            JsonNode content = added.path("content");
            if (!content.isTextual()) {
                throw new GlassboxException(file + ": an added_tokens entry has no content string: " + clip(added));
            }
            b.put(tokenId(added.path("id"), file, "added_tokens", content.asText()), content.asText(),
                    added.path("special").asBoolean(false));
        }
        return b.build();
    }

    /** A token id as a file writes it: a non-negative integer below 2^31 - 8. */
    static long tokenId(JsonNode n, String file, String where, String token) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0 || n.longValue() > Integer.MAX_VALUE - 8) {
            throw new GlassboxException(file + ": " + where + " gives token '" + clip(token) + "' the id " + clip(n)
                    + ", not a token id (a non-negative integer below 2^31)");
        }
        return n.longValue();
    }

    /** A value cut short for a one-line message. */
    static String clip(Object o) {
        String s = String.valueOf(o).replace('\n', ' ').replace('\r', ' ');
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /** Max id + 1: the size an embedding matrix needs to cover every token. */
    int size() {
        return idList.length == 0 ? 0 : (int) idList[idList.length - 1] + 1;
    }

    /** The ids that name a token, in increasing order (there may be holes). */
    long[] ids() {
        return idList.clone();
    }

    boolean contains(long id) {
        return Arrays.binarySearch(idList, id) >= 0;
    }

    /** The token string, or null when the id names no token. */
    String token(long id) {
        int i = Arrays.binarySearch(idList, id);
        return i >= 0 ? tokenList[i] : null;
    }

    OptionalLong id(String token) {
        Long id = ids.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    boolean isSpecial(long id) {
        return special.contains(id);
    }
}
