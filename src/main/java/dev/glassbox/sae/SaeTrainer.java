package dev.glassbox.sae;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.glassbox.GlassboxException;
import dev.glassbox.Progress;
import dev.glassbox.train.AdamW;
import dev.glassbox.train.SplitMix64;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Trains an SAE on streamed activations, as SAELens's standard and top-k trainers do:
 *
 * <pre>
 *   loss = Σ_d (x̂ − x)² (mean over the batch)  +  λ · Σ_f f·‖W_dec[f]‖ (mean over the batch)   (L1, standard)
 *   loss = Σ_d (x̂ − x)²                                                                      (topk: sparsity by k)
 * </pre>
 *
 * Initialisation as SAELens: W_dec rows Kaiming-uniform then scaled to norm 0.1, W_enc = W_decᵀ,
 * b_enc = 0, b_dec = the mean of the first buffer. Adam (AdamW without weight decay, β = 0.9,
 * 0.999). A feature is dead when it has not fired for {@code deadWindow} steps.
 */
public final class SaeTrainer {

    /** What to train. */
    public record Settings(int steps, int batchSize, double lr, double l1, int bufferBatches, int deadWindow, long seed) {}

    /** One logged point. */
    public record LogPoint(int step, double mse, double explainedVariance, double l0, int dead) {}

    private final SparseAutoencoder sae;
    private final ActivationStream stream;
    private final Settings s;
    private final AdamW adam;
    private final List<Parameter> params = new ArrayList<>();
    private final int[] lastFired;

    private SaeTrainer(SparseAutoencoder sae, ActivationStream stream, Settings s) {
        this.sae = sae;
        this.stream = stream;
        this.s = s;
        List<Map.Entry<Parameter, Boolean>> list = new ArrayList<>();
        for (Object[] p : new Object[][] {{"W_enc", sae.wEnc}, {"b_enc", sae.bEnc}, {"W_dec", sae.wDec}, {"b_dec", sae.bDec}}) {
            Parameter param = Parameter.builder().setName((String) p[0]).setType(Parameter.Type.WEIGHT).build();
            NDArray a = (NDArray) p[1];
            a.setRequiresGradient(true);
            param.setArray(a);
            params.add(param);
            list.add(Map.entry(param, false));
        }
        this.adam = new AdamW(list, 0.9, 0.999, 1e-8, 0.0);
        this.lastFired = new int[sae.config().dSae()];
    }

    /** A freshly initialised SAE of {@code cfg} (architecture standard or topk), in {@code parent}. */
    public static SparseAutoencoder initialise(SaeConfig cfg, NDManager parent, float[] bDec, long seed) {
        if (cfg.architecture() == SaeConfig.Architecture.JUMPRELU) {
            throw new GlassboxException("train-sae trains standard (L1) and topk SAEs; jumprelu needs a straight-through threshold estimator, not built here");
        }
        int d = cfg.dIn();
        int n = cfg.dSae();
        SplitMix64 rng = new SplitMix64(seed);
        double bound = Math.sqrt(6.0 / d); // torch.nn.init.kaiming_uniform_ on [d_sae, d_in]: fan_in = d_in
        float[] wDec = new float[n * d];
        float[] wEnc = new float[d * n];
        for (int f = 0; f < n; f++) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                double v = (2 * rng.nextDouble() - 1) * bound;
                wDec[f * d + j] = (float) v;
                norm += v * v;
            }
            double scale = 0.1 / Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                wDec[f * d + j] *= (float) scale;
                wEnc[j * n + f] = wDec[f * d + j];
            }
        }
        return SparseAutoencoder.of(cfg, parent, wEnc, new float[n], wDec, bDec, null);
    }

    /**
     * Trains {@code sae} in place for {@code s.steps()} steps, a progress bar on stderr.
     *
     * @param log told every {@code logEvery} steps (and at the end)
     */
    public static void train(SparseAutoencoder sae, ActivationStream stream, Settings s, int logEvery, Consumer<LogPoint> log) {
        new SaeTrainer(sae, stream, s).run(logEvery, log);
    }

    private void run(int logEvery, Consumer<LogPoint> log) {
        int d = sae.config().dIn();
        int rows = s.batchSize() * s.bufferBatches();
        float[] buffer = new float[rows * d];
        int next = s.bufferBatches(); // batches left in the buffer: none yet
        double mse = 0;
        double ev = 0;
        double l0 = 0;
        int seen = 0;
        try (Progress pb = Progress.start(Progress.Spec.of("train-sae", s.steps()).loggingTo(System.err::println))) {
            for (int step = 1; step <= s.steps(); step++) {
                if (next == s.bufferBatches()) {
                    stream.fill(buffer, rows);
                    next = 0;
                }
                float[] batch = java.util.Arrays.copyOfRange(buffer, next * s.batchSize() * d, (next + 1) * s.batchSize() * d);
                next++;
                double[] st = step(batch, step);
                mse += st[0];
                ev += st[1];
                l0 += st[2];
                seen++;
                pb.stepTo(step);
                if (step % logEvery == 0 || step == s.steps()) {
                    LogPoint p = new LogPoint(step, mse / seen, ev / seen, l0 / seen, dead(step));
                    pb.extraMessage(String.format("mse %.4f  expl.var %.3f  L0 %.1f  dead %d", p.mse(), p.explainedVariance(), p.l0(), p.dead()));
                    log.accept(p);
                    mse = ev = l0 = 0;
                    seen = 0;
                }
            }
        }
    }

    /** Features that have not fired in the last deadWindow steps (all steps so far, early on). */
    private int dead(int step) {
        int n = 0;
        for (int f : lastFired) {
            n += step - f >= Math.min(s.deadWindow(), step) ? 1 : 0;
        }
        return n;
    }

    /** One Adam update; returns {mse per element, explained variance, mean L0} of the batch. */
    private double[] step(float[] batch, int step) {
        int d = sae.config().dIn();
        int b = s.batchSize();
        try (NDScope scope = new NDScope(); NDManager m = sae.manager().newSubManager()) {
            NDArray x = m.create(batch, new Shape(b, d));
            if (step == 1) {
                sae.bDec.set(x.mean(new int[] {0}).toFloatArray()); // b_dec_init_method "mean" (first batch of the buffer)
            }
            NDArray f;
            NDArray err;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                f = sae.encode(x);
                err = sae.decode(f).sub(x);
                NDArray loss = err.square().sum(new int[] {1}).mean();
                if (sae.config().architecture() == SaeConfig.Architecture.STANDARD && s.l1() > 0) {
                    NDArray decNorm = sae.wDec.square().sum(new int[] {1}).sqrt();
                    loss = loss.add(f.mul(decNorm).sum(new int[] {1}).mean().mul((float) s.l1()));
                }
                gc.backward(loss);
            }
            JniUtils.setGradMode(false);
            List<NDArray> grads = new ArrayList<>();
            for (Parameter p : params) {
                grads.add(p.getArray().getGradient());
            }
            adam.step(grads, s.lr());
            for (Parameter p : params) {
                JniUtils.zeroGrad((PtNDArray) p.getArray());
            }
            float[] fired = f.gt(0f).sum(new int[] {0}).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            double l0 = 0;
            for (int i = 0; i < fired.length; i++) {
                if (fired[i] > 0) {
                    lastFired[i] = step;
                }
                l0 += fired[i];
            }
            double sq = err.square().sum().getFloat();
            double tot = x.sub(x.mean(new int[] {0}, true)).square().sum().getFloat();
            return new double[] {sq / ((double) b * d), 1 - sq / tot, l0 / b};
        }
    }
}
