package dev.glassbox.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.Progress;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.djl.PyTorchInternals;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains glassbox's own {@link TransformerLM} blocks by next-token prediction, on DJL's PyTorch
 * engine: forward through the same differentiable NDArray ops inference uses, cross-entropy
 * from log-softmax, backward with a {@link GradientCollector}, global-norm gradient clipping,
 * {@link AdamW} with a warm-up + cosine {@link LrSchedule}.
 *
 * <p>The output folder is a HuggingFace checkpoint ({@code config.json}, {@code
 * model.safetensors}, {@code generation_config.json}, {@code tokenizer.json}) that
 * {@code LanguageModel.load} and transformers read, plus {@code training_args.json} (every
 * hyper-parameter), {@code training_log.jsonl} (losses as training goes), {@code
 * train_results.json} (the final numbers) and {@code training_state/} (AdamW moments, step, windows
 * drawn) from which {@link #resume} continues.
 *
 * <p>Every step runs in its own NDScope and sub-manager, so native memory stays flat. This file is
 * the training loop; {@link RunSetup} prepares or resumes a run, {@link RunFolder} writes its files.
 */
public final class Trainer implements AutoCloseable {

    public static final String ARGS_FILE = "training_args.json";
    public static final String LOG_FILE = "training_log.jsonl";
    public static final String RESULTS_FILE = "train_results.json";
    public static final String STATE_DIR = "training_state";
    static final String STATE_FILE = "state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STEP_KEY = "glassbox_step";

    /** Per-step statistics. */
    public record StepStats(int step, double loss, double lr, double gradNorm) {}

    /** Losses measured on fixed windows. */
    public record Eval(int step, double trainLoss, double heldOutLoss, int heldOutWindows) {
        public double heldOutPerplexity() {
            return Math.exp(heldOutLoss);
        }

        public double trainPerplexity() {
            return Math.exp(trainLoss);
        }
    }

    /** What a call to {@link #train()} did. */
    public record Result(int firstStep, int lastStep, List<StepStats> steps, List<Eval> evals, Eval last,
            double trainSeconds, double tokensPerSecond) {}

    private final TrainConfig cfg;
    private final Path out;
    private final RunFolder folder;
    private final PrintStream log;
    private final NDManager manager;
    private final TransformerLM model;
    private final ObjectNode modelConfig;
    private final ObjectNode generationConfig;
    private final TokenData data;
    private final ObjectNode runInfo;
    private final AdamW optimizer;
    private final ParameterStore parameters; // the forward pass reads the weights AdamW updates, through DJL's store
    private final LrSchedule schedule;
    private final long parameterCount;
    private int step;
    private double elapsedBefore; // training seconds of earlier sessions of this run
    private boolean progress = true;
    private final TextTokenizer tokenizer;

    Trainer(TrainConfig cfg, Path out, PrintStream log, NDManager manager, TransformerLM model,
            ObjectNode modelConfig, ObjectNode generationConfig, TokenData data, ObjectNode runInfo, TextTokenizer tokenizer) {
        this.cfg = cfg;
        this.out = out;
        this.folder = new RunFolder(out);
        this.log = log;
        this.manager = manager;
        this.model = model;
        this.modelConfig = modelConfig;
        this.generationConfig = generationConfig;
        this.data = data;
        this.runInfo = runInfo;
        this.tokenizer = tokenizer;
        this.parameters = new ParameterStore(manager, false);
        this.schedule = new LrSchedule(cfg.lr, cfg.minLr, Math.min(cfg.warmup, cfg.steps), cfg.steps);
        this.optimizer = RunSetup.optimizer(model, cfg);
        long count = 0;
        for (AdamW.Slot s : optimizer.slots()) {
            count += s.parameter().getArray().size();
        }
        this.parameterCount = count;
    }

    // ---- starting and resuming ---------------------------------------------------------------

    /**
     * Prepares a fresh run: reads and splits the corpus, trains or copies the tokenizer into
     * {@code out}, builds the model (random weights written the way transformers initialises
     * them, or a checkpoint to fine-tune) and writes {@code training_args.json}.
     */
    public static Trainer start(TrainConfig config, Path out, PrintStream log) {
        return RunSetup.start(config, out, log);
    }

    /**
     * Continues the run saved in {@code out} from its last checkpoint, with the same
     * hyper-parameters, data split and window order.
     *
     * @param steps a new total number of steps (null: the saved one)
     */
    public static Trainer resume(Path out, Integer steps, PrintStream log) {
        return RunSetup.resume(out, steps, log);
    }

    /** Takes up a saved run at {@code savedStep}: AdamW's moments from {@code optimizerFile}. */
    void restore(Path optimizerFile, int updates, int savedStep, double trainSecondsBefore) {
        optimizer.load(optimizerFile, updates, manager);
        step = savedStep;
        elapsedBefore = trainSecondsBefore;
    }

    /** The learning rate at {@code step} of this run's schedule. */
    double lrAt(int step) {
        return schedule.at(step);
    }

    // ---- training ------------------------------------------------------------------------------

    /** Shows the progress bar on stderr (default) or not. */
    public Trainer progress(boolean show) {
        this.progress = show;
        return this;
    }

    /**
     * Trains from the current step to {@code steps}: evaluates every eval-every steps (and
     * before the first step of a fresh run), saves every save-every steps and at the end, then
     * evaluates on the whole held-out set and writes train_results.json.
     */
    public Result train() {
        return train(cfg.steps);
    }

    /**
     * Trains up to step {@code until} (at most the run's steps) and saves there; the final
     * evaluation and train_results.json come only once the run's last step is done. Stopping
     * early and {@link #resume resuming} gives the same model as training straight through.
     */
    public Result train(int until) {
        if (until > cfg.steps || until < step) {
            throw new GlassboxException("cannot train to step " + until + " (at step " + step + " of " + cfg.steps + ")");
        }
        PyTorchInternals.setGradMode(false); // thread-local in libtorch; in-place updates need it off
        int first = step;
        List<StepStats> stats = new ArrayList<>();
        List<Eval> evals = new ArrayList<>();
        log.println("training: " + describe());
        if (step == 0 && data.hasHeldOut()) {
            Eval e = evaluate(cfg.evalWindows);
            evals.add(e);
            logEval(e, 0, 0);
        }
        long tokensPerStep = (long) cfg.batchSize * cfg.seqLen;
        double trainSeconds = 0;
        double windowLoss = 0;
        int windowSteps = 0;
        double windowSeconds = 0;
        double emaLoss = Double.NaN;
        try (Progress bar = progress ? progressBar() : Progress.NONE) {
            while (step < until) {
                double lr = schedule.at(step);
                // the batch size is fixed for a run, so step·B windows came before this step's
                TokenData.Batch batch = data.batch(cfg.seed, (long) step * cfg.batchSize, cfg.batchSize, cfg.seqLen);
                long t0 = System.nanoTime();
                double[] lossAndNorm = trainStep(batch, lr);
                double seconds = (System.nanoTime() - t0) / 1e9;
                step++;
                trainSeconds += seconds;
                windowSeconds += seconds;
                StepStats s = new StepStats(step, lossAndNorm[0], lr, lossAndNorm[1]);
                stats.add(s);
                windowLoss += s.loss();
                windowSteps++;
                emaLoss = Double.isNaN(emaLoss) ? s.loss() : 0.9 * emaLoss + 0.1 * s.loss();
                double tokPerSec = windowSteps * tokensPerStep / windowSeconds;
                bar.stepTo(step);
                bar.extraMessage(String.format(Locale.ROOT, "loss %.4f | %.0f tok/s", emaLoss, tokPerSec));
                if (step % cfg.logEvery == 0 || step == cfg.steps) {
                    ObjectNode line = RunFolder.JSON.createObjectNode();
                    line.put("step", step);
                    line.put("loss", windowLoss / windowSteps);
                    line.put("lr", lr);
                    line.put("grad_norm", s.gradNorm());
                    line.put("tokens_per_second", tokPerSec);
                    line.put("train_seconds", elapsedBefore + trainSeconds);
                    folder.appendLog(line);
                    windowLoss = 0;
                    windowSteps = 0;
                    windowSeconds = 0;
                }
                if (step % cfg.evalEvery == 0 && step < cfg.steps && data.hasHeldOut()) {
                    Eval e = evaluate(cfg.evalWindows);
                    evals.add(e);
                    logEval(e, lr, trainSeconds > 0 ? (step - first) * tokensPerStep / trainSeconds : 0);
                }
                if (step % cfg.saveEvery == 0 && step < until) {
                    save(elapsedBefore + trainSeconds);
                }
            }
        }
        double total = elapsedBefore + trainSeconds;
        save(total);
        Eval last = null;
        if (step < cfg.steps) {
            elapsedBefore = total;
            return new Result(first, step, stats, evals, null, trainSeconds,
                    trainSeconds > 0 ? (step - first) * tokensPerStep / trainSeconds : 0);
        }
        if (data.hasHeldOut()) {
            last = evaluate(0);
            evals.add(last);
            logEval(last, schedule.at(Math.max(0, step - 1)), trainSeconds > 0 ? (step - first) * tokensPerStep / trainSeconds : 0);
        }
        double tps = trainSeconds > 0 ? (step - first) * tokensPerStep / trainSeconds : 0;
        folder.writeResults(cfg, step, parameterCount, last, total, tps);
        elapsedBefore = total;
        return new Result(first, step, stats, evals, last, trainSeconds, tps);
    }

    /** On a terminal a redrawn bar; otherwise the bar's line in the run's log every 30 s. */
    private Progress progressBar() {
        return Progress.start(Progress.Spec.of("train", cfg.steps).startingAt(step).loggingTo(log::println));
    }

    /** One update; returns {loss, gradient norm before clipping}. */
    double[] trainStep(TokenData.Batch b, double lr) {
        try (NDScope scope = new NDScope(); NDManager sm = manager.newSubManager()) {
            NDArray x = sm.create(b.inputs(), new Shape(b.batch(), b.seqLen()));
            NDArray y = sm.create(b.targets(), new Shape(b.batch(), b.seqLen()));
            float loss;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = model.forward(parameters, new NDList(x), true).singletonOrThrow();
                NDArray l = Losses.crossEntropy(logits, y);
                gc.backward(l);
                loss = l.getFloat();
            }
            PyTorchInternals.setGradMode(false);
            if (!Float.isFinite(loss)) {
                throw new GlassboxException("the loss became " + loss + " at step " + (step + 1)
                        + "; lower --lr or keep --grad-clip on");
            }
            List<NDArray> grads = new ArrayList<>();
            for (AdamW.Slot s : optimizer.slots()) {
                grads.add(s.parameter().getArray().getGradient());
            }
            double norm = globalNorm(grads);
            if (cfg.gradClip > 0 && norm > cfg.gradClip) {
                float c = (float) (cfg.gradClip / (norm + 1e-6)); // torch.nn.utils.clip_grad_norm_
                for (NDArray g : grads) {
                    g.muli(c);
                }
            }
            optimizer.step(grads, lr);
            for (AdamW.Slot s : optimizer.slots()) {
                PyTorchInternals.zeroGrad(s.parameter().getArray());
            }
            return new double[] {loss, norm};
        }
    }

    static double globalNorm(List<NDArray> grads) {
        NDArray total = null;
        for (NDArray g : grads) {
            NDArray sq = g.square().sum();
            total = total == null ? sq : total.add(sq);
        }
        return total == null ? 0 : Math.sqrt(total.getFloat());
    }

    /**
     * Mean next-token loss on fixed windows: {@code maxWindows} evenly spaced held-out windows
     * (0: all of them) and as many training windows.
     */
    public Eval evaluate(int maxWindows) {
        List<TokenData.Batch> held = data.heldOutBatches(cfg.batchSize, cfg.seqLen, maxWindows);
        int windows = held.stream().mapToInt(TokenData.Batch::batch).sum();
        double heldLoss = meanLoss(held);
        double trainLoss = meanLoss(data.trainBatches(cfg.batchSize, cfg.seqLen, Math.max(1, windows)));
        return new Eval(step, trainLoss, heldLoss, windows);
    }

    /** Mean −log p(target) over every position of {@code batches}; no gradients. */
    public double meanLoss(List<TokenData.Batch> batches) {
        PyTorchInternals.setGradMode(false);
        double sum = 0;
        long n = 0;
        for (TokenData.Batch b : batches) {
            try (NDScope scope = new NDScope(); NDManager sm = manager.newSubManager()) {
                NDArray x = sm.create(b.inputs(), new Shape(b.batch(), b.seqLen()));
                NDArray y = sm.create(b.targets(), new Shape(b.batch(), b.seqLen()));
                NDArray logits = model.forward(parameters, new NDList(x), false).singletonOrThrow();
                sum += Losses.tokenNll(logits, y).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                n += (long) b.batch() * b.seqLen();
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Logits [T][V] of the in-memory model for one sequence (for checks and tests). */
    public float[][] logits(long[] ids) {
        PyTorchInternals.setGradMode(false);
        try (NDScope scope = new NDScope(); NDManager sm = manager.newSubManager()) {
            NDArray logits = model.forward(parameters, new NDList(sm.create(ids, new Shape(1, ids.length))), false).singletonOrThrow();
            float[] flat = logits.toFloatArray();
            int v = model.config().vocabSize();
            float[][] res = new float[ids.length][v];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * v, res[t], 0, v);
            }
            return res;
        }
    }

    private void logEval(Eval e, double lr, double tokPerSec) {
        String line = String.format(Locale.ROOT,
                "step %d/%d | train loss %.4f (ppl %.2f) | held-out loss %.4f (ppl %.2f, %d windows) | lr %.3g | %.0f tok/s",
                e.step(), cfg.steps, e.trainLoss(), e.trainPerplexity(), e.heldOutLoss(), e.heldOutPerplexity(), e.heldOutWindows(),
                lr, tokPerSec);
        log.println(line);
        ObjectNode n = RunFolder.JSON.createObjectNode();
        n.put("step", e.step());
        n.put("eval_train_loss", e.trainLoss());
        n.put("eval_loss", e.heldOutLoss());
        n.put("eval_perplexity", e.heldOutPerplexity());
        n.put("eval_windows", e.heldOutWindows());
        folder.appendLog(n);
    }

    // ---- saving ----------------------------------------------------------------------------------

    /** Writes the HuggingFace checkpoint and the training state for the current step. */
    public void save() {
        save(elapsedBefore);
    }

    private void save(double trainSeconds) {
        saveModel(out, Map.of(STEP_KEY, String.valueOf(step)));
        folder.saveState(optimizer, cfg, data, runInfo, step, trainSeconds);
    }

    /** Writes config.json, generation_config.json and model.safetensors into {@code dir}. */
    public void saveModel(Path dir, Map<String, String> metadata) {
        RunFolder.writeModel(dir, model, modelConfig, generationConfig, metadata);
    }

    void writeArgs() {
        folder.writeArgs(cfg, runInfo, optimizer, data, log);
    }

    // ---- accessors ---------------------------------------------------------------------------

    public TransformerLM model() {
        return model;
    }

    public TrainConfig config() {
        return cfg.copy();
    }

    public int step() {
        return step;
    }

    public long parameterCount() {
        return parameterCount;
    }

    public TokenData data() {
        return data;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public List<AdamW.Slot> optimizerSlots() {
        return optimizer.slots();
    }

    public String describe() {
        ModelConfig c = model.config();
        return String.format(Locale.ROOT,
                "%s, %d layers, %d wide, %d heads, context %d, vocabulary %d: %,d parameters | %,d training tokens, %,d held-out | "
                        + "steps %d, batch %d×%d tokens",
                c.modelType(), c.numLayers(), c.hiddenSize(), c.numHeads(), c.maxPositions(), c.vocabSize(), parameterCount,
                data.trainTokens(), data.heldOutTokens(), cfg.steps, cfg.batchSize, cfg.seqLen);
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
