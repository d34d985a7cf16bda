package dev.glassbox.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.SafetensorsFile;
import dev.glassbox.checkpoint.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A sparse autoencoder as SAELens defines it, over one activation of width d_in:
 *
 * <pre>
 *   sae_in     = norm_in(x) − b_dec            (− b_dec only when apply_b_dec_to_input)
 *   hidden_pre = sae_in · W_enc + b_enc         W_enc [d_in, d_sae]
 *   f          = ReLU(hidden_pre)                          standard
 *              = ReLU(hidden_pre) · [hidden_pre &gt; θ]       jumprelu (θ = threshold [d_sae])
 *              = ReLU of the k largest hidden_pre, 0 elsewhere   topk
 *   x̂          = norm_out(f · W_dec + b_dec)    W_dec [d_sae, d_in]
 * </pre>
 *
 * norm_in/norm_out are SAELens's {@code normalize_activations}: identity ("none"), x·√d_in/‖x‖
 * and back ("constant_norm_rescale"), or (x − μ)/(σ + 10⁻⁵) and back with σ the unbiased
 * standard deviation ("layer_norm"). The weights live in the SAE's own NDManager; close it to
 * free them. Folder layout: {@code cfg.json} ({@link SaeConfig}) and {@code sae_weights.safetensors}.
 */
public final class SparseAutoencoder implements AutoCloseable {

    public static final String WEIGHTS = "sae_weights.safetensors";
    private static final float LN_EPS = 1e-5f;

    private final SaeConfig config;
    private final NDManager manager;
    final NDArray wEnc;
    final NDArray bEnc;
    final NDArray wDec;
    final NDArray bDec;
    final NDArray threshold; // jumprelu only, else null

    private SparseAutoencoder(SaeConfig config, NDManager manager, NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec, NDArray threshold) {
        this.config = config;
        this.manager = manager;
        this.wEnc = wEnc;
        this.bEnc = bEnc;
        this.wDec = wDec;
        this.bDec = bDec;
        this.threshold = threshold;
    }

    /** An SAE with these weights (row-major float32; {@code threshold} only for jumprelu, else null). */
    public static SparseAutoencoder of(SaeConfig cfg, NDManager parent, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, float[] threshold) {
        NDManager m = parent.newSubManager();
        try {
            int d = cfg.dIn();
            int n = cfg.dSae();
            check("W_enc", wEnc, (long) d * n);
            check("b_enc", bEnc, n);
            check("W_dec", wDec, (long) n * d);
            check("b_dec", bDec, d);
            boolean jump = cfg.architecture() == SaeConfig.Architecture.JUMPRELU;
            if (jump) {
                check("threshold", threshold, n);
            }
            return new SparseAutoencoder(cfg, m, m.create(wEnc, new Shape(d, n)), m.create(bEnc), m.create(wDec, new Shape(n, d)),
                    m.create(bDec), jump ? m.create(threshold) : null);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static void check(String name, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new GlassboxException(name + " needs " + expected + " values, found " + (a == null ? "none" : a.length));
        }
    }

    /** Loads an SAE folder in SAELens's layout; errors name the file, tensor, expected and found shape. */
    public static SparseAutoencoder load(Path dir, NDManager parent) {
        SaeConfig cfg = SaeConfig.read(dir);
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) {
            throw new GlassboxException(dir + ": no " + WEIGHTS);
        }
        boolean jump = cfg.architecture() == SaeConfig.Architecture.JUMPRELU;
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            return of(cfg, parent,
                    read(st, "W_enc", cfg.dIn(), cfg.dSae()), read(st, "b_enc", cfg.dSae()),
                    read(st, "W_dec", cfg.dSae(), cfg.dIn()), read(st, "b_dec", cfg.dIn()),
                    jump ? read(st, "threshold", cfg.dSae()) : null);
        }
    }

    private static float[] read(SafetensorsFile st, String name, long... shape) {
        if (!st.names().contains(name)) {
            throw new GlassboxException(st.path() + ": no tensor '" + name + "' (found: " + String.join(", ", st.names()) + ")");
        }
        RawTensor t = st.get(name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new GlassboxException(st.path() + ": tensor '" + name + "' has shape " + t.shapeString()
                    + ", expected " + java.util.Arrays.toString(shape));
        }
        return dev.glassbox.checkpoint.RawFloats.of(t, st.path());
    }

    /** Writes {@code dir/cfg.json} and {@code dir/sae_weights.safetensors} (float32, SAELens's tensor names and shapes). */
    public void save(Path dir, Map<String, String> metadata) {
        config.write(dir);
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        specs.add(SafetensorsWriter.f32("W_enc", new long[] {config.dIn(), config.dSae()}, wEnc.toFloatArray()));
        specs.add(SafetensorsWriter.f32("b_enc", new long[] {config.dSae()}, bEnc.toFloatArray()));
        specs.add(SafetensorsWriter.f32("W_dec", new long[] {config.dSae(), config.dIn()}, wDec.toFloatArray()));
        specs.add(SafetensorsWriter.f32("b_dec", new long[] {config.dIn()}, bDec.toFloatArray()));
        if (threshold != null) {
            specs.add(SafetensorsWriter.f32("threshold", new long[] {config.dSae()}, threshold.toFloatArray()));
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS), specs, metadata);
    }

    public SaeConfig config() {
        return config;
    }

    /** hidden_pre = (norm_in(x) − b_dec)·W_enc + b_enc for x [..., d_in] (float32). */
    public NDArray hiddenPre(NDArray x) {
        NDArray in = normIn(x)[0];
        if (config.applyBDecToInput()) {
            in = in.sub(bDec);
        }
        return in.matMul(wEnc).add(bEnc);
    }

    /** The feature activations f [..., d_sae] of x [..., d_in]. */
    public NDArray encode(NDArray x) {
        return activate(hiddenPre(x));
    }

    /** f from hidden_pre, per architecture. */
    NDArray activate(NDArray pre) {
        NDArray relu = pre.maximum(0f);
        return switch (config.architecture()) {
            case STANDARD -> relu;
            case JUMPRELU -> relu.mul(pre.gt(threshold).toType(DataType.FLOAT32, false));
            case TOPK -> {
                // Keep the k largest: those at or above the k-th largest value (ties at the k-th
                // value are all kept; torch.topk would pick among them arbitrarily).
                NDList top = pre.topK(config.k(), -1, true, false);
                NDArray kth = top.get(0).min(new int[] {-1}, true);
                yield relu.mul(pre.gte(kth).toType(DataType.FLOAT32, false));
            }
        };
    }

    /** f·W_dec + b_dec, in the normalised space (no norm_out; see {@link #reconstruct}). */
    public NDArray decode(NDArray f) {
        return f.matMul(wDec).add(bDec);
    }

    /** x̂ = norm_out(decode(encode(x))), the reconstruction in x's own space [..., d_in]. */
    public NDArray reconstruct(NDArray x) {
        NDArray[] n = normIn(x);
        NDArray in = config.applyBDecToInput() ? n[0].sub(bDec) : n[0];
        NDArray out = decode(activate(in.matMul(wEnc).add(bEnc)));
        return switch (config.normalizeActivations()) {
            case "constant_norm_rescale" -> out.div(n[1]);
            case "layer_norm" -> out.mul(n[1]).add(n[2]);
            default -> out;
        };
    }

    /** norm_in(x) and what norm_out needs: {normalised, coefficient or σ, μ}. */
    private NDArray[] normIn(NDArray x) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        if (d != config.dIn()) {
            throw new GlassboxException("the SAE reads width " + config.dIn() + " (d_in) but the activation has width " + d);
        }
        switch (config.normalizeActivations()) {
            case "constant_norm_rescale": {
                NDArray coeff = x.square().sum(new int[] {-1}, true).sqrt().pow(-1).mul((float) Math.sqrt(config.dIn()));
                return new NDArray[] {x.mul(coeff), coeff, null};
            }
            case "layer_norm": {
                NDArray mu = x.mean(new int[] {-1}, true);
                NDArray c = x.sub(mu);
                NDArray std = c.square().sum(new int[] {-1}, true).div((float) (d - 1)).sqrt(); // torch.std: unbiased
                return new NDArray[] {c.div(std.add(LN_EPS)), std, mu};
            }
            default:
                return new NDArray[] {x, null, null};
        }
    }

    /** Row f of W_dec: feature f's direction in activation space [d_in]. */
    public float[] decoderRow(int feature) {
        if (feature < 0 || feature >= config.dSae()) {
            throw new GlassboxException("feature " + feature + " does not exist (the SAE has d_sae " + config.dSae() + ")");
        }
        try (NDArray row = wDec.get(feature)) {
            return row.toFloatArray();
        }
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
