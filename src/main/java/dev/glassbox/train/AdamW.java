package dev.glassbox.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.SafetensorsFile;
import dev.glassbox.checkpoint.SafetensorsWriter;
import dev.glassbox.checkpoint.WeightLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter, "Decoupled Weight Decay
 * Regularization"), exactly as {@code torch.optim.AdamW} computes it:
 *
 * <pre>
 *   w ← w − lr·λ·w                     (only for parameters that decay)
 *   m ← β₁·m + (1−β₁)·g
 *   v ← β₂·v + (1−β₂)·g²
 *   w ← w − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 * </pre>
 *
 * Written here rather than taken from DJL: DJL's {@code Adam}/{@code AdamW} keep their moments in
 * private maps (so they cannot be saved for resumption) and apply one weight decay to every
 * parameter, while the usual practice is to decay only the weight matrices and not biases, norm
 * gains or embeddings. Updates are in place, with the engine's autograd off; the moments live in
 * the parameters' manager.
 */
public final class AdamW {

    /** One optimised parameter: its checkpoint name, whether it decays, and its moments. */
    public static final class Slot {
        final String name;
        final Parameter parameter;
        final boolean decay;
        NDArray m;
        NDArray v;

        Slot(String name, Parameter parameter, boolean decay) {
            this.name = name;
            this.parameter = parameter;
            this.decay = decay;
        }

        public String name() {
            return name;
        }

        public boolean decays() {
            return decay;
        }

        public Parameter parameter() {
            return parameter;
        }
    }

    private final List<Slot> slots = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private int t;

    /**
     * @param params every trained parameter with whether it decays (name → decays), in a fixed order
     */
    public AdamW(List<Map.Entry<Parameter, Boolean>> params, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<Parameter, Boolean> e : params) {
            Parameter p = e.getKey();
            Slot s = new Slot(p.getName(), p, e.getValue());
            NDArray w = p.getArray();
            s.m = w.zerosLike();
            s.v = w.zerosLike();
            ai.djl.ndarray.NDScope.unregister(s.m, s.v); // optimizer state outlives any step scope
            slots.add(s);
        }
    }

    public List<Slot> slots() {
        return slots;
    }

    /** Updates taken so far (t in the bias corrections). */
    public int updates() {
        return t;
    }

    /**
     * One update of every parameter with the gradients {@code grads} (same order as
     * {@link #slots}). Temporaries go to the caller's NDScope.
     */
    public void step(List<NDArray> grads, double lr) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            NDArray w = s.parameter.getArray();
            NDArray g = grads.get(i);
            if (s.decay && weightDecay != 0) {
                w.muli((float) (1 - lr * weightDecay));
            }
            s.m.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
            s.v.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
            NDArray denom = s.v.div((float) bc2).sqrt().addi((float) eps);
            w.subi(s.m.div(denom).muli((float) (lr / bc1)));
        }
    }

    /** Writes the moments (exp_avg.NAME, exp_avg_sq.NAME, as torch names them) to a safetensors file. */
    public void save(Path file, Map<String, String> metadata) {
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        for (Slot s : slots) {
            specs.add(SafetensorsWriter.f32("exp_avg." + s.name, s.m.getShape().getShape(), s.m.toFloatArray()));
            specs.add(SafetensorsWriter.f32("exp_avg_sq." + s.name, s.v.getShape().getShape(), s.v.toFloatArray()));
        }
        SafetensorsWriter.write(file, specs, metadata);
    }

    /** Restores moments written by {@link #save}, and the update count. */
    public void load(Path file, int updates, NDManager manager) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Slot s : slots) {
                NDArray m = read(f, "exp_avg." + s.name, s, manager);
                NDArray v = read(f, "exp_avg_sq." + s.name, s, manager);
                s.m.close();
                s.v.close();
                s.m = m;
                s.v = v;
            }
        }
        this.t = updates;
    }

    private static NDArray read(SafetensorsFile f, String name, Slot s, NDManager manager) {
        if (!f.names().contains(name)) {
            throw new GlassboxException(f.path() + ": no optimizer state for '" + s.name + "'");
        }
        var raw = f.get(name);
        if (raw.dtype() != DType.F32 || !new ai.djl.ndarray.types.Shape(raw.shape()).equals(s.parameter.getArray().getShape())) {
            throw new GlassboxException(f.path() + ": '" + name + "' does not fit the model");
        }
        NDArray a = WeightLoader.toNDArray(raw, manager);
        ai.djl.ndarray.NDScope.unregister(a);
        return a;
    }
}
