package dev.glassbox.cli;

import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.train.TrainConfig;
import dev.glassbox.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code glassbox train}: trains a model from scratch or fine-tunes a checkpoint, on the CPU. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Train a language model by next-token prediction on a text corpus (from scratch with --arch, or fine-tune --init-from),",
            "and write it as a HuggingFace checkpoint (config.json, model.safetensors, tokenizer.json, generation_config.json).",
            "AdamW, linear warm-up + cosine learning rate, gradient clipping, a held-out split by contiguous chunks;",
            "checkpoints every --save-every steps; --resume continues a run from its last checkpoint."
        })
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (the checkpoint, logs and training state).")
    Path out;

    @Option(names = "--resume", description = "Continue the run saved in --out (its hyper-parameters; only --steps, --threads and --quiet may be given).")
    boolean resume;

    @Option(names = "--arch", paramLabel = "gpt2|llama", description = "Train from random weights of this architecture.")
    String arch;

    @Option(names = "--n-layer", paramLabel = "N", description = "Layers (default 4).")
    Integer nLayer;

    @Option(names = "--n-embd", paramLabel = "D", description = "Hidden size (default 128).")
    Integer nEmbd;

    @Option(names = "--n-head", paramLabel = "H", description = "Attention heads (default 4).")
    Integer nHead;

    @Option(names = "--n-positions", paramLabel = "P", description = "Context length (default 128).")
    Integer nPositions;

    @Option(names = "--n-kv-head", paramLabel = "K", description = "Llama: key/value heads (default --n-head).")
    Integer nKvHead;

    @Option(names = "--n-inner", paramLabel = "I", description = "Llama: MLP width (default 4×D).")
    Integer nInner;

    @Option(names = "--init-from", paramLabel = "CKPT_DIR", description = "Fine-tune this checkpoint (HuggingFace layout) instead.")
    Path initFrom;

    @Option(names = "--corpus", paramLabel = "FILE", description = "UTF-8 training text.")
    Path corpus;

    @Option(names = "--corpus-format", paramLabel = "auto|plain|verses",
            description = "plain: the text as is; verses: one Bible verse a line after its reference (as `bible -f Gen1:1-Rev22:21` prints it), "
                    + "references dropped; auto (default): verses when nearly every line starts with a reference.")
    String corpusFormat;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Use this folder's tokenizer (default with --init-from: that checkpoint's).")
    Path tokenizer;

    @Option(names = "--vocab-size", paramLabel = "V", description = "Train a byte-level BPE of V tokens (with <|endoftext|>) on the training text.")
    Integer vocabSize;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default 1000).")
    Integer steps;

    @Option(names = "--batch-size", paramLabel = "B", description = "Windows per step (default 16).")
    Integer batchSize;

    @Option(names = "--seq-len", paramLabel = "T", description = "Tokens per window (default 128).")
    Integer seqLen;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 1e-3).")
    Double lr;

    @Option(names = "--min-lr", paramLabel = "LR", description = "Learning rate at the end of the cosine (default lr/10).")
    Double minLr;

    @Option(names = "--warmup", paramLabel = "W", description = "Linear warm-up steps (default 100, at most --steps).")
    Integer warmup;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW decoupled weight decay of the weight matrices (default 0.1).")
    Double weightDecay;

    @Option(names = "--beta1", paramLabel = "B1", description = "AdamW β₁ (default 0.9).")
    Double beta1;

    @Option(names = "--beta2", paramLabel = "B2", description = "AdamW β₂ (default 0.95).")
    Double beta2;

    @Option(names = "--grad-clip", paramLabel = "C", description = "Clip the global gradient norm to C; 0 for none (default 1.0).")
    Double gradClip;

    @Option(names = "--eval-every", paramLabel = "E", description = "Evaluate every E steps (default 100).")
    Integer evalEvery;

    @Option(names = "--eval-windows", paramLabel = "N", description = "Windows per periodic evaluation, 0 for all (default 128); the final one uses all.")
    Integer evalWindows;

    @Option(names = "--eval-fraction", paramLabel = "F", description = "Hold out every round(1/F)-th of ~100 contiguous chunks (default 0.05).")
    Double evalFraction;

    @Option(names = "--window-start", paramLabel = "WHERE",
            description = "Where training windows start: any (every token, the default) or line (only at line starts, so that a verse-per-line corpus trains on contexts that open with a verse, as prompts do).")
    String windowStart;

    @Option(names = "--save-every", paramLabel = "S", description = "Checkpoint every S steps (default 500), and always at the end.")
    Integer saveEvery;

    @Option(names = "--log-every", paramLabel = "N", description = "Append to training_log.jsonl every N steps (default 10).")
    Integer logEvery;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial weights and of batch sampling (default 1337).")
    Long seed;

    @Option(names = "--threads", paramLabel = "N", description = "PyTorch intra-op threads (default: one per core).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() {
        if (threads != null) {
            if (threads < 1) {
                throw new GlassboxException("--threads must be at least 1, found " + threads);
            }
            Engines.threads(threads);
        }
        Trainer trainer;
        if (resume) {
            List<String> fixed = new ArrayList<>();
            Object[][] opts = {
                {"--arch", arch}, {"--n-layer", nLayer}, {"--n-embd", nEmbd}, {"--n-head", nHead}, {"--n-positions", nPositions},
                {"--n-kv-head", nKvHead}, {"--n-inner", nInner}, {"--init-from", initFrom}, {"--corpus", corpus},
                {"--corpus-format", corpusFormat}, {"--tokenizer", tokenizer}, {"--vocab-size", vocabSize}, {"--batch-size", batchSize},
                {"--seq-len", seqLen}, {"--lr", lr}, {"--min-lr", minLr}, {"--warmup", warmup}, {"--weight-decay", weightDecay},
                {"--beta1", beta1}, {"--beta2", beta2}, {"--grad-clip", gradClip}, {"--eval-fraction", evalFraction}, {"--seed", seed}, {"--window-start", windowStart},
                {"--eval-every", evalEvery}, {"--eval-windows", evalWindows}, {"--save-every", saveEvery}, {"--log-every", logEvery}
            };
            for (Object[] o : opts) {
                if (o[1] != null) {
                    fixed.add((String) o[0]);
                }
            }
            if (!fixed.isEmpty()) {
                throw new GlassboxException("--resume continues with the hyper-parameters in " + out.resolve(Trainer.ARGS_FILE)
                        + "; only --steps, --threads and --quiet may be given (found " + String.join(", ", fixed) + ")");
            }
            trainer = Trainer.resume(out, steps, System.err);
        } else {
            trainer = Trainer.start(config(), out, System.err);
        }
        try (trainer) {
            Trainer.Result r = trainer.progress(!quiet).train();
            if (r.last() != null) {
                System.err.printf(Locale.ROOT,
                        "done: step %d | train loss %.4f (ppl %.2f) | held-out loss %.4f (ppl %.2f) | %.0f s of training, %.0f tokens/s | wrote %s%n",
                        r.lastStep(), r.last().trainLoss(), r.last().trainPerplexity(), r.last().heldOutLoss(), r.last().heldOutPerplexity(),
                        r.trainSeconds(), r.tokensPerSecond(), out);
            } else {
                System.err.printf(Locale.ROOT, "done: step %d | %.0f s of training | wrote %s%n", r.lastStep(), r.trainSeconds(), out);
            }
        }
        return 0;
    }

    /** The run's hyper-parameters: the defaults of {@link TrainConfig}, overridden by the options given. */
    TrainConfig config() {
        TrainConfig c = new TrainConfig();
        c.arch = arch == null ? null : arch.toLowerCase(Locale.ROOT);
        if (nLayer != null) {
            c.nLayer = nLayer;
        }
        if (nEmbd != null) {
            c.nEmbd = nEmbd;
        }
        if (nHead != null) {
            c.nHead = nHead;
        }
        if (nPositions != null) {
            c.nPositions = nPositions;
        }
        c.nKvHead = nKvHead;
        c.nInner = nInner;
        c.initFrom = initFrom == null ? null : initFrom.toString();
        c.corpus = corpus == null ? null : corpus.toString();
        if (corpusFormat != null) {
            c.corpusFormat = corpusFormat;
        }
        c.tokenizer = tokenizer == null ? null : tokenizer.toString();
        c.vocabSize = vocabSize;
        if (steps != null) {
            c.steps = steps;
        }
        if (batchSize != null) {
            c.batchSize = batchSize;
        }
        if (seqLen != null) {
            c.seqLen = seqLen;
        } else if (arch != null) {
            c.seqLen = Math.min(c.seqLen, c.nPositions);
        }
        if (lr != null) {
            c.lr = lr;
        }
        c.minLr = minLr != null ? minLr : c.lr / 10;
        if (warmup != null) {
            c.warmup = warmup;
        }
        if (weightDecay != null) {
            c.weightDecay = weightDecay;
        }
        if (beta1 != null) {
            c.beta1 = beta1;
        }
        if (beta2 != null) {
            c.beta2 = beta2;
        }
        if (gradClip != null) {
            c.gradClip = gradClip;
        }
        if (evalEvery != null) {
            c.evalEvery = evalEvery;
        }
        if (evalWindows != null) {
            c.evalWindows = evalWindows;
        }
        if (evalFraction != null) {
            c.evalFraction = evalFraction;
        }
        if (windowStart != null) {
            c.windowStart = windowStart;
        }
        if (saveEvery != null) {
            c.saveEvery = saveEvery;
        }
        if (logEvery != null) {
            c.logEvery = logEvery;
        }
        if (seed != null) {
            c.seed = seed;
        }
        return c;
    }
}
