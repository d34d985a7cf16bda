package dev.glassbox.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads a JSONL corpus one line at a time, for {@code cache}, {@code score --input} and
 * {@code generate --input} alike (cli.BatchInput collects it): each non-blank line is
 * {@code {"prompt": "..."}} or {@code {"ids": [...]}}; any other field (such as {@code "id"}) is
 * kept as the document's extra fields. A bad line is a {@link GlassboxException} naming the file and
 * the line number. Streaming: only the current line is held.
 */
public final class CorpusReader implements Iterator<CorpusReader.Document>, AutoCloseable {

    /**
     * One document of the corpus.
     *
     * @param index position among the documents, from 0
     * @param line its line in the file, from 1
     * @param ids its token ids (BOS added by the tokenizer, as for {@code --prompt})
     * @param text the prompt text, or null when the line gave ids
     * @param extra the line's other fields, copied to the output
     */
    public record Document(int index, int line, long[] ids, String text, ObjectNode extra) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedReader in;
    private final TextTokenizer tokenizer;
    private final int vocab;
    private final int context;
    private int lineNo;
    private int index;
    private Document next;

    private CorpusReader(Path file, BufferedReader in, TextTokenizer tokenizer, int vocab, int context) {
        this.file = file;
        this.in = in;
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.context = context;
    }

    /**
     * Opens {@code file}; {@code tokenizer} (null for a checkpoint without one) encodes prompts,
     * ids must lie in [0, vocab) and a document may have at most {@code context} tokens.
     */
    public static CorpusReader open(Path file, TextTokenizer tokenizer, int vocab, int context) {
        if (!Files.isRegularFile(file)) {
            throw new GlassboxException("--input " + file + ": no such file");
        }
        try {
            return new CorpusReader(file, Files.newBufferedReader(file, StandardCharsets.UTF_8), tokenizer, vocab, context);
        } catch (IOException e) {
            throw new GlassboxException("--input " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** How many non-blank lines {@code file} has (the progress bar's total); one quick pass. */
    public static long countDocuments(Path file) {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (IOException | UncheckedIOException e) {
            throw new GlassboxException("--input " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = readNext();
        }
        return next != null;
    }

    @Override
    public Document next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Document d = next;
        next = null;
        return d;
    }

    private Document readNext() {
        String text;
        try {
            do {
                text = in.readLine();
                lineNo++;
            } while (text != null && text.isBlank());
        } catch (IOException e) {
            throw new GlassboxException("--input " + file + ": cannot read: " + e.getMessage(), e);
        }
        return text == null ? null : parse(text);
    }

    private Document parse(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw bad("not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (!(node instanceof ObjectNode obj)) {
            throw bad("expected a JSON object {\"prompt\": ...} or {\"ids\": [...]}");
        }
        JsonNode prompt = obj.get("prompt");
        JsonNode ids = obj.get("ids");
        if ((prompt == null) == (ids == null)) {
            throw bad("give exactly one of \"prompt\" and \"ids\"");
        }
        long[] tokens = prompt != null ? encode(prompt) : ids(ids);
        if (tokens.length > context) {
            throw bad("has " + tokens.length + " tokens but the model's context is " + context);
        }
        ObjectNode extra = obj.deepCopy();
        extra.remove("prompt");
        extra.remove("ids");
        return new Document(index++, lineNo, tokens, prompt != null ? prompt.asText() : null, extra);
    }

    private long[] encode(JsonNode prompt) {
        if (!prompt.isTextual() || prompt.asText().isEmpty()) {
            throw bad("\"prompt\" must be a non-empty string");
        }
        if (tokenizer == null) {
            throw bad("this checkpoint has no tokenizer; give \"ids\" instead of \"prompt\"");
        }
        long[] t = tokenizer.encode(prompt.asText());
        if (t.length == 0) {
            throw bad("the prompt tokenizes to no tokens");
        }
        return t;
    }

    private long[] ids(JsonNode ids) {
        if (!ids.isArray() || ids.isEmpty()) {
            throw bad("\"ids\" must be a non-empty array of token ids");
        }
        long[] t = new long[ids.size()];
        for (int i = 0; i < t.length; i++) {
            JsonNode v = ids.get(i);
            if (!v.canConvertToLong() || !v.isIntegralNumber()) {
                throw bad("\"ids\"[" + i + "] is " + v + ", not an integer token id");
            }
            t[i] = v.asLong();
            if (t[i] < 0 || t[i] >= vocab) {
                throw bad("token id " + t[i] + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        return t;
    }

    private GlassboxException bad(String what) {
        return new GlassboxException("--input " + file + " line " + lineNo + ": " + what);
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // read-only: nothing is lost
        }
    }
}
