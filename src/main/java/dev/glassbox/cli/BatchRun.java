package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.Progress;
import java.util.List;
import java.util.function.Function;

/**
 * Runs the documents of an {@code --input} file batch by batch, in input order, writing each batch's
 * lines as it finishes (the caller commits the output), with a progress bar on stderr (sequences done, tokens/s, ETA).
 */
final class BatchRun {

    /** What one batch produced: one output object per document, and the tokens it processed. */
    record Done(List<ObjectNode> lines, long tokens) {}

    private BatchRun() {}

    static void run(String task, List<BatchInput.Item> items, int batchSize, Function<List<BatchInput.Item>, Done> batch, JsonlOutput out) {
        if (batchSize < 1) {
            throw new GlassboxException("--batch-size must be at least 1, found " + batchSize);
        }
        long start = System.nanoTime();
        long tokens = 0;
        try (Progress bar = Progress.start(Progress.Spec.of(task, items.size()).inUnits("seq", 1, false))) {
            for (int from = 0; from < items.size(); from += batchSize) {
                List<BatchInput.Item> chunk = items.subList(from, Math.min(items.size(), from + batchSize));
                Done done = batch.apply(chunk);
                for (int i = 0; i < chunk.size(); i++) {
                    ObjectNode line = chunk.get(i).copied().deepCopy();
                    line.setAll(done.lines().get(i));
                    out.write(line);
                }
                tokens += done.tokens();
                double seconds = (System.nanoTime() - start) / 1e9;
                bar.stepTo(from + chunk.size());
                bar.extraMessage(String.format("%.0f tokens/s", tokens / Math.max(seconds, 1e-9)));
            }
        }
    }
}
