package dev.glassbox.train;

import dev.glassbox.GlassboxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * The tokenized corpus: training segments (runs of consecutive training text) and held-out
 * segments.
 *
 * <p>Training batches are windows of T+1 tokens (inputs are the first T, targets the last T)
 * cut from one circular stream, every possible start once per epoch in a shuffled order. The
 * stream is the training segments one after the other, each followed by the separator (GPT-2's
 * {@code <|endoftext|>}, as between documents), the last one joined back to the first. Every
 * training token is thus a target equally often; windows cut from a plain sequence would reach the
 * first tokens of the corpus (Genesis 1:1-3 in the KJV) several times less often than the rest.
 * With {@link #alignToLines}, windows start only where a line starts (after a newline token or a
 * separator): a verse-per-line corpus then trains the model on text that opens a context, as a
 * user's prompt does. Held-out text is never in the stream.
 * Evaluation uses fixed, non-overlapping windows.
 */
public final class TokenData {

    /** A batch of B windows: inputs and next-token targets, each B·T ids, row-major. */
    public record Batch(long[] inputs, long[] targets, int batch, int seqLen) {}

    private final int[][] train;
    private final int[][] heldOut;
    private final int[] stream; // the circular training stream
    private final Integer separator;
    private int[] starts; // where windows may start; null: anywhere

    /**
     * @param separator the id written after each training segment in the stream, or null for none
     */
    public TokenData(List<int[]> train, List<int[]> heldOut, Integer separator) {
        this.train = train.toArray(new int[0][]);
        this.heldOut = heldOut.toArray(new int[0][]);
        this.separator = separator;
        int n = 0;
        for (int[] seg : this.train) {
            n += seg.length + (separator == null ? 0 : 1);
        }
        stream = new int[n];
        int at = 0;
        for (int[] seg : this.train) {
            System.arraycopy(seg, 0, stream, at, seg.length);
            at += seg.length;
            if (separator != null) {
                stream[at++] = separator;
            }
        }
    }

    /** Tokenizes a split; {@code encode} must not add special tokens. */
    public static TokenData tokenize(Corpus.Split split, Function<String, long[]> encode, Integer separator) {
        return new TokenData(encodeAll(split.train(), encode), encodeAll(split.heldOut(), encode), separator);
    }

    private static List<int[]> encodeAll(List<String> texts, Function<String, long[]> encode) {
        List<int[]> out = new ArrayList<>();
        for (String t : texts) {
            long[] ids = encode.apply(t);
            int[] a = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                a[i] = Math.toIntExact(ids[i]);
            }
            out.add(a);
        }
        return out;
    }

    public long trainTokens() {
        return Arrays.stream(train).mapToLong(a -> a.length).sum();
    }

    public long heldOutTokens() {
        return Arrays.stream(heldOut).mapToLong(a -> a.length).sum();
    }

    public boolean hasHeldOut() {
        return heldOut.length > 0;
    }

    /** The largest id in the data (to check it against the model's vocabulary). */
    public int maxId() {
        int max = -1;
        for (int[][] part : new int[][][] {train, heldOut}) {
            for (int[] seg : part) {
                for (int id : seg) {
                    max = Math.max(max, id);
                }
            }
        }
        return max;
    }

    /** Checks that there is at least one window of seqLen+1 tokens on each side. */
    public void requireWindows(int seqLen) {
        if (stream.length < seqLen + 1) {
            throw new GlassboxException("the training text has " + trainTokens() + " tokens, too few for one window of "
                    + (seqLen + 1) + " tokens; use more text or a smaller --seq-len");
        }
        if (hasHeldOut() && windows(heldOut, seqLen).isEmpty()) {
            throw new GlassboxException("the held-out text (" + heldOutTokens() + " tokens) holds no window of " + (seqLen + 1)
                    + " tokens; raise --eval-fraction, use more text or a smaller --seq-len");
        }
    }

    /**
     * From now on, windows start only at line starts: position 0 of the stream and every position
     * after a token for which {@code endsLine} holds, or after the separator.
     *
     * @return the number of line starts
     */
    public int alignToLines(IntPredicate endsLine) {
        int[] s = new int[stream.length];
        int k = 0;
        for (int p = 0; p < stream.length; p++) {
            int prev = stream[(p + stream.length - 1) % stream.length];
            if (p == 0 || endsLine.test(prev) || (separator != null && prev == separator)) {
                s[k++] = p;
            }
        }
        starts = Arrays.copyOf(s, k);
        return k;
    }

    /** How many places a window may start at: one epoch of training is this many windows. */
    public int windowStarts() {
        return starts == null ? stream.length : starts.length;
    }

    /**
     * Windows {@code first} … {@code first+batch-1} of the run's window order. Epoch
     * {@code e = k / windowStarts()} visits every start exactly once, in an order shuffled by
     * (seed, e); sampling without replacement, as a shuffling data loader does, so every verse
     * opens a context equally often instead of Poisson-often. The order is a function of its
     * arguments alone, so a resumed run draws exactly the windows the uninterrupted run would.
     */
    public Batch batch(long seed, long first, int batch, int seqLen) {
        long[] x = new long[batch * seqLen];
        long[] y = new long[batch * seqLen];
        int n = stream.length;
        int perEpoch = windowStarts();
        for (int b = 0; b < batch; b++) {
            long k = first + b;
            int slot = epochOrder(seed, k / perEpoch)[(int) (k % perEpoch)];
            int start = starts == null ? slot : starts[slot];
            for (int t = 0; t < seqLen; t++) {
                x[b * seqLen + t] = stream[(start + t) % n];
                y[b * seqLen + t] = stream[(start + t + 1) % n];
            }
        }
        return new Batch(x, y, batch, seqLen);
    }

    private long orderEpoch = -1;
    private long orderSeed;
    private int[] order;

    /** A permutation of 0…windowStarts()-1 for one epoch (Fisher–Yates; cached for the current epoch). */
    private int[] epochOrder(long seed, long epoch) {
        if (order == null || orderEpoch != epoch || orderSeed != seed || order.length != windowStarts()) {
            int[] p = new int[windowStarts()];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            SplitMix64 rng = new SplitMix64(new SplitMix64(seed ^ 0x5DEECE66DL).nextLong() + epoch * 0x9E3779B97F4A7C15L);
            for (int i = p.length - 1; i > 0; i--) {
                int j = (int) rng.nextLong(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            order = p;
            orderEpoch = epoch;
            orderSeed = seed;
        }
        return order;
    }

    private static void copyWindow(int[] seg, int start, int seqLen, long[] x, long[] y, int row) {
        for (int t = 0; t < seqLen; t++) {
            x[row * seqLen + t] = seg[start + t];
            y[row * seqLen + t] = seg[start + t + 1];
        }
    }

    /**
     * The held-out set as batches of non-overlapping windows (each held-out token is a target at
     * most once); with {@code maxWindows} > 0, that many windows evenly spaced over the set.
     */
    public List<Batch> heldOutBatches(int batch, int seqLen, int maxWindows) {
        return batches(heldOut, windows(heldOut, seqLen), batch, seqLen, maxWindows);
    }

    /** The same for the training stream: a fixed sample to estimate the training loss with. */
    public List<Batch> trainBatches(int batch, int seqLen, int maxWindows) {
        int[][] s = {stream};
        return batches(s, windows(s, seqLen), batch, seqLen, maxWindows);
    }

    /** {segment, start} of every non-overlapping window. */
    private static List<int[]> windows(int[][] segs, int seqLen) {
        List<int[]> w = new ArrayList<>();
        for (int s = 0; s < segs.length; s++) {
            for (int start = 0; start + seqLen + 1 <= segs[s].length; start += seqLen) {
                w.add(new int[] {s, start});
            }
        }
        return w;
    }

    private static List<Batch> batches(int[][] segs, List<int[]> windows, int batch, int seqLen, int maxWindows) {
        List<int[]> chosen = windows;
        if (maxWindows > 0 && windows.size() > maxWindows) {
            chosen = new ArrayList<>();
            for (int i = 0; i < maxWindows; i++) {
                chosen.add(windows.get((int) ((long) i * windows.size() / maxWindows)));
            }
        }
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i += batch) {
            int n = Math.min(batch, chosen.size() - i);
            long[] x = new long[n * seqLen];
            long[] y = new long[n * seqLen];
            for (int b = 0; b < n; b++) {
                int[] w = chosen.get(i + b);
                copyWindow(segs[w[0]], w[1], seqLen, x, y, b);
            }
            out.add(new Batch(x, y, n, seqLen));
        }
        return out;
    }
}
