package dev.glassbox.spark;

import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.ModelLocator;
import dev.glassbox.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkFiles;

/**
 * One loaded model per executor JVM, created on first use: every task of the JVM shares it, and
 * it lives as long as the JVM (the pattern of DJL's Spark extension: an executor's native memory
 * is freed when it exits). A model is a folder
 * path (on a shared filesystem, or unpacked by {@code --archives} into the executor's working
 * folder), a file shipped with {@code --files} / {@code SparkContext.addFile} (found through
 * {@link SparkFiles}), or a HuggingFace model id (downloaded into each machine's cache).
 *
 * <p>Tasks share the model one forward pass at a time ({@link #lock}): libtorch already spreads
 * one pass over the intra-op threads, so run one task per executor (spark.task.cpus =
 * spark.executor.cores) and give those cores to libtorch ({@link SparkOptions#threads}).
 */
public final class ModelHolder {

    private static final Map<String, LanguageModel> MODELS = new HashMap<>();
    private static int loads;

    private ModelHolder() {}

    /** The model for {@code options} in this JVM, loaded on the first call. */
    public static synchronized LanguageModel get(SparkOptions options) {
        String key = options.model() + "|" + options.dtype();
        LanguageModel m = MODELS.get(key);
        if (m == null) {
            if (options.threads() > 0) {
                Engines.threads(options.threads());
            }
            Engines.init();
            Path dir = locate(options.model());
            m = LanguageModel.load(dir, Precision.parse(options.dtype()));
            MODELS.put(key, m);
            loads++;
        }
        return m;
    }

    /** What one forward pass at a time holds: the model's own monitor. */
    public static Object lock(LanguageModel model) {
        return model;
    }

    /** How many models this JVM has loaded (one per model and dtype, whatever the task count). */
    public static synchronized int loads() {
        return loads;
    }

    private static Path locate(String model) {
        Path p = Path.of(model);
        if (Files.isDirectory(p)) {
            return p.toAbsolutePath();
        }
        try {
            Path shipped = Path.of(SparkFiles.get(model));
            if (Files.isDirectory(shipped)) {
                return shipped;
            }
        } catch (RuntimeException notInSpark) {
            // no SparkEnv (a plain JVM): not shipped with --files
        }
        if (model.startsWith("/") || model.startsWith(".")) {
            throw new GlassboxException("model folder " + model + " does not exist on this executor; "
                    + "put it on a filesystem every executor mounts, or ship it with --archives (see README \"Spark\")");
        }
        return ModelLocator.resolve(model, null, true); // a model id, or the bundled model's name
    }
}
