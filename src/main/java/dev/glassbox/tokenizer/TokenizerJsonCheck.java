package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Checks a tokenizer.json in Java before the native HF tokenizers library sees it. That library
 * panics, and a panic across JNI aborts the JVM, on some files it accepts at load time (a
 * TemplateProcessing post-processor naming a special token it does not define panics at the first
 * encode). So the parts glassbox relies on are checked here and refused in one line naming the
 * file and the token: the model type, the post-processor's tokens and ids against the vocabulary.
 */
final class TokenizerJsonCheck {

    private static final Set<String> MODELS = Set.of("BPE", "WordPiece", "WordLevel", "Unigram");
    private static final Set<String> PROCESSORS = Set.of(
            "TemplateProcessing", "ByteLevel", "BertProcessing", "RobertaProcessing", "Sequence");

    private TokenizerJsonCheck() {}

    /** Refuses {@code root} (read from {@code file}) unless its model and post-processor are sound. */
    static void check(JsonNode root, Vocabulary vocab, String file) {
        if (!root.isObject()) {
            throw new GlassboxException(file + ": not a JSON object");
        }
        JsonNode model = root.path("model");
        if (!model.isObject()) {
            throw new GlassboxException(file + ": has no model object");
        }
        JsonNode type = model.path("type");
        if (!type.isMissingNode() && !(type.isTextual() && MODELS.contains(type.asText()))) {
            throw new GlassboxException(file + ": unknown tokenizer model type " + Vocabulary.clip(type)
                    + " (known: BPE, WordPiece, WordLevel, Unigram)");
        }
        if (vocab.size() == 0) {
            throw new GlassboxException(file + ": the vocabulary is empty");
        }
        if ("Unigram".equals(type.asText()) && model.has("unk_id") && !model.get("unk_id").isNull()) {
            JsonNode unk = model.get("unk_id");
            if (!unk.isIntegralNumber() || !vocab.contains(unk.asLong())) {
                throw new GlassboxException(file + ": Unigram unk_id " + Vocabulary.clip(unk) + " is not an id of the vocabulary");
            }
        }
        JsonNode post = root.path("post_processor");
        if (!post.isMissingNode() && !post.isNull()) {
            checkProcessor(post, vocab, file, "post_processor");
        }
    }

    private static void checkProcessor(JsonNode p, Vocabulary vocab, String file, String where) {
        String type = p.path("type").asText("");
        if (!PROCESSORS.contains(type)) {
            throw new GlassboxException(file + ": " + where + " has unknown type " + Vocabulary.clip(p.path("type"))
                    + " (known: " + String.join(", ", PROCESSORS) + ")");
        }
        switch (type) {
            case "TemplateProcessing" -> checkTemplate(p, vocab, file, where);
            case "BertProcessing", "RobertaProcessing" -> {
                checkPair(p.path("sep"), vocab, file, where + ".sep");
                checkPair(p.path("cls"), vocab, file, where + ".cls");
            }
            case "Sequence" -> {
                JsonNode list = p.path("processors");
                if (!list.isArray()) {
                    throw new GlassboxException(file + ": " + where + " (Sequence) has no processors list");
                }
                for (int i = 0; i < list.size(); i++) {
                    checkProcessor(list.get(i), vocab, file, where + ".processors[" + i + "]");
                }
            }
            default -> { } // ByteLevel adds no tokens
        }
    }

    /** [token, id] as Bert/RobertaProcessing write sep and cls. */
    private static void checkPair(JsonNode pair, Vocabulary vocab, String file, String where) {
        if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual()) {
            throw new GlassboxException(file + ": " + where + " is " + Vocabulary.clip(pair) + ", expected [token, id]");
        }
        checkToken(pair.get(0).asText(), pair.get(1), vocab, file, where);
    }

    private static void checkTemplate(JsonNode p, Vocabulary vocab, String file, String where) {
        JsonNode specials = p.path("special_tokens");
        if (!specials.isMissingNode() && !specials.isObject()) {
            throw new GlassboxException(file + ": " + where + ".special_tokens is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = specials.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode ids = e.getValue().path("ids");
            JsonNode tokens = e.getValue().path("tokens");
            if (!ids.isArray() || !tokens.isArray() || ids.size() != tokens.size() || ids.isEmpty()) {
                throw new GlassboxException(file + ": " + where + " special token '" + Vocabulary.clip(name)
                        + "' needs lists ids and tokens of the same, non-zero length");
            }
            for (int i = 0; i < ids.size(); i++) {
                if (!tokens.get(i).isTextual()) {
                    throw new GlassboxException(file + ": " + where + " special token '" + Vocabulary.clip(name)
                            + "' has a token that is not a string: " + Vocabulary.clip(tokens.get(i)));
                }
                checkToken(tokens.get(i).asText(), ids.get(i), vocab, file, where + " special token '" + Vocabulary.clip(name) + "'");
            }
        }
        for (String part : new String[] {"single", "pair"}) {
            JsonNode pieces = p.path(part);
            if (pieces.isMissingNode()) {
                continue;
            }
            if (!pieces.isArray()) {
                throw new GlassboxException(file + ": " + where + "." + part + " is not a list");
            }
            for (JsonNode piece : pieces) {
                JsonNode special = piece.path("SpecialToken");
                JsonNode sequence = piece.path("Sequence");
                if (special.isObject()) {
                    String id = special.path("id").asText(null);
                    if (id == null || !specials.has(id)) {
                        throw new GlassboxException(file + ": " + where + "." + part + " names special token '"
                                + Vocabulary.clip(special.path("id").asText()) + "', which its special_tokens do not define");
                    }
                } else if (sequence.isObject()) {
                    String id = sequence.path("id").asText("");
                    if (!id.equals("A") && !id.equals("B")) {
                        throw new GlassboxException(file + ": " + where + "." + part + " has sequence "
                                + Vocabulary.clip(sequence.path("id")) + ", expected A or B");
                    }
                } else {
                    throw new GlassboxException(file + ": " + where + "." + part + " has piece " + Vocabulary.clip(piece)
                            + ", expected SpecialToken or Sequence");
                }
            }
        }
    }

    /** The token must exist in the vocabulary under exactly this id. */
    private static void checkToken(String token, JsonNode idNode, Vocabulary vocab, String file, String where) {
        long id = Vocabulary.tokenId(idNode, file, where, token);
        if (!vocab.contains(id)) {
            throw new GlassboxException(file + ": " + where + " uses token '" + Vocabulary.clip(token) + "' with id " + id
                    + ", which is not in the vocabulary (ids 0.." + (vocab.size() - 1) + ")");
        }
        if (!token.equals(vocab.token(id))) {
            throw new GlassboxException(file + ": " + where + " uses token '" + Vocabulary.clip(token) + "' with id " + id
                    + ", but the vocabulary's token " + id + " is '" + Vocabulary.clip(vocab.token(id)) + "'");
        }
    }
}
