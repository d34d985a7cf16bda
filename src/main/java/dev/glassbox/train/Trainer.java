package dev.glassbox.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.Progress;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.Attention;
import dev.glassbox.blocks.DecoderLayer;
import dev.glassbox.blocks.Linear;
import dev.glassbox.blocks.Mlp;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.Checkpoint;
import dev.glassbox.checkpoint.RandomCheckpoint;
import dev.glassbox.checkpoint.SafetensorsFile;
import dev.glassbox.checkpoint.SafetensorsWriter;
import dev.glassbox.checkpoint.WeightLoader;
import dev.glassbox.djl.PyTorchInternals;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

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
 * <p>Every step runs in its own NDScope and sub-manager, so native memory stays flat.
 */
public final class Trainer implements AutoCloseable {

    public static final String ARGS_FILE = "training_args.json";
    public static final String LOG_FILE = "training_log.jsonl";
    public static final String RESULTS_FILE = "train_results.json";
    public static final String STATE_DIR = "training_state";
    static final String STATE_FILE = "state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STEP_KEY = "glassbox_step";
    private static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "token_mappings.json");

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

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final TrainConfig cfg;
    private final Path out;
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

    private Trainer(TrainConfig cfg, Path out, PrintStream log, NDManager manager, TransformerLM model,
            ObjectNode modelConfig, ObjectNode generationConfig, TokenData data, ObjectNode runInfo, TextTokenizer tokenizer) {
        this.cfg = cfg;
        this.out = out;
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
        Set<Parameter> decays = new HashSet<>();
        for (DecoderLayer layer : model.layers()) {
            Attention a = layer.attention();
            Mlp m = layer.mlp();
            for (Linear l : new Linear[] {a.qkv(), a.q(), a.k(), a.v(), a.o(), m.gateUp(), m.gate(), m.up(), m.down()}) {
                if (l != null) {
                    decays.add(l.weight());
                }
            }
        }
        if (model.lmHead() != null) {
            decays.add(model.lmHead());
        }
        List<Map.Entry<Parameter, Boolean>> params = new ArrayList<>();
        long count = 0;
        for (WeightLoader.Slot s : WeightLoader.slots(model)) {
            NDArray a = s.parameter().getArray();
            a.setRequiresGradient(true);
            params.add(new AbstractMap.SimpleEntry<>(s.parameter(), decays.contains(s.parameter())));
            count += a.size();
        }
        this.parameterCount = count;
        this.optimizer = new AdamW(params, cfg.beta1, cfg.beta2, cfg.adamEps, cfg.weightDecay);
    }

    // ---- starting and resuming ---------------------------------------------------------------

    /**
     * Prepares a fresh run: reads and splits the corpus, trains or copies the tokenizer into
     * {@code out}, builds the model (random weights written the way transformers initialises
     * them, or a checkpoint to fine-tune) and writes {@code training_args.json}.
     */
    public static Trainer start(TrainConfig config, Path out, PrintStream log) {
        TrainConfig cfg = config.copy().validate();
        if (Files.exists(out.resolve("model.safetensors")) || Files.exists(out.resolve(STATE_DIR))) {
            throw new GlassboxException(out + ": already holds a checkpoint; pass --resume to continue that run, or choose another --out");
        }
        Path corpus = Path.of(cfg.corpus);
        Corpus.Format format = Corpus.Format.parse(cfg.corpusFormat);
        Corpus.Format resolved = format == Corpus.Format.AUTO ? Corpus.detect(corpus) : format;
        String text = Corpus.read(corpus, resolved);
        Corpus.Split split = Corpus.split(text, cfg.evalFraction, 16 * (cfg.seqLen + 1));
        createDirectories(out);

        Path tokenizerDir = cfg.tokenizer != null ? Path.of(cfg.tokenizer) : cfg.initFrom != null ? Path.of(cfg.initFrom) : null;
        if (cfg.vocabSize != null) {
            long t0 = System.nanoTime();
            BpeTokenizer bpe = BpeTrainer.train(split.train(), cfg.vocabSize, List.of(BpeTokenizer.END_OF_TEXT), null);
            bpe.writeTokenizerJson(out, cfg.arch != null ? cfg.nPositions : 1024);
            log.printf(Locale.ROOT, "trained a byte-level BPE of %d tokens (%d merges) on the training text in %.1f s%n",
                    bpe.vocabSize(), bpe.merges().size(), (System.nanoTime() - t0) / 1e9);
        } else {
            copyTokenizer(tokenizerDir, out);
        }
        Engines.init();
        TextTokenizer tok = TextTokenizer.load(out);
        NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
        try {
            Long eot = tok.tokenId(BpeTokenizer.END_OF_TEXT).isPresent() ? tok.tokenId(BpeTokenizer.END_OF_TEXT).getAsLong() : null;
            TokenData data = trainingData(cfg, split, tok);

            Path source = cfg.initFrom != null ? Path.of(cfg.initFrom) : out.resolve(".init-" + cfg.seed);
            if (cfg.arch != null) {
                writeRandom(cfg, tok.vocabSize(), source);
            }
            TransformerLM model;
            ObjectNode modelConfig;
            ObjectNode genConfig;
            try {
                Checkpoint ckpt = Checkpoint.open(source);
                try (ckpt) {
                    model = load(ckpt, manager);
                    modelConfig = ckpt.config().deepCopy();
                    genConfig = ckpt.generationConfig().deepCopy();
                }
            } finally {
                if (cfg.arch != null) {
                    deleteTree(source);
                }
            }
            modelConfig.put("torch_dtype", "float32");
            if (cfg.arch != null) {
                if (cfg.arch.equals("gpt2")) {
                    // Trained without dropout: say so, so that transformers does not add any.
                    modelConfig.put("attn_pdrop", 0.0);
                    modelConfig.put("embd_pdrop", 0.0);
                    modelConfig.put("resid_pdrop", 0.0);
                    modelConfig.put("scale_attn_by_inverse_layer_idx", false);
                    modelConfig.put("reorder_and_upcast_attn", false);
                    modelConfig.put("use_cache", true);
                }
                for (ObjectNode n : List.of(modelConfig, genConfig)) {
                    if (eot != null) {
                        n.put("bos_token_id", eot);
                        n.put("eos_token_id", eot);
                    } else {
                        n.remove("bos_token_id");
                        n.remove("eos_token_id");
                    }
                }
            }
            checkFits(cfg, model.config(), data, tok);
            ObjectNode run = JSON.createObjectNode();
            run.put("corpus_sha256", Corpus.sha256(corpus));
            run.put("corpus_format", resolved.name().toLowerCase(Locale.ROOT));
            run.put("corpus_chars", text.length());
            run.put("chunks", split.chunks());
            run.put("held_out_every_nth_chunk", split.period());
            run.put("train_tokens", data.trainTokens());
            run.put("window_starts", data.windowStarts());
            run.put("held_out_tokens", data.heldOutTokens());
            run.put("vocab_size", model.config().vocabSize());
            run.put("tokenizer", cfg.vocabSize != null ? "byte-level BPE trained on the training text" : String.valueOf(tokenizerDir));
            Trainer t = new Trainer(cfg, out, log, manager, model, modelConfig, genConfig, data, run, tok);
            run.put("parameters", t.parameterCount);
            t.writeArgs();
            return t;
        } catch (RuntimeException e) {
            manager.close();
            tok.close();
            throw e;
        }
    }

    /**
     * Continues the run saved in {@code out} from its last checkpoint, with the same
     * hyper-parameters, data split and window order.
     *
     * @param steps a new total number of steps (null: the saved one)
     */
    public static Trainer resume(Path out, Integer steps, PrintStream log) {
        Path stateDir = out.resolve(STATE_DIR);
        if (!Files.isRegularFile(stateDir.resolve(STATE_FILE)) || !Files.isRegularFile(out.resolve(ARGS_FILE))) {
            throw new GlassboxException(out + ": no training state to resume from (expected " + STATE_DIR + "/" + STATE_FILE
                    + " and " + ARGS_FILE + ")");
        }
        JsonNode args = readJson(out.resolve(ARGS_FILE));
        TrainConfig cfg = TrainConfig.json().convertValue(args, TrainConfig.class);
        JsonNode state = readJson(stateDir.resolve(STATE_FILE));
        int savedStep = state.path("step").asInt();
        if (!state.has("windows_drawn")) {
            throw new GlassboxException(out + ": the training state predates epoch-shuffled windows (no windows_drawn); "
                    + "it cannot be resumed with the same batches, start the run again");
        }
        if (steps != null) {
            if (steps <= savedStep) {
                throw new GlassboxException("--steps " + steps + " is not beyond the saved step " + savedStep);
            }
            cfg.steps = steps;
        }
        cfg.validate();
        Path corpus = Path.of(cfg.corpus);
        String sha = Corpus.sha256(corpus);
        if (!sha.equals(state.path("corpus_sha256").asText())) {
            throw new GlassboxException(corpus + ": the corpus changed since the run started (SHA-256 differs); resuming would mix data");
        }
        Corpus.Format resolved = Corpus.Format.parse(args.path("run").path("corpus_format").asText(cfg.corpusFormat));
        Corpus.Split split = Corpus.split(Corpus.read(corpus, resolved), cfg.evalFraction, 16 * (cfg.seqLen + 1));
        Engines.init();
        TextTokenizer tok = TextTokenizer.load(out);
        NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
        try {
            TokenData data = trainingData(cfg, split, tok);
            TransformerLM model;
            ObjectNode modelConfig;
            ObjectNode genConfig;
            try (Checkpoint ckpt = Checkpoint.open(out)) {
                try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                    String at = f.metadata().get(STEP_KEY);
                    if (!String.valueOf(savedStep).equals(at)) {
                        throw new GlassboxException(out + ": model.safetensors is from step " + at + " but the training state from step "
                                + savedStep + " (an interrupted save?); cannot resume safely");
                    }
                }
                model = load(ckpt, manager);
                modelConfig = ckpt.config().deepCopy();
                genConfig = ckpt.generationConfig().deepCopy();
            }
            checkFits(cfg, model.config(), data, tok);
            ObjectNode run = args.path("run").isObject() ? ((ObjectNode) args.get("run")).deepCopy() : JSON.createObjectNode();
            Trainer t = new Trainer(cfg, out, log, manager, model, modelConfig, genConfig, data, run, tok);
            t.optimizer.load(stateDir.resolve(OPTIMIZER_FILE), state.path("updates").asInt(savedStep), manager);
            t.step = savedStep;
            t.elapsedBefore = state.path("train_seconds").asDouble(0);
            t.writeArgs();
            log.printf(Locale.ROOT, "resuming %s at step %d of %d%n", out, savedStep, cfg.steps);
            if (steps != null && steps != args.path("steps").asInt()) {
                log.printf(Locale.ROOT, "the learning-rate schedule now spans %d steps instead of %d: the rate goes on at %.3g%n",
                        cfg.steps, args.path("steps").asInt(), t.schedule.at(savedStep));
            }
            return t;
        } catch (RuntimeException e) {
            manager.close();
            tok.close();
            throw e;
        }
    }

    /**
     * The split tokenized, checked to hold a window of --seq-len, and with --window-start line
     * aligned so that windows start only after a token that ends a line (start and resume alike).
     */
    private static TokenData trainingData(TrainConfig cfg, Corpus.Split split, TextTokenizer tok) {
        TokenData data = TokenData.tokenize(split, s -> tok.encode(s, false), separator(tok));
        data.requireWindows(cfg.seqLen);
        if (!cfg.windowStart.equals("line")) {
            return data;
        }
        boolean[] endsLine = new boolean[tok.vocabSize()];
        for (int id = 0; id < endsLine.length; id++) {
            endsLine[id] = tok.hasToken(id) && tok.tokenText(id).endsWith("\n");
        }
        int n = data.alignToLines(id -> id < endsLine.length && endsLine[id]);
        if (n < 2) {
            throw new GlassboxException("--window-start line: the training text has no line breaks to start windows at; use --window-start any");
        }
        return data;
    }

    /** GPT-2's end-of-text token separates training segments when the tokenizer has it. */
    private static Integer separator(TextTokenizer tok) {
        var id = tok.tokenId(BpeTokenizer.END_OF_TEXT);
        return id.isPresent() ? Math.toIntExact(id.getAsLong()) : null;
    }

    private static void checkFits(TrainConfig cfg, ModelConfig mc, TokenData data, TextTokenizer tok) {
        if (cfg.seqLen > mc.maxPositions()) {
            throw new GlassboxException("--seq-len " + cfg.seqLen + " exceeds the model's context of " + mc.maxPositions() + " tokens");
        }
        if (data.maxId() >= mc.vocabSize() || tok.vocabSize() > mc.vocabSize()) {
            throw new GlassboxException("the tokenizer has " + tok.vocabSize() + " tokens but the model's vocabulary only "
                    + mc.vocabSize());
        }
    }

    private static void writeRandom(TrainConfig cfg, int vocab, Path dir) {
        if (cfg.arch.equals("gpt2")) {
            RandomCheckpoint.writeGpt2(new RandomCheckpoint.Gpt2Shape(cfg.nLayer, cfg.nEmbd, cfg.nHead, vocab, cfg.nPositions), cfg.seed, dir);
        } else {
            int kv = cfg.nKvHead == null ? cfg.nHead : cfg.nKvHead;
            int inner = cfg.nInner == null ? 4 * cfg.nEmbd : cfg.nInner;
            RandomCheckpoint.writeLlama(new RandomCheckpoint.LlamaShape(cfg.nLayer, cfg.nEmbd, cfg.nHead, kv, inner, vocab, cfg.nPositions, true),
                    cfg.seed, dir);
        }
    }

    /** The checkpoint's model, every weight a float32 array of {@code manager} (a copy, never the file's mapping). */
    static TransformerLM load(Checkpoint ckpt, NDManager manager) {
        String file = ckpt.dir().resolve("config.json").toString();
        Architecture arch = Architecture.forModelType(ckpt.modelType(), file);
        ModelConfig mc = arch.parseConfig(ckpt.config(), file);
        arch.checkTensors(mc, ckpt.tensors()::contains, file);
        TransformerLM model = new TransformerLM(mc, arch);
        WeightLoader.load(model, arch, ckpt.tensors(), manager, null);
        return model;
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
                    ObjectNode line = JSON.createObjectNode();
                    line.put("step", step);
                    line.put("loss", windowLoss / windowSteps);
                    line.put("lr", lr);
                    line.put("grad_norm", s.gradNorm());
                    line.put("tokens_per_second", tokPerSec);
                    line.put("train_seconds", elapsedBefore + trainSeconds);
                    appendLog(line);
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
        writeResults(last, total, tps);
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
        ObjectNode n = JSON.createObjectNode();
        n.put("step", e.step());
        n.put("eval_train_loss", e.trainLoss());
        n.put("eval_loss", e.heldOutLoss());
        n.put("eval_perplexity", e.heldOutPerplexity());
        n.put("eval_windows", e.heldOutWindows());
        appendLog(n);
    }

    // ---- saving ----------------------------------------------------------------------------------

    /** Writes the HuggingFace checkpoint and the training state for the current step. */
    public void save() {
        save(elapsedBefore);
    }

    private void save(double trainSeconds) {
        saveModel(out, Map.of(STEP_KEY, String.valueOf(step)));
        Path stateDir = out.resolve(STATE_DIR);
        createDirectories(stateDir);
        optimizer.save(stateDir.resolve(OPTIMIZER_FILE), Map.of(STEP_KEY, String.valueOf(step)));
        ObjectNode state = JSON.createObjectNode();
        state.put("step", step);
        state.put("updates", optimizer.updates());
        state.put("seed", cfg.seed);
        state.put("sampling", "windows without replacement, shuffled per epoch by (seed, epoch)");
        long windowsDrawn = (long) step * cfg.batchSize;
        state.put("windows_drawn", windowsDrawn);
        state.put("epochs", (double) windowsDrawn / data.windowStarts());
        state.put("tokens_seen", (long) step * cfg.batchSize * cfg.seqLen);
        state.put("train_seconds", trainSeconds);
        state.put("corpus_sha256", runInfo.path("corpus_sha256").asText());
        state.put("saved_at", Instant.now().toString());
        writeJsonAtomically(stateDir.resolve(STATE_FILE), state); // last: it vouches for the files above
    }

    /** Writes config.json, generation_config.json and model.safetensors into {@code dir}. */
    public void saveModel(Path dir, Map<String, String> metadata) {
        createDirectories(dir);
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        for (WeightLoader.Slot s : WeightLoader.slots(model)) {
            NDArray a = s.parameter().getArray();
            specs.add(SafetensorsWriter.f32(s.parameter().getName(), a.getShape().getShape(), a.toFloatArray()));
        }
        writeJsonAtomically(dir.resolve("config.json"), modelConfig);
        writeJsonAtomically(dir.resolve("generation_config.json"), generationConfig);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), specs, metadata);
    }

    private void writeArgs() {
        ObjectNode args = TrainConfig.json().valueToTree(cfg);
        ObjectNode run = runInfo.deepCopy();
        run.put("engine", "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " (DJL " + Engine.getDjlVersion() + ")");
        run.put("threads", PyTorchInternals.numThreads());
        run.put("optimizer", "AdamW (decoupled weight decay; no decay on biases, norm weights and embeddings)");
        run.put("schedule", "linear warm-up to lr, cosine decay to min_lr at the last step");
        run.put("sampling", "every window start once per epoch, in an order shuffled by (seed, epoch)");
        run.put("epochs", (double) cfg.steps * cfg.batchSize / data.windowStarts());
        run.put("decayed_parameters", optimizer.slots().stream().filter(AdamW.Slot::decays).count());
        args.set("run", run);
        writeJsonAtomically(out.resolve(ARGS_FILE), args);
        log.println("hyper-parameters: " + args.toString());
    }

    private void writeResults(Eval last, double seconds, double tps) {
        ObjectNode r = JSON.createObjectNode();
        r.put("step", step);
        r.put("tokens_seen", (long) step * cfg.batchSize * cfg.seqLen);
        r.put("train_seconds", seconds);
        r.put("tokens_per_second", tps);
        r.put("parameters", parameterCount);
        if (last != null) {
            r.put("train_loss", last.trainLoss());
            r.put("train_perplexity", last.trainPerplexity());
            r.put("eval_loss", last.heldOutLoss());
            r.put("eval_perplexity", last.heldOutPerplexity());
            r.put("eval_windows", last.heldOutWindows());
            r.put("eval_tokens", (long) last.heldOutWindows() * cfg.seqLen);
        }
        writeJsonAtomically(out.resolve(RESULTS_FILE), r);
    }

    private void appendLog(ObjectNode line) {
        try {
            Files.writeString(out.resolve(LOG_FILE), line.toString() + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new GlassboxException(out.resolve(LOG_FILE) + ": cannot write: " + e.getMessage(), e);
        }
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

    // ---- files -------------------------------------------------------------------------------

    private static void copyTokenizer(Path from, Path to) {
        if (from == null) {
            throw new GlassboxException("no tokenizer: give --tokenizer DIR or --vocab-size V");
        }
        TextTokenizer.load(from).close(); // a clear error now if it cannot be used
        for (String name : TOKENIZER_FILES) {
            Path f = from.resolve(name);
            if (Files.isRegularFile(f)) {
                try {
                    Files.copy(f, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new GlassboxException("cannot copy " + f + ": " + e.getMessage(), e);
                }
            }
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static void writeJsonAtomically(Path file, JsonNode node) {
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try {
            JSON.writeValue(tmp.toFile(), node);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GlassboxException(dir + ": cannot create: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a leftover temporary folder is harmless
        }
    }
}
