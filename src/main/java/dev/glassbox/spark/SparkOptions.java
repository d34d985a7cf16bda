package dev.glassbox.spark;

import dev.glassbox.GlassboxException;
import java.io.Serializable;

/**
 * How each executor runs the model: which model (folder, shipped file name or HuggingFace id, see
 * {@link ModelHolder}), in what precision, how many documents per forward pass, and how many
 * libtorch threads (0: libtorch's default, one per core the JVM sees).
 */
public record SparkOptions(String model, String dtype, int batchSize, int threads) implements Serializable {

    public SparkOptions {
        if (model == null || model.isBlank()) {
            throw new GlassboxException("give a model: a folder every executor can read, a file shipped with --archives, or a model id");
        }
        if (batchSize < 1) {
            throw new GlassboxException("the batch size must be at least 1, found " + batchSize);
        }
        if (threads < 0) {
            throw new GlassboxException("threads must be 0 (libtorch's default) or more, found " + threads);
        }
    }

    /** float32 weights, 8 documents per pass, libtorch's default threads. */
    public static SparkOptions of(String model) {
        return new SparkOptions(model, "f32", 8, 0);
    }

    public SparkOptions withBatchSize(int n) {
        return new SparkOptions(model, dtype, n, threads);
    }

    public SparkOptions withThreads(int n) {
        return new SparkOptions(model, dtype, batchSize, n);
    }

    public SparkOptions withDtype(String d) {
        return new SparkOptions(model, d, batchSize, threads);
    }
}
