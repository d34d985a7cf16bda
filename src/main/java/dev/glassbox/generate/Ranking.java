package dev.glassbox.generate;

import dev.glassbox.GlassboxException;

/** Package-private numeric helpers shared by {@link LogitsProcessor} and {@link Sampler}. */
final class Ranking {

    private Ranking() {}

    /**
     * Indices of the {@code k} largest values, largest first; equal values rank the lower index first
     * (as torch.argmax picks the first maximum). A size-k min-heap makes this O(n log k), so taking
     * the top 50 of a 150k vocabulary is a single pass rather than a sort. NaN is not supported.
     */
    static int[] topK(float[] values, int k) {
        int n = values.length;
        if (k <= 0 || n == 0) {
            return new int[0];
        }
        k = Math.min(k, n);
        // Min-heap on rank: the root is the lowest-ranked index kept so far.
        int[] heap = new int[k];
        for (int i = 0; i < k; i++) {
            heap[i] = i;
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(values, heap, k, i);
        }
        for (int i = k; i < n; i++) {
            // i is larger than every index in the heap, so a tie never displaces the root: strict >.
            if (values[i] > values[heap[0]]) {
                heap[0] = i;
                siftDown(values, heap, k, 0);
            }
        }
        // Pop the lowest-ranked repeatedly, filling the result from the back.
        int[] out = new int[k];
        for (int size = k; size > 0; size--) {
            out[size - 1] = heap[0];
            heap[0] = heap[size - 1];
            siftDown(values, heap, size - 1, 0);
        }
        return out;
    }

    /** True when index a ranks below index b: smaller value, or the same value and a larger index. */
    private static boolean ranksBelow(float[] v, int a, int b) {
        return v[a] < v[b] || (v[a] == v[b] && a > b);
    }

    private static void siftDown(float[] v, int[] heap, int size, int pos) {
        int item = heap[pos];
        while (true) {
            int child = 2 * pos + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && ranksBelow(v, heap[child + 1], heap[child])) {
                child++;
            }
            if (!ranksBelow(v, heap[child], item)) {
                break;
            }
            heap[pos] = heap[child];
            pos = child;
        }
        heap[pos] = item;
    }

    /** Index of the largest value, the first one on ties (torch.argmax); -1 if all are -infinity. */
    static int argmax(float[] values) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < values.length; i++) {
            if (values[i] > bestValue) {
                bestValue = values[i];
                best = i;
            }
        }
        return best;
    }

    /**
     * A long that sorts (as a signed primitive, so {@link java.util.Arrays#sort(long[])} applies, with
     * no boxing or comparator) by value ascending and, among equal values, by index descending: in an
     * ascending walk the higher index comes first, so the lower index ranks higher, as in {@link #topK}.
     */
    static long ascendingKey(float value, int index) {
        int bits = Float.floatToIntBits(value + 0.0f); // + 0.0f folds -0.0 into 0.0
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF); // negative floats: reverse magnitude order
        return ((long) sortable << 32) | (Integer.MAX_VALUE - index);
    }

    static int indexOfKey(long key) {
        return Integer.MAX_VALUE - (int) (key & 0xFFFFFFFFL);
    }
}
