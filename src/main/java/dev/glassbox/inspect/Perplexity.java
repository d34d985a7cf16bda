package dev.glassbox.inspect;

import dev.glassbox.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Perplexity of documents of any length, as transformers' perplexity guide computes it: windows of
 * {@code maxLength} tokens starting every {@code stride} tokens; each window scores only the tokens
 * the previous window did not reach (its last {@code end − previousEnd}), so every token after the
 * first is scored exactly once, with up to {@code maxLength − stride} tokens of context before it.
 * Windows of many documents run together as padded batches.
 */
public final class Perplexity {

    /**
     * One window: {@code ids[begin, end)} of its document, scoring the tokens from {@code firstTarget}.
     */
    public record Window(int begin, int end, int firstTarget) {}

    /**
     * @param tokens tokens scored (every token but the first)
     * @param sumLogprob Σ log p(token | its context), natural log
     */
    public record Document(int tokens, double sumLogprob, int windows) {
        public double meanNll() {
            return tokens == 0 ? Double.NaN : -sumLogprob / tokens;
        }

        public double perplexity() {
            return Math.exp(meanNll());
        }
    }

    private Perplexity() {}

    /** The guide's windows over a document of {@code length} tokens. */
    public static List<Window> windows(int length, int maxLength, int stride) {
        if (stride < 1 || stride > maxLength) {
            throw new dev.glassbox.GlassboxException("--stride must be from 1 to the window of " + maxLength + " tokens, found " + stride);
        }
        List<Window> out = new ArrayList<>();
        int prevEnd = 0;
        for (int begin = 0; begin < length; begin += stride) {
            int end = Math.min(begin + maxLength, length);
            // the first window's first token has no prediction; later windows score from prevEnd
            out.add(new Window(begin, end, Math.max(prevEnd, begin + 1)));
            prevEnd = end;
            if (end == length) {
                break;
            }
        }
        return out;
    }

    /** Scores {@code documents}, running up to {@code batchSize} windows at a time. */
    public static List<Document> score(LanguageModel model, List<long[]> documents, int maxLength, int stride, int batchSize) {
        List<long[]> pending = new ArrayList<>();
        List<int[]> owner = new ArrayList<>(); // [document, offset of the first target in the window]
        double[] sums = new double[documents.size()];
        int[] counts = new int[documents.size()];
        int[] windowCounts = new int[documents.size()];
        for (int d = 0; d < documents.size(); d++) {
            long[] ids = documents.get(d);
            for (Window w : windows(ids.length, maxLength, stride)) {
                pending.add(Arrays.copyOfRange(ids, w.begin(), w.end()));
                owner.add(new int[] {d, w.firstTarget() - w.begin()});
                windowCounts[d]++;
                if (pending.size() == batchSize) {
                    flush(model, pending, owner, sums, counts);
                }
            }
        }
        flush(model, pending, owner, sums, counts);
        List<Document> out = new ArrayList<>();
        for (int d = 0; d < documents.size(); d++) {
            out.add(new Document(counts[d], sums[d], windowCounts[d]));
        }
        return out;
    }

    private static void flush(LanguageModel model, List<long[]> pending, List<int[]> owner, double[] sums, int[] counts) {
        if (pending.isEmpty()) {
            return;
        }
        double[][] lp = Scoring.nextTokenLogprobs(model, pending);
        for (int i = 0; i < pending.size(); i++) {
            int d = owner.get(i)[0];
            // lp[i][j] is log p(window[j + 1] | window[..j]): token k of the window is lp[i][k − 1]
            for (int k = owner.get(i)[1]; k < pending.get(i).length; k++) {
                sums[d] += lp[i][k - 1];
                counts[d]++;
            }
        }
        pending.clear();
        owner.clear();
    }
}
