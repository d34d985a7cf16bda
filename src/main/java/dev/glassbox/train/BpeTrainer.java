package dev.glassbox.train;

import dev.glassbox.GlassboxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

/**
 * Learns a byte-level BPE vocabulary (Sennrich et al., as GPT-2 uses it): the text is cut by
 * GPT-2's regex into pieces, each piece starts as its UTF-8 bytes, and the most frequent adjacent
 * pair (counted over all pieces, weighted by how often each piece occurs) is merged into a new
 * token, again and again, until the vocabulary has the requested size. Ties go to the pair with the
 * smaller (left, right) ids, so training is deterministic. Merges are never made across pieces,
 * so no token spans a word boundary other than a leading space.
 *
 * <p>Pair counts are updated incrementally (only the pieces that contain the merged pair are
 * revisited) and the best pair comes from a lazily updated priority queue.
 */
public final class BpeTrainer {

    /** Pairs seen fewer times than this are never merged. */
    public static final int MIN_FREQUENCY = 2;

    private BpeTrainer() {}

    /** Counts the GPT-2 pieces of {@code texts}, leaving out literal special tokens. */
    public static Map<String, Long> countPieces(Iterable<String> texts, List<String> specials) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String text : texts) {
            String t = text;
            for (String s : specials) {
                t = t.replace(s, " ");
            }
            for (String piece : ByteLevel.split(t)) {
                counts.merge(piece, 1L, Long::sum);
            }
        }
        return counts;
    }

    /**
     * Trains on {@code texts}.
     *
     * @param vocabSize the size of the vocabulary, special tokens included (at least 256 +
     *     specials); smaller when the text runs out of pairs seen {@link #MIN_FREQUENCY} times
     * @param specials special tokens, given the last ids
     * @param progress told the vocabulary size after each merge (may be null)
     */
    public static BpeTokenizer train(Iterable<String> texts, int vocabSize, List<String> specials, IntConsumer progress) {
        if (vocabSize < 256 + specials.size()) {
            throw new GlassboxException("--vocab-size must be at least " + (256 + specials.size())
                    + " (256 bytes + special tokens), found " + vocabSize);
        }
        Map<String, Long> pieces = countPieces(texts, specials);
        int nWords = pieces.size();
        int[][] words = new int[nWords][];
        int[] lens = new int[nWords];
        long[] freq = new long[nWords];
        int w = 0;
        for (Map.Entry<String, Long> e : pieces.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] sym = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                sym[i] = b[i] & 0xFF;
            }
            words[w] = sym;
            lens[w] = sym.length;
            freq[w] = e.getValue();
            w++;
        }

        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String t = String.valueOf(ByteLevel.byteChar(b));
            ids.put(t, tokens.size());
            tokens.add(t);
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, List<Integer>> where = new HashMap<>();
        for (int i = 0; i < nWords; i++) {
            for (int j = 0; j + 1 < lens[i]; j++) {
                long k = BpeTokenizer.key(words[i][j], words[i][j + 1]);
                pairCount.merge(k, freq[i], Long::sum);
                where.computeIfAbsent(k, x -> new ArrayList<>()).add(i);
            }
        }
        // Entries {count, pair}; stale ones (count no longer current) are skipped when popped.
        PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0]) : Long.compare(a[1], b[1]));
        pairCount.forEach((k, c) -> queue.add(new long[] {c, k}));

        List<int[]> merges = new ArrayList<>();
        int target = vocabSize - specials.size();
        int[] lastVisit = new int[nWords];
        java.util.Arrays.fill(lastVisit, -1);
        while (tokens.size() < target && !queue.isEmpty()) {
            long[] top = queue.poll();
            Long current = pairCount.get(top[1]);
            if (current == null || current != top[0]) {
                continue; // stale
            }
            if (top[0] < MIN_FREQUENCY) {
                break;
            }
            int left = (int) (top[1] >>> 32);
            int right = (int) top[1];
            String merged = tokens.get(left) + tokens.get(right);
            Integer existing = ids.get(merged);
            int newId;
            if (existing != null) {
                newId = existing; // the same string reached through another split
            } else {
                newId = tokens.size();
                ids.put(merged, newId);
                tokens.add(merged);
            }
            int rank = merges.size();
            merges.add(new int[] {left, right, newId});
            Map<Long, Long> delta = new HashMap<>();
            for (int wi : where.remove(top[1])) {
                if (lastVisit[wi] == rank) {
                    continue;
                }
                lastVisit[wi] = rank;
                int[] sym = words[wi];
                int n = lens[wi];
                if (!contains(sym, n, left, right)) {
                    continue;
                }
                long f = freq[wi];
                for (int j = 0; j + 1 < n; j++) {
                    delta.merge(BpeTokenizer.key(sym[j], sym[j + 1]), -f, Long::sum);
                }
                int out = 0;
                for (int j = 0; j < n; j++) {
                    if (j + 1 < n && sym[j] == left && sym[j + 1] == right) {
                        sym[out++] = newId;
                        j++;
                    } else {
                        sym[out++] = sym[j];
                    }
                }
                n = out;
                lens[wi] = n;
                for (int j = 0; j + 1 < n; j++) {
                    long k = BpeTokenizer.key(sym[j], sym[j + 1]);
                    delta.merge(k, f, Long::sum);
                    if (sym[j] == newId || sym[j + 1] == newId) {
                        where.computeIfAbsent(k, x -> new ArrayList<>()).add(wi);
                    }
                }
            }
            pairCount.remove(top[1]);
            delta.remove(top[1]);
            for (Map.Entry<Long, Long> d : delta.entrySet()) {
                if (d.getValue() == 0) {
                    continue;
                }
                long k = d.getKey();
                long c = pairCount.getOrDefault(k, 0L) + d.getValue();
                if (c <= 0) {
                    pairCount.remove(k);
                } else {
                    pairCount.put(k, c);
                    queue.add(new long[] {c, k});
                }
            }
            if (progress != null) {
                progress.accept(tokens.size() + specials.size());
            }
        }
        for (String s : specials) {
            ids.put(s, tokens.size());
            tokens.add(s);
        }
        return new BpeTokenizer(tokens, merges, specials);
    }

    private static boolean contains(int[] sym, int n, int left, int right) {
        for (int j = 0; j + 1 < n; j++) {
            if (sym[j] == left && sym[j + 1] == right) {
                return true;
            }
        }
        return false;
    }
}
