package dev.glassbox.sae;

import ai.djl.ndarray.NDArray;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.train.SplitMix64;

/**
 * Activations of one hook streamed from the model over a corpus, as SAELens's ActivationsStore:
 * windows of {@code context} tokens at seeded random starts run through the model, their rows
 * collected into a buffer and shuffled, so that a training batch mixes many contexts.
 */
public final class ActivationStream {

    private final LanguageModel model;
    private final SaeHooks reader;
    private final long[] ids;
    private final int from;
    private final int to;
    private final int context;
    private final SplitMix64 rng;
    private final int width;

    /**
     * Windows start in [from, to − context] of {@code ids} (the corpus's token ids).
     *
     * @param reader where and how the SAE reads the model (its hook, per-head flattening)
     */
    public ActivationStream(LanguageModel model, SaeHooks reader, long[] ids, int from, int to, int context, long seed) {
        if (to - from < context) {
            throw new GlassboxException("the corpus has " + (to - from) + " tokens here, fewer than one window of " + context);
        }
        this.model = model;
        this.reader = reader;
        this.ids = ids;
        this.from = from;
        this.to = to;
        this.context = context;
        this.rng = new SplitMix64(seed);
        this.width = reader.sae().config().dIn();
    }

    /** Fills {@code rows} × d_in of {@code buffer} with activations, shuffled. */
    public void fill(float[] buffer, int rows) {
        int n = 0;
        while (n < rows) {
            int start = from + (int) rng.nextLong(to - from - context + 1);
            long[] window = java.util.Arrays.copyOfRange(ids, start, start + context);
            float[] x = window(window);
            int take = Math.min(context, rows - n);
            System.arraycopy(x, 0, buffer, n * width, take * width);
            n += take;
        }
        for (int i = rows - 1; i > 0; i--) { // Fisher–Yates over rows
            int j = (int) rng.nextLong(i + 1);
            for (int c = 0; c < width; c++) {
                float t = buffer[i * width + c];
                buffer[i * width + c] = buffer[j * width + c];
                buffer[j * width + c] = t;
            }
        }
    }

    /** The hook's activation at every position of {@code window}, [T × d_in] row-major, float32. */
    public float[] window(long[] window) {
        try (ActivationCache cache = model.runWithCache(window, reader.hookName())) {
            return reader.input(cache.get(reader.hookName())).toFloatArray(); // freed with the cache's manager
        }
    }
}
