package dev.glassbox.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Text &lt;-&gt; token ids for a checkpoint folder. Looks, in order, for
 * <ol>
 *   <li>{@code tokenizer.json}, run by HF tokenizers (native, through DJL);
 *   <li>{@code vocab.json} + {@code merges.txt}, a slow GPT-2 tokenizer, turned into the
 *       equivalent byte-level BPE tokenizer.json in memory;
 *   <li>{@code token_mappings.json}, a closed symbolic vocabulary (see {@link SymbolicCodec});
 *   <li>a lone sentencepiece {@code tokenizer.model}: refused with a message saying how to get a
 *       tokenizer.json, since glassbox has no sentencepiece runtime.
 * </ol>
 * Encoding never truncates or pads. Every id handed to decode / tokenString / tokenText must name a
 * token of the vocabulary (see {@link #hasToken}); others are refused instead of silently dropped.
 */
public final class TextTokenizer implements AutoCloseable {

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final Pattern LETTERS = Pattern.compile("[A-Za-z]+");

    private final Codec codec;
    private final Vocabulary vocab;
    private final String source;
    /** transformers' clean_up_tokenization_spaces, honoured only when tokenizer_config says true. */
    private final boolean cleanUpSpaces;
    /** A plain token decoded before the one {@link #tokenText} shows; -1 where none is needed. */
    private final long anchor;
    private final String anchorText;

    private TextTokenizer(Codec codec, Vocabulary vocab, String source, boolean cleanUpSpaces, boolean useAnchor) {
        this.codec = codec;
        this.vocab = vocab;
        this.source = source;
        this.cleanUpSpaces = cleanUpSpaces;
        this.anchor = useAnchor ? findAnchor() : -1;
        this.anchorText = anchor < 0 ? "" : codec.decode(new long[] {anchor}, false);
    }

    /** The tokenizer of {@code checkpointDir}; a GlassboxException if it has none glassbox can use. */
    public static TextTokenizer load(Path checkpointDir) {
        return find(checkpointDir).orElseThrow(() -> new GlassboxException("no tokenizer in " + checkpointDir
                + ": expected tokenizer.json, vocab.json + merges.txt or token_mappings.json"
                + " (pass token ids with --ids to run without one)"));
    }

    /**
     * The tokenizer of {@code dir}, or empty when the folder holds no tokenizer files at all. A
     * folder that is missing, or whose tokenizer cannot be used, is a GlassboxException.
     */
    public static Optional<TextTokenizer> find(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new GlassboxException("not a directory: " + dir);
        }
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return Optional.of(fromTokenizerJson(dir.resolve("tokenizer.json")));
        }
        if (Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"))) {
            return Optional.of(fromVocabAndMerges(dir));
        }
        if (Files.isRegularFile(dir.resolve("token_mappings.json"))) {
            return Optional.of(fromTokenMappings(dir.resolve("token_mappings.json")));
        }
        if (Files.isRegularFile(dir.resolve("tokenizer.model"))) {
            throw new GlassboxException(dir + " has only a sentencepiece tokenizer.model; glassbox needs a"
                    + " tokenizer.json: write one with Python (transformers + sentencepiece):"
                    + " AutoTokenizer.from_pretrained('" + dir + "').save_pretrained('" + dir + "'),"
                    + " or pass token ids with --ids, which works without a tokenizer");
        }
        return Optional.empty();
    }

    /** Loads a tokenizer.json file (source (a)). */
    static TextTokenizer fromTokenizerJson(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode root = Gpt2BpeJson.readJson(file);
        Vocabulary vocab = Vocabulary.fromTokenizerJson(root, file.toString());
        TokenizerJsonCheck.check(root, vocab, file.toString()); // before the native library sees it
        Codec codec = HfCodec.fromJson(json, file.toString());
        return new TextTokenizer(codec, vocab, file.toString(), cleanUpSpaces(file.getParent()), true);
    }

    /** Builds the GPT-2 byte-level BPE tokenizer from vocab.json + merges.txt (source (b)). */
    static TextTokenizer fromVocabAndMerges(Path dir) {
        JsonNode json = Gpt2BpeJson.build(dir);
        String what = dir.resolve("vocab.json") + " + merges.txt";
        Vocabulary vocab = Vocabulary.fromTokenizerJson(json, what);
        TokenizerJsonCheck.check(json, vocab, what);
        Codec codec = HfCodec.fromJson(json.toString(), what);
        return new TextTokenizer(codec, vocab, what, cleanUpSpaces(dir), true);
    }

    /** Loads a token_mappings.json symbolic vocabulary (source (c)). */
    static TextTokenizer fromTokenMappings(Path file) {
        SymbolicCodec codec = SymbolicCodec.load(file);
        return new TextTokenizer(codec, codec.vocabulary(), file.toString(), false, false);
    }

    private static boolean cleanUpSpaces(Path dir) {
        if (dir == null) {
            return false;
        }
        JsonNode config = Gpt2BpeJson.readOptionalJson(dir.resolve("tokenizer_config.json"));
        return config.path("clean_up_tokenization_spaces").asBoolean(false);
    }

    /** The ids of {@code text} with the special tokens its tokenizer adds (HF's default), e.g. BOS. */
    public long[] encode(String text) {
        return encode(text, true);
    }

    /**
     * The ids of {@code text}; {@code addSpecialTokens} applies the tokenizer.json post-processor
     * (Llama's adds BOS, GPT-2's adds nothing). Empty text gives no ids, not a lone BOS.
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        if (text.isEmpty()) {
            return new long[0];
        }
        return codec.encode(text, addSpecialTokens);
    }

    /** The text of {@code ids}, special tokens included (HF's skip_special_tokens=False). */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    public String decode(long[] ids, boolean skipSpecial) {
        String text = decodeRaw(ids, skipSpecial);
        return cleanUpSpaces ? cleanUp(text) : text;
    }

    /** Decoding without transformers' space clean-up, whose rewrites would break streaming diffs. */
    String decodeRaw(long[] ids, boolean skipSpecial) {
        for (long id : ids) {
            requireToken(id);
        }
        return codec.decode(ids, skipSpecial);
    }

    /** transformers' clean_up_tokenization: drops the space the decoder put before punctuation. */
    private static String cleanUp(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The token as the vocabulary writes it: "Ġworld" (GPT-2), "▁Once" (Llama), "&lt;0x0A&gt;". */
    public String tokenString(long id) {
        requireToken(id);
        return vocab.token(id);
    }

    /**
     * What the token adds to running text: " world" for "Ġworld", "\n" for "&lt;0x0A&gt;", U+FFFD for a
     * lone byte of a multi-byte character. Unlike decode of the id alone, a sentencepiece word
     * token keeps its leading space (" Once" for "▁Once"): it is decoded after a plain anchor token
     * and the anchor's text is cut off, because Llama decoders strip the first space of a text.
     */
    public String tokenText(long id) {
        requireToken(id);
        if (anchor >= 0) {
            String both = codec.decode(new long[] {anchor, id}, false);
            if (both.startsWith(anchorText)) {
                return both.substring(anchorText.length());
            }
        }
        return codec.decode(new long[] {id}, false);
    }

    /** Max id + 1 over the vocabulary and the added tokens. */
    public int vocabSize() {
        return vocab.size();
    }

    /** Whether {@code id} names a token (ids past the vocabulary or in a hole do not). */
    public boolean hasToken(long id) {
        return vocab.contains(id);
    }

    /** The id of a token string as the vocabulary writes it (e.g. "Ġworld", "&lt;|endoftext|&gt;"). */
    public OptionalLong tokenId(String tokenString) {
        return vocab.id(tokenString);
    }

    /** Marked special in tokenizer.json's added_tokens (or written like &lt;EOS&gt; in token_mappings). */
    public boolean isSpecial(long id) {
        return vocab.isSpecial(id);
    }

    /**
     * Refuses a tokenizer that names ids the model has no embedding for: such a token could be
     * produced by encode but not run. {@code configFile} names where the model's size came from.
     */
    public void requireWithin(int modelVocabSize, String configFile) {
        if (vocab.size() > modelVocabSize) {
            long id = vocab.size() - 1;
            throw new GlassboxException(source + ": token '" + Vocabulary.clip(vocab.token(id)) + "' has id " + id
                    + ", beyond the model's vocabulary (vocab_size " + modelVocabSize + " in " + configFile + ")");
        }
    }

    /** The file(s) this tokenizer was read from. */
    public String source() {
        return source;
    }

    @Override
    public void close() {
        codec.close();
    }

    private void requireToken(long id) {
        if (!vocab.contains(id)) {
            throw new GlassboxException("token id " + id + " is not in the vocabulary of " + source
                    + " (ids 0.." + (vocab.size() - 1) + ")");
        }
    }

    /**
     * The first ordinary token (not special, not a &lt;0x..&gt; byte) that decodes to plain letters and
     * stays a prefix when decoded before another token; -1 if there is none.
     */
    private long findAnchor() {
        for (long id : vocab.ids()) {
            String token = vocab.token(id);
            if (token == null || vocab.isSpecial(id) || BYTE_TOKEN.matcher(token).matches()) {
                continue;
            }
            String text = codec.decode(new long[] {id}, false);
            if (LETTERS.matcher(text).matches() && codec.decode(new long[] {id, id}, false).startsWith(text)) {
                return id;
            }
        }
        return -1;
    }
}
