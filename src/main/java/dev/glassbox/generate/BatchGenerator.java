package dev.glassbox.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.blocks.PaddedBatch;
import dev.glassbox.blocks.TransformerLM;
import java.util.ArrayList;
import java.util.List;

/**
 * Generation for many prompts at once: one left-padded prefill, then one position per step for
 * every row still going. Each row chooses its tokens as it would alone ({@link RowDecoder}: its own
 * sampler, stop strings and EOS), and finishes on its own; a finished row is dropped from the
 * batch (its rows of the KV cache are freed), so it costs nothing more.
 *
 * <p>The batch shares one cache, so its slots are the longest prompt plus the steps taken: a row
 * shorter than the longest reaches {@link StopReason#CONTEXT_FULL} when the batch's slots fill the context,
 * a little before it would alone.
 */
public final class BatchGenerator {

    /** Told of each token as a row chooses it. */
    @FunctionalInterface
    public interface RowListener {
        /** @param row the prompt's index in the list given to {@link #generate} */
        void onToken(int row, GeneratedToken token);
    }

    private final LanguageModel model;
    private final TransformerLM block;

    public BatchGenerator(LanguageModel model) {
        this.model = model;
        this.block = model.block();
    }

    /**
     * Continues every prompt with {@code settings} completed by the checkpoint's defaults, as one batch.
     *
     * @param onToken called as each row chooses each token; may be null
     * @return one result per prompt, in order
     */
    public List<GenerationResult> generate(List<long[]> prompts, SamplingConfig settings, RowListener onToken) {
        Generator single = new Generator(model);
        SamplingConfig cfg = single.resolve(settings);
        for (long[] p : prompts) {
            single.checkPrompt(p, cfg);
        }
        PaddedBatch batch = PaddedBatch.leftPad(prompts);
        int b = batch.size();
        int context = block.config().maxPositions();
        int width = batch.width();
        RowDecoder[] rows = new RowDecoder[b];
        int longest = 0;
        for (int r = 0; r < b; r++) {
            rows[r] = new RowDecoder(prompts.get(r), cfg, model.tokenizer(), context - width);
            longest = Math.max(longest, cfg.maxNewTokensFor(prompts.get(r).length));
        }
        double[] decodeMs = new double[b];
        int capacity = (int) Math.min(context, (long) width + Math.max(1, longest));
        try (NDManager m = model.manager().newSubManager(); KvCache cache = block.newCache(m, b, capacity)) {
            long start = System.nanoTime();
            float[][] logits;
            try (NDArray ids = batch.idsArray(m); NDArray out = block.forward(ids, batch.context(cache, null), false)) {
                logits = rowsOf(out, b);
            }
            double prefillMs = (System.nanoTime() - start) / 1e6;
            long decodeStart = System.nanoTime();
            // active[i]: which prompt the cache's row i serves
            int[] active = new int[b];
            for (int r = 0; r < b; r++) {
                active[r] = r;
            }
            while (active.length > 0) {
                boolean full = cache.length() >= context;
                List<Integer> going = new ArrayList<>();
                for (int i = 0; i < active.length; i++) {
                    RowDecoder row = rows[active[i]];
                    if (!row.wantsNothing()) {
                        GeneratedToken g = row.choose(logits[i], full);
                        if (onToken != null) {
                            onToken.onToken(active[i], g);
                        }
                    }
                    if (row.finished()) {
                        decodeMs[active[i]] = (System.nanoTime() - decodeStart) / 1e6;
                    } else {
                        going.add(i);
                    }
                }
                if (going.isEmpty()) {
                    break;
                }
                if (going.size() < active.length) {
                    int[] keep = going.stream().mapToInt(Integer::intValue).toArray();
                    cache.selectRows(keep);
                    int[] next = new int[keep.length];
                    for (int i = 0; i < keep.length; i++) {
                        next[i] = active[keep[i]];
                    }
                    active = next;
                }
                long[] step = new long[active.length];
                for (int i = 0; i < active.length; i++) {
                    step[i] = rows[active[i]].lastId();
                }
                try (NDArray ids = m.create(step, new Shape(active.length, 1));
                        NDArray out = block.forward(ids, new ForwardContext(cache, null), false)) {
                    logits = rowsOf(out, active.length);
                }
            }
            List<GenerationResult> results = new ArrayList<>(b);
            for (int r = 0; r < b; r++) {
                results.add(rows[r].result(prefillMs, decodeMs[r]));
            }
            return results;
        }
    }

    /** The last position's logits [B, 1, V] as one float array per row. */
    private static float[][] rowsOf(NDArray logits, int b) {
        float[] flat = dev.glassbox.djl.PyTorchInternals.toFloatArray(logits);
        int v = flat.length / b;
        float[][] out = new float[b][];
        for (int r = 0; r < b; r++) {
            out[r] = java.util.Arrays.copyOfRange(flat, r * v, (r + 1) * v);
        }
        return out;
    }
}
