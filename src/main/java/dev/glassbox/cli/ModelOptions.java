package dev.glassbox.cli;

import ai.djl.Device;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.ModelLocator;
import java.nio.file.Path;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares: which checkpoint, where, on how many threads. */
public final class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR|ID",
            description = "Checkpoint folder in the HuggingFace layout, or a HuggingFace model id "
                    + "(org/name, resolved through the HuggingFace cache). Default: the bundled model.")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit of a model id (default: main).")
    String revision;

    @Option(names = "--device", paramLabel = "cpu|gpu", defaultValue = "cpu",
            description = "Where to run. gpu needs a CUDA build of libtorch (see README). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "PyTorch intra-op threads (default: one per core).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    /** Resolves and loads the model, with a progress bar on stderr for large checkpoints. */
    public LanguageModel load() {
        if (threads != null) {
            if (threads < 1) {
                throw new GlassboxException("--threads must be at least 1, found " + threads);
            }
            Engines.threads(threads);
        }
        Device dev = parseDevice(); // before resolving, which may download
        Path dir = ModelLocator.resolve(model, revision, quiet);
        int total = LanguageModel.tensorCount(dir);
        if (quiet || total < 64) {
            return LanguageModel.load(dir, dev, null);
        }
        try (ProgressBar pb = new ProgressBarBuilder()
                .setTaskName("loading " + dir.getFileName())
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build()) {
            return LanguageModel.load(dir, dev, pb::stepTo);
        }
    }

    private Device parseDevice() {
        switch (device) {
            case "cpu":
                return Device.cpu();
            case "gpu":
            case "cuda":
                Engines.init();
                if (ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() == 0) {
                    throw new GlassboxException(
                            "--device gpu: no CUDA GPU visible to the PyTorch engine (point PYTORCH_LIBRARY_PATH at a CUDA libtorch; see README)");
                }
                return Device.gpu();
            default:
                throw new GlassboxException("--device must be cpu or gpu, found '" + device + "'");
        }
    }
}
