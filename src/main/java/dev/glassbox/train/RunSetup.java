package dev.glassbox.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
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
import dev.glassbox.checkpoint.WeightLoader;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Setting a training run up: a fresh one (corpus read and split, tokenizer trained or copied,
 * model built or loaded to fine-tune) or one resumed from its folder (same hyper-parameters, data
 * split and window order, checked against what was saved). Both end in a {@link Trainer}.
 */
final class RunSetup {

    private RunSetup() {}

    /**
     * Prepares a fresh run: reads and splits the corpus, trains or copies the tokenizer into
     * {@code out}, builds the model (random weights written the way transformers initialises
     * them, or a checkpoint to fine-tune) and writes {@code training_args.json}.
     */
    static Trainer start(TrainConfig config, Path out, PrintStream log) {
        TrainConfig cfg = config.copy().validate();
        if (Files.exists(out.resolve("model.safetensors")) || Files.exists(out.resolve(Trainer.STATE_DIR))) {
            throw new GlassboxException(out + ": already holds a checkpoint; pass --resume to continue that run, or choose another --out");
        }
        Path corpus = Path.of(cfg.corpus);
        Corpus.Format format = Corpus.Format.parse(cfg.corpusFormat);
        Corpus.Format resolved = format == Corpus.Format.AUTO ? Corpus.detect(corpus) : format;
        String text = Corpus.read(corpus, resolved);
        Corpus.Split split = Corpus.split(text, cfg.evalFraction, 16 * (cfg.seqLen + 1));
        RunFolder.createDirectories(out);

        Path tokenizerDir = cfg.tokenizer != null ? Path.of(cfg.tokenizer) : cfg.initFrom != null ? Path.of(cfg.initFrom) : null;
        if (cfg.vocabSize != null) {
            long t0 = System.nanoTime();
            BpeTokenizer bpe = BpeTrainer.train(split.train(), cfg.vocabSize, List.of(BpeTokenizer.END_OF_TEXT), null);
            bpe.writeTokenizerJson(out, cfg.arch != null ? cfg.nPositions : 1024);
            log.printf(Locale.ROOT, "trained a byte-level BPE of %d tokens (%d merges) on the training text in %.1f s%n",
                    bpe.vocabSize(), bpe.merges().size(), (System.nanoTime() - t0) / 1e9);
        } else {
            RunFolder.copyTokenizer(tokenizerDir, out);
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
                    RunFolder.deleteTree(source);
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
            ObjectNode run = RunFolder.JSON.createObjectNode();
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
            run.put("parameters", t.parameterCount());
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
    static Trainer resume(Path out, Integer steps, PrintStream log) {
        Path stateDir = out.resolve(Trainer.STATE_DIR);
        if (!Files.isRegularFile(stateDir.resolve(Trainer.STATE_FILE)) || !Files.isRegularFile(out.resolve(Trainer.ARGS_FILE))) {
            throw new GlassboxException(out + ": no training state to resume from (expected " + Trainer.STATE_DIR + "/" + Trainer.STATE_FILE
                    + " and " + Trainer.ARGS_FILE + ")");
        }
        JsonNode args = RunFolder.readJson(out.resolve(Trainer.ARGS_FILE));
        TrainConfig cfg = TrainConfig.json().convertValue(args, TrainConfig.class);
        JsonNode state = RunFolder.readJson(stateDir.resolve(Trainer.STATE_FILE));
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
                    String at = f.metadata().get(Trainer.STEP_KEY);
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
            ObjectNode run = args.path("run").isObject() ? ((ObjectNode) args.get("run")).deepCopy() : RunFolder.JSON.createObjectNode();
            Trainer t = new Trainer(cfg, out, log, manager, model, modelConfig, genConfig, data, run, tok);
            t.restore(stateDir.resolve(Trainer.OPTIMIZER_FILE), state.path("updates").asInt(savedStep), savedStep,
                    state.path("train_seconds").asDouble(0));
            t.writeArgs();
            log.printf(Locale.ROOT, "resuming %s at step %d of %d%n", out, savedStep, cfg.steps);
            if (steps != null && steps != args.path("steps").asInt()) {
                log.printf(Locale.ROOT, "the learning-rate schedule now spans %d steps instead of %d: the rate goes on at %.3g%n",
                        cfg.steps, args.path("steps").asInt(), t.lrAt(savedStep));
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

    /**
     * AdamW over every weight of {@code model}, in checkpoint order; the matrices of the linear
     * layers and the LM head decay, biases, norm weights and embeddings do not.
     */
    static AdamW optimizer(TransformerLM model, TrainConfig cfg) {
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
        for (WeightLoader.Slot s : WeightLoader.slots(model)) {
            NDArray a = s.parameter().getArray();
            a.setRequiresGradient(true);
            params.add(new AbstractMap.SimpleEntry<>(s.parameter(), decays.contains(s.parameter())));
        }
        return new AdamW(params, cfg.beta1, cfg.beta2, cfg.adamEps, cfg.weightDecay);
    }
}
