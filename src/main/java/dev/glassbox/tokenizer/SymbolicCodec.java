package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.glassbox.GlassboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * A closed vocabulary of symbolic tokens from {@code token_mappings.json} ({@code token2id} /
 * {@code id2token}), as in capp-gpt2-tiny. Tokens may contain spaces ("Sand Casting"), so text is
 * split at commas and, within a comma-separated part, matched greedily against the longest run of
 * space-separated words that forms a token. Decoding joins tokens with ", ", which reads like the
 * model's own documentation and encodes back to the same ids.
 */
final class SymbolicCodec implements Codec {

    static final String SEPARATOR = ", ";

    private final Vocabulary vocab;
    private final String source;
    private final int maxWords;

    private SymbolicCodec(Vocabulary vocab, String source) {
        this.vocab = vocab;
        this.source = source;
        int words = 1;
        for (long id : vocab.ids()) {
            words = Math.max(words, vocab.token(id).split(" ").length);
        }
        this.maxWords = words;
    }

    Vocabulary vocabulary() {
        return vocab;
    }

    /** Reads token_mappings.json; tokens written like {@code <EOS>} count as special. */
    static SymbolicCodec load(Path file) {
        JsonNode root = Gpt2BpeJson.readJson(file);
        Vocabulary.Builder b = new Vocabulary.Builder();
        JsonNode id2token = root.path("id2token");
        JsonNode token2id = root.path("token2id");
        if (id2token.isObject() && !id2token.isEmpty()) {
            Iterator<Map.Entry<String, JsonNode>> it = id2token.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                long id;
                try {
                    id = Long.parseLong(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new GlassboxException(file + ": id2token key '" + e.getKey() + "' is not a token id");
                }
                if (!e.getValue().isTextual()) {
                    throw new GlassboxException(file + ": id2token gives id " + id + " the token " + Vocabulary.clip(e.getValue())
                            + ", not a string");
                }
                put(b, Vocabulary.tokenId(LongNode.valueOf(id), file.toString(), "id2token", e.getValue().asText()), e.getValue().asText());
            }
        } else if (token2id.isObject() && !token2id.isEmpty()) {
            Iterator<Map.Entry<String, JsonNode>> it = token2id.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                put(b, Vocabulary.tokenId(e.getValue(), file.toString(), "token2id", e.getKey()), e.getKey());
            }
        } else {
            throw new GlassboxException(file + " has neither a token2id nor an id2token object");
        }
        Vocabulary vocab = b.build();
        // The two tables must agree, otherwise ids would not round-trip.
        Iterator<Map.Entry<String, JsonNode>> it = token2id.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            long id = Vocabulary.tokenId(e.getValue(), file.toString(), "token2id", e.getKey());
            if (!e.getKey().equals(vocab.token(id))) {
                throw new GlassboxException(file + ": token2id gives '" + e.getKey() + "' id "
                        + id + " but id2token disagrees");
            }
        }
        return new SymbolicCodec(vocab, file.toString());
    }

    private static void put(Vocabulary.Builder b, long id, String token) {
        boolean special = token.length() > 2 && token.startsWith("<") && token.endsWith(">");
        b.put(id, token, special);
    }

    /** No special tokens are ever added: the vocabulary has no template saying which. */
    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        List<Long> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String[] words = part.trim().split("\\s+");
            int i = words[0].isEmpty() ? words.length : 0; // an empty part has no words
            while (i < words.length) {
                int taken = 0;
                for (int n = Math.min(maxWords, words.length - i); n >= 1 && taken == 0; n--) {
                    OptionalLong id = vocab.id(String.join(" ", List.of(words).subList(i, i + n)));
                    if (id.isPresent()) {
                        out.add(id.getAsLong());
                        taken = n;
                    }
                }
                if (taken == 0) {
                    throw new GlassboxException("'" + words[i] + "' is not a token of " + source
                            + " (write its tokens separated by commas, e.g. '" + example() + "')");
                }
                i += taken;
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private String example() {
        StringJoiner j = new StringJoiner(SEPARATOR);
        long[] ids = vocab.ids();
        for (int i = 0; i < ids.length && i < 3; i++) {
            j.add(vocab.token(ids[i]));
        }
        return j.toString();
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        StringJoiner j = new StringJoiner(SEPARATOR);
        for (long id : ids) {
            if (!(skipSpecialTokens && vocab.isSpecial(id))) {
                j.add(vocab.token(id));
            }
        }
        return j.toString();
    }

    @Override
    public void close() {}
}
