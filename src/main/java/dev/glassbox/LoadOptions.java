package dev.glassbox;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.function.Consumer;

/**
 * How {@link LanguageModel#load(String, LoadOptions)} loads a model, as the CLI's {@code --device},
 * {@code --dtype} and {@code --revision} do: {@code LoadOptions.defaults().dtype("f16").revision("v1")}.
 * Defaults: the CPU, float32 weights ({@link Precision#F32}, exact parity), the hub's {@code main},
 * quiet (no download messages), no progress callback.
 */
public final class LoadOptions {

    private Device device = Device.cpu();
    private Precision dtype = Precision.F32;
    private String revision;
    private boolean quiet = true;
    private Consumer<Integer> progress;

    private LoadOptions() {}

    /** CPU, float32, the main revision, quiet. */
    public static LoadOptions defaults() {
        return new LoadOptions();
    }

    /** The device to hold the weights on. */
    public LoadOptions device(Device d) {
        this.device = d;
        return this;
    }

    /** {@code cpu}, or {@code gpu}/{@code cuda} (an error when the PyTorch engine sees no CUDA GPU). */
    public LoadOptions device(String name) {
        switch (name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "cpu":
                return device(Device.cpu());
            case "gpu":
            case "cuda":
                Engines.init();
                if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
                    throw new GlassboxException("device gpu: no CUDA GPU visible to the PyTorch engine (see README, \"Running on a GPU\")");
                }
                return device(Device.gpu());
            default:
                throw new GlassboxException("device must be cpu or gpu, found '" + name + "'");
        }
    }

    /** The precision the weights are held in. */
    public LoadOptions dtype(Precision p) {
        this.dtype = p;
        return this;
    }

    /** {@code f32}, {@code f16}, {@code bf16} or {@code auto}, as {@code --dtype} takes them. */
    public LoadOptions dtype(String name) {
        return dtype(Precision.parse(name));
    }

    /** Branch, tag or commit of a HuggingFace model id (null: main). */
    public LoadOptions revision(String rev) {
        this.revision = rev;
        return this;
    }

    /** False to see what the hub client downloads. */
    public LoadOptions quiet(boolean q) {
        this.quiet = q;
        return this;
    }

    /** Told how many tensors are loaded so far, out of {@link LanguageModel#tensorCount}. */
    public LoadOptions progress(Consumer<Integer> onTensors) {
        this.progress = onTensors;
        return this;
    }

    public Device device() {
        return device;
    }

    public Precision dtype() {
        return dtype;
    }

    public String revision() {
        return revision;
    }

    public boolean quiet() {
        return quiet;
    }

    public Consumer<Integer> progress() {
        return progress;
    }
}
