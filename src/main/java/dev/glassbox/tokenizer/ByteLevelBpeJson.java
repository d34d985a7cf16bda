package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The pieces of a byte-level BPE {@code tokenizer.json} (GPT-2's layout, as HuggingFace tokenizers
 * writes it), shared by the GPT-2 vocab/merges converter and the BPE trainer.
 */
public final class ByteLevelBpeJson {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ByteLevelBpeJson() {}

    /** The document's head: format version, truncation and padding off. */
    public static ObjectNode root() {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root;
    }

    /** A ByteLevel pre-tokenizer, post-processor or decoder. */
    public static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode n = F.objectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }

    /** The BPE model: no unknown token, no subword prefix or suffix, no byte fallback. */
    public static ObjectNode bpeModel(JsonNode vocab, ArrayNode merges) {
        ObjectNode model = F.objectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.set("vocab", vocab);
        model.set("merges", merges);
        return model;
    }
}
