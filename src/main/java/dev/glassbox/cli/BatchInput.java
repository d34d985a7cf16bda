package dev.glassbox.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The documents of an {@code --input} file. JSONL: one object per line, {@code {"prompt": "..."}}
 * or {@code {"ids": [...]}}, any other field copied to that line's output; blank lines are
 * skipped. A {@code .txt} corpus (score only): documents separated by one or more blank lines,
 * the line breaks inside a document kept. Every line is checked before the model runs; a bad one is
 * one error naming its line number.
 */
final class BatchInput {

    /**
     * One document.
     *
     * @param line its (first) line number in the file, from 1
     * @param text the prompt text, or null when given as ids
     * @param copied the line's other fields, for the output
     */
    record Item(int line, long[] ids, String text, ObjectNode copied) {}

    private BatchInput() {}

    /**
     * @param maxTokens the longest document allowed (the context), or 0 for any length (windowed scoring)
     */
    static List<Item> read(Path file, LanguageModel model, int maxTokens) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException("--input " + file + ": cannot read: " + OutputFile.describe(e), e);
        }
        List<Item> items = file.toString().endsWith(".txt") ? paragraphs(file, lines, model) : jsonl(file, lines, model);
        if (items.isEmpty()) {
            throw new GlassboxException("--input " + file + ": no documents in the file");
        }
        int vocab = model.config().vocabSize();
        for (Item it : items) {
            if (it.ids().length == 0) {
                throw new GlassboxException(file + " line " + it.line() + ": no tokens");
            }
            for (long id : it.ids()) {
                if (id < 0 || id >= vocab) {
                    throw new GlassboxException(file + " line " + it.line() + ": token id " + id + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            if (maxTokens > 0 && it.ids().length > maxTokens) {
                throw new GlassboxException(file + " line " + it.line() + ": " + it.ids().length
                        + " tokens but the model's context is " + maxTokens + " tokens");
            }
        }
        return items;
    }

    private static List<Item> jsonl(Path file, List<String> lines, LanguageModel model) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1) + ": ";
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new GlassboxException(where + "not JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw new GlassboxException(where + "expected an object {\"prompt\": \"...\"} or {\"ids\": [...]}");
            }
            JsonNode prompt = node.get("prompt");
            JsonNode ids = node.get("ids");
            if ((prompt == null) == (ids == null)) {
                throw new GlassboxException(where + "give exactly one of \"prompt\" and \"ids\"");
            }
            ObjectNode copied = Json.object();
            for (Iterator<Map.Entry<String, JsonNode>> f = node.fields(); f.hasNext(); ) {
                Map.Entry<String, JsonNode> e = f.next();
                if (!e.getKey().equals("prompt") && !e.getKey().equals("ids")) {
                    copied.set(e.getKey(), e.getValue());
                }
            }
            if (prompt != null) {
                if (!prompt.isTextual() || prompt.asText().isEmpty()) {
                    throw new GlassboxException(where + "\"prompt\" must be a non-empty string");
                }
                items.add(new Item(i + 1, model.requireTokenizer().encode(prompt.asText()), prompt.asText(), copied));
            } else {
                if (!ids.isArray()) {
                    throw new GlassboxException(where + "\"ids\" must be an array of token ids");
                }
                long[] v = new long[ids.size()];
                for (int k = 0; k < v.length; k++) {
                    if (!ids.get(k).canConvertToLong() || !ids.get(k).isIntegralNumber()) {
                        throw new GlassboxException(where + "\"ids\"[" + k + "] is not an integer: " + ids.get(k));
                    }
                    v[k] = ids.get(k).asLong();
                }
                items.add(new Item(i + 1, v, null, copied));
            }
        }
        return items;
    }

    /** Documents separated by blank lines. */
    private static List<Item> paragraphs(Path file, List<String> lines, LanguageModel model) {
        List<Item> items = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        int first = 0;
        for (int i = 0; i <= lines.size(); i++) {
            boolean blank = i == lines.size() || lines.get(i).isBlank();
            if (blank) {
                if (doc.length() > 0) {
                    String text = doc.toString();
                    items.add(new Item(first, model.requireTokenizer().encode(text), text, Json.object()));
                    doc.setLength(0);
                }
                continue;
            }
            if (doc.length() == 0) {
                first = i + 1;
            } else {
                doc.append('\n');
            }
            doc.append(lines.get(i));
        }
        return items;
    }
}
