package dev.glassbox.cli;

import ai.djl.Device;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.ModelLocator;
import dev.glassbox.Progress;
import dev.glassbox.Precision;
import dev.glassbox.quant.Gemv;
import dev.glassbox.quant.Quantization;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares: which checkpoint, where, in what precision, on how many threads. */
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

    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch intra-op threads (default: one per core; 1 for models under 50M weights unless OMP_WAIT_POLICY=PASSIVE, which bin/glassbox sets).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16|auto", defaultValue = "f32",
            description = "Precision the weights are held in: f32 (exact parity), f16, bf16 or auto (the checkpoint's "
                    + "stored dtype). Half precision computes norms, softmax and logits in float32; bf16 is held as f16 "
                    + "(or f32) by this PyTorch build (see README). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--quantize", paramLabel = "none|int8", defaultValue = "none",
            description = "Weight storage: none, or int8 (weight-only, one scale per output channel; needs --dtype f32). "
                    + "The int8 decode kernel needs the JVM option --add-modules jdk.incubator.vector (bin/glassbox adds it). "
                    + "Default: ${DEFAULT-VALUE}.")
    String quantize;

    /** The parsed {@code --quantize}. */
    public Quantization quantization() {
        return Quantization.parse(quantize);
    }

    /** The parsed {@code --dtype}. */
    public Precision precision() {
        return Precision.parse(dtype);
    }

    /** Resolves and loads the model, with a progress bar on stderr for large checkpoints. */
    public LanguageModel load() {
        if (threads != null) {
            if (threads < 1) {
                throw new GlassboxException("--threads must be at least 1, found " + threads);
            }
            Engines.threads(threads);
        }
        Device dev = parseDevice(); // before resolving, which may download
        Precision precision = precision();
        Quantization quantization = quantization();
        if (quantization != Quantization.NONE && !Gemv.available() && !quiet) {
            System.err.println("glassbox: note: --quantize " + quantization.cliName() + " without the JVM option --add-modules jdk.incubator.vector "
                    + "runs the dequantized weights through PyTorch (same results, not faster)");
        }
        Path dir = ModelLocator.resolve(model, revision, quiet);
        if (threads == null) {
            Engines.defaultThreadsFor(LanguageModel.parameterCount(dir));
        }
        int total = LanguageModel.tensorCount(dir);
        if (quiet || total < 64) {
            return LanguageModel.load(dir, dev, precision, quantization, null);
        }
        try (Progress pb = Progress.start(Progress.Spec.of("loading " + dir.getFileName(), total))) {
            return LanguageModel.load(dir, dev, precision, quantization, pb == Progress.NONE ? null : pb::stepTo);
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
