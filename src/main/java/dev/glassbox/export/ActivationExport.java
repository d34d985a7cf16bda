package dev.glassbox.export;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Progress;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.hooks.BatchCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Activation export: runs documents through a model, picks the rows of the chosen hooks at every
 * position (or the last one) and hands them to an {@link ActivationShardWriter}. One row is one
 * position of one document, its values the hook's activation there (for [B, T, H, d] hooks the
 * H·d values, row-major). The attention scores and pattern, [B, H, T, S], have no row of fixed
 * width and are refused.
 */
public final class ActivationExport {

    /** Which positions of each document become rows. */
    public enum Positions {
        ALL, LAST;

        /** Parses {@code all} or {@code last}. */
        public static Positions parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new GlassboxException("--positions must be all or last, found '" + s + "'");
            }
        }

        /** The positions of a document of {@code tokens} tokens that become rows. */
        public int[] of(int tokens) {
            if (this == LAST) {
                return new int[] {tokens - 1};
            }
            int[] p = new int[tokens];
            Arrays.setAll(p, i -> i);
            return p;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What an export wrote. */
    public record Summary(long documents, long rows, long tokens) {}

    private ActivationExport() {}

    /**
     * Each hook's row shape (its shape without batch and position), checked against what the
     * model fires in a one-token probe run; an unknown name is one error listing the valid forms.
     */
    public static Map<String, long[]> rowShapes(LanguageModel model, List<String> hooks) {
        if (hooks.isEmpty()) {
            throw new GlassboxException("--hooks: give at least one hook name (" + validForms(model) + ")");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (ActivationCache probe = model.runWithCache(new long[] {0}, name -> true)) {
            for (String h : hooks) {
                if (h.endsWith("attn.scores") || h.endsWith("attn.pattern")) {
                    throw new GlassboxException("--hooks: " + h + " is [B, H, T, S], with no row of fixed width per position; "
                            + "export attn.z or attn.out, or read patterns with runWithCache");
                }
                if (!probe.has(h)) {
                    throw new GlassboxException("--hooks: unknown hook '" + h + "' for this model; valid: " + validForms(probe.names()));
                }
                long[] s = probe.shape(h);
                shapes.put(h, Arrays.copyOfRange(s, 2, s.length));
            }
        }
        return shapes;
    }

    /** The valid hook names of {@code model}, compactly ("blocks.{0..2}.{resid_pre, ...}"). */
    public static String validForms(LanguageModel model) {
        try (ActivationCache probe = model.runWithCache(new long[] {0}, name -> true)) {
            return validForms(probe.names());
        }
    }

    static String validForms(Set<String> fired) {
        List<String> top = new ArrayList<>();
        Set<String> suffixes = new LinkedHashSet<>();
        TreeSet<Integer> layers = new TreeSet<>();
        for (String n : fired) {
            if (n.endsWith("attn.scores") || n.endsWith("attn.pattern")) {
                continue;
            }
            if (n.startsWith("blocks.")) {
                int dot = n.indexOf('.', 7);
                layers.add(Integer.parseInt(n.substring(7, dot)));
                suffixes.add(n.substring(dot + 1));
            } else {
                top.add(n);
            }
        }
        StringBuilder b = new StringBuilder();
        for (String t : top) {
            if (t.equals("ln_final") && !layers.isEmpty()) {
                b.append("blocks.{").append(layers.first()).append("..").append(layers.last()).append("}.{")
                        .append(String.join(", ", suffixes)).append("}, ");
            }
            b.append(t).append(", ");
        }
        return b.substring(0, b.length() - 2);
    }

    /** The rows of one document from its cache: per hook, the chosen positions' values. */
    public static Map<String, float[]> rows(ActivationCache cache, Map<String, long[]> shapes, int tokens, Positions positions) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            float[] all = cache.floats(e.getKey()); // [1, T, ...]
            int width = all.length / tokens;
            out.put(e.getKey(), positions == Positions.LAST ? Arrays.copyOfRange(all, (tokens - 1) * width, tokens * width) : all);
        }
        return out;
    }

    /**
     * Runs the documents as one left-padded batch and returns each one's rows (its real positions
     * only: padding never reaches the export); the batch's native memory is freed before returning.
     */
    public static List<Map<String, float[]>> rows(LanguageModel model, List<long[]> docs, Map<String, long[]> shapes,
            Positions positions) {
        List<Map<String, float[]>> out = new ArrayList<>(docs.size());
        try (BatchCache cache = model.runWithCacheBatch(docs, shapes.keySet().toArray(String[]::new))) {
            for (int r = 0; r < docs.size(); r++) {
                int tokens = docs.get(r).length;
                Map<String, float[]> row = new LinkedHashMap<>();
                for (String h : shapes.keySet()) {
                    float[] all = cache.rowFloats(h, r); // [T_r, ...]
                    int width = all.length / tokens;
                    row.put(h, positions == Positions.LAST ? Arrays.copyOfRange(all, (tokens - 1) * width, tokens * width) : all);
                }
                out.add(row);
            }
        }
        return out;
    }

    /** Runs one document and returns its rows; the cache's native memory is freed before returning. */
    public static Map<String, float[]> rows(LanguageModel model, long[] ids, Map<String, long[]> shapes, Positions positions) {
        try (ActivationCache cache = model.runWithCache(ids, shapes.keySet()::contains)) {
            return rows(cache, shapes, ids.length, positions);
        }
    }

    /**
     * Exports every document of {@code corpus} into {@code dir} (existing and empty), {@code batchSize}
     * documents per forward pass, with a bar on {@code progress} counting documents.
     */
    public static Summary run(LanguageModel model, CorpusReader corpus, Map<String, long[]> shapes, Positions positions,
            Path dir, long shardBytes, int batchSize, Progress progress) {
        ObjectNode info = JsonNodeFactory.instance.objectNode();
        info.put("model", model.dir().toAbsolutePath().toString());
        info.put("positions", positions.toString());
        long docs = 0;
        long tokens = 0;
        long start = System.nanoTime();
        try (ActivationShardWriter writer = new ActivationShardWriter(dir, shapes, info, shardBytes)) {
            while (corpus.hasNext()) {
                List<CorpusReader.Document> batch = new ArrayList<>(batchSize);
                while (batch.size() < batchSize && corpus.hasNext()) {
                    batch.add(corpus.next());
                }
                List<Map<String, float[]>> values = rows(model, batch.stream().map(CorpusReader.Document::ids).toList(), shapes, positions);
                for (int i = 0; i < batch.size(); i++) {
                    CorpusReader.Document d = batch.get(i);
                    writer.add(d, positions.of(d.ids().length), values.get(i));
                    docs++;
                    tokens += d.ids().length;
                }
                progress.stepTo(docs);
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.extraMessage(String.format("%.0f tokens/s", tokens / Math.max(seconds, 1e-9)));
            }
            return new Summary(docs, writer.rows(), tokens);
        }
    }
}
