package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.export.CorpusReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The documents of an {@code --input} file. JSONL: one object per line, {@code {"prompt": "..."}}
 * or {@code {"ids": [...]}}, any other field copied to that line's output; blank lines are
 * skipped; read by {@link CorpusReader}, the reader of {@code glassbox cache}, so both commands take
 * the same lines and give the same errors. A {@code .txt} corpus (score only): documents separated by one or more blank lines,
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
        List<Item> items = file.toString().endsWith(".txt") ? paragraphs(file, readLines(file), model) : jsonl(file, model, maxTokens);
        if (items.isEmpty()) {
            throw new GlassboxException("--input " + file + ": no documents in the file");
        }
        int vocab = model.config().vocabSize();
        for (Item it : items) {
            if (it.ids().length == 0) {
                throw new GlassboxException("--input " + file + " line " + it.line() + ": no tokens");
            }
            for (long id : it.ids()) {
                if (id < 0 || id >= vocab) {
                    throw new GlassboxException("--input " + file + " line " + it.line() + ": token id " + id + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            if (maxTokens > 0 && it.ids().length > maxTokens) {
                throw new GlassboxException("--input " + file + " line " + it.line() + ": has " + it.ids().length
                        + " tokens but the model's context is " + maxTokens);
            }
        }
        return items;
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException("--input " + file + ": cannot read: " + OutputFile.describe(e), e);
        }
    }

    /** Every line of a JSONL file, parsed and checked by the same reader as {@code glassbox cache}. */
    private static List<Item> jsonl(Path file, LanguageModel model, int maxTokens) {
        List<Item> items = new ArrayList<>();
        int context = maxTokens > 0 ? maxTokens : Integer.MAX_VALUE;
        try (CorpusReader corpus = CorpusReader.open(file, model.tokenizer(), model.config().vocabSize(), context)) {
            while (corpus.hasNext()) {
                CorpusReader.Document d = corpus.next();
                items.add(new Item(d.line(), d.ids(), d.text(), d.extra()));
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
