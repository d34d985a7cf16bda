package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The id &lt;-&gt; token-string table of a tokenizer. DJL's HuggingFaceTokenizer has no id-to-token
 * lookup, so glassbox reads it from tokenizer.json itself: the model's vocabulary plus the added
 * tokens (which win where both name an id, as in HF tokenizers' own lookup).
 */
final class Vocabulary {

    private final String[] tokens; // index = id; null where the id is a hole
    private final Map<String, Long> ids;
    private final BitSet special;

    private Vocabulary(String[] tokens, Map<String, Long> ids, BitSet special) {
        this.tokens = tokens;
        this.ids = ids;
        this.special = special;
    }

    /** Collects (id, token) pairs and builds the dense table once the largest id is known. */
    static final class Builder {
        private final Map<Long, String> byId = new HashMap<>();
        private final Map<String, Long> ids = new HashMap<>();
        private final BitSet special = new BitSet();

        Builder put(long id, String token, boolean isSpecial) {
            if (id < 0 || id > Integer.MAX_VALUE - 8) {
                throw new GlassboxException("token id out of range: " + id + " (token '" + token + "')");
            }
            byId.put(id, token);
            ids.put(token, id);
            if (isSpecial) {
                special.set((int) id);
            }
            return this;
        }

        Vocabulary build() {
            long max = byId.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
            String[] tokens = new String[(int) (max + 1)];
            byId.forEach((id, token) -> tokens[id.intValue()] = token);
            return new Vocabulary(tokens, Map.copyOf(ids), (BitSet) special.clone());
        }
    }

    /**
     * Reads a tokenizer.json tree: {@code model.vocab} (an object token -&gt; id for BPE, WordPiece
     * and WordLevel; a list of [piece, score] for Unigram, where the position is the id), then
     * {@code added_tokens}.
     */
    static Vocabulary fromTokenizerJson(JsonNode root) {
        Builder b = new Builder();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = vocab.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                b.put(e.getValue().asLong(), e.getKey(), false);
            }
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                b.put(i, vocab.get(i).path(0).asText(), false);
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            b.put(added.path("id").asLong(), added.path("content").asText(),
                    added.path("special").asBoolean(false));
        }
        return b.build();
    }

    /** Max id + 1: the size an embedding matrix needs to cover every token. */
    int size() {
        return tokens.length;
    }

    boolean contains(long id) {
        return id >= 0 && id < tokens.length && tokens[(int) id] != null;
    }

    /** The token string, or null when the id names no token. */
    String token(long id) {
        return contains(id) ? tokens[(int) id] : null;
    }

    OptionalLong id(String token) {
        Long id = ids.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    boolean isSpecial(long id) {
        return contains(id) && special.get((int) id);
    }
}
