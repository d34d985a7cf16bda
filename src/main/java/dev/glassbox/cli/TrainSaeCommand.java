package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.sae.ActivationStream;
import dev.glassbox.sae.FeatureExamples;
import dev.glassbox.sae.SaeConfig;
import dev.glassbox.sae.SaeHooks;
import dev.glassbox.sae.SaeTrainer;
import dev.glassbox.sae.SparseAutoencoder;
import dev.glassbox.sae.TransformerLensHooks;
import dev.glassbox.train.Corpus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox train-sae}: train a sparse autoencoder on one activation of a model, written in SAELens's layout. */
@Command(name = "train-sae", mixinStandardHelpOptions = true,
        description = "Train a sparse autoencoder on activations streamed from the model over a corpus; writes SAELens's layout.")
public final class TrainSaeCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Option(names = "--hook", paramLabel = "NAME", required = true,
            description = "Activation to train on: a TransformerLens name (blocks.2.hook_resid_post) or glassbox's (blocks.2.resid_post).")
    String hook;

    @Option(names = "--d-sae", paramLabel = "N", required = true, description = "Number of features.")
    int dSae;

    @Option(names = "--input", paramLabel = "CORPUS", required = true, description = "Text corpus (plain text, or one verse per line).")
    Path input;

    @Option(names = "--corpus-format", paramLabel = "auto|plain|verses", defaultValue = "auto", description = "Default: ${DEFAULT-VALUE}.")
    String corpusFormat;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (cfg.json, sae_weights.safetensors, train_results.json, training_log.jsonl).")
    Path out;

    @Option(names = "--sparsity", paramLabel = "topk|l1", defaultValue = "topk",
            description = "topk: keep the k largest pre-activations (architecture topk); l1: ReLU with an L1 penalty weighted by ‖W_dec[f]‖ (architecture standard). Default: ${DEFAULT-VALUE}.")
    String sparsity;

    @Option(names = "--k", paramLabel = "K", defaultValue = "16", description = "Active features per token for topk (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--l1", paramLabel = "λ", defaultValue = "0.01", description = "L1 coefficient for l1 (default: ${DEFAULT-VALUE}).")
    double l1;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000", description = "Adam updates (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1024", description = "Activations per update (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "4e-4", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--context-size", paramLabel = "T", description = "Tokens per window run through the model (default: the model's context, at most 128).")
    Integer contextSize;

    @Option(names = "--buffer-batches", paramLabel = "N", defaultValue = "16", description = "Batches of activations shuffled together (default: ${DEFAULT-VALUE}).")
    int bufferBatches;

    @Option(names = "--dead-window", paramLabel = "STEPS", defaultValue = "200", description = "A feature silent this many steps counts as dead (default: ${DEFAULT-VALUE}).")
    int deadWindow;

    @Option(names = "--log-every", paramLabel = "STEPS", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
    int logEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws IOException {
        positive("--d-sae", dSae);
        positive("--steps", steps);
        positive("--batch-size", batchSize);
        positive("--buffer-batches", bufferBatches);
        positive("--dead-window", deadWindow);
        positive("--log-every", logEvery);
        if (!(lr > 0)) {
            throw new GlassboxException("--lr must be positive, found " + lr);
        }
        SaeConfig.Architecture arch = switch (sparsity) {
            case "topk" -> SaeConfig.Architecture.TOPK;
            case "l1" -> SaeConfig.Architecture.STANDARD;
            default -> throw new GlassboxException("--sparsity must be topk or l1, found '" + sparsity + "'");
        };
        if (arch == SaeConfig.Architecture.TOPK && (k < 1 || k > dSae)) {
            throw new GlassboxException("--k must be between 1 and --d-sae (" + dSae + "), found " + k);
        }
        if (arch == SaeConfig.Architecture.STANDARD && !(l1 >= 0)) {
            throw new GlassboxException("--l1 must be at least 0, found " + l1);
        }
        if (!Files.isRegularFile(input)) {
            throw new GlassboxException("--input: no file " + input);
        }
        String glassboxHook = TransformerLensHooks.toGlassbox(hook); // a bad name fails before the model loads
        String text = Corpus.read(input, Corpus.Format.parse(corpusFormat));
        try (LanguageModel model = modelOptions.load()) {
            TransformerLensHooks.toGlassbox(hook, model.config());
            int context = contextSize != null ? contextSize : Math.min(128, model.config().maxPositions());
            if (context < 2 || context > model.config().maxPositions()) {
                throw new GlassboxException("--context-size must be between 2 and the model's context " + model.config().maxPositions() + ", found " + context);
            }
            long[] ids = model.requireTokenizer().encode(text, false);
            int heldOut = Math.max(context * 8, ids.length / 20); // the last 5% (at least 8 windows) is held out for evaluation
            if (ids.length - heldOut < context) {
                throw new GlassboxException(input + ": " + ids.length + " tokens are too few for windows of " + context + " plus a held-out part");
            }
            int dIn = width(model, glassboxHook);
            SaeConfig cfg = new SaeConfig(dIn, dSae, hook, arch, arch == SaeConfig.Architecture.TOPK ? k : 0, true, "none",
                    String.valueOf(model.dir().getFileName()), context, input.getFileName().toString());
            try (SparseAutoencoder sae = SaeTrainer.initialise(cfg, model.manager(), new float[dIn], seed)) {
                SaeHooks reader = new SaeHooks(sae, model.config());
                ActivationStream train = new ActivationStream(model, reader, ids, 0, ids.length - heldOut, context, seed + 1);
                Files.createDirectories(out);
                long t0 = System.nanoTime();
                try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(out.resolve("training_log.jsonl")))) {
                    SaeTrainer.train(sae, train, new SaeTrainer.Settings(steps, batchSize, lr, l1, bufferBatches, deadWindow, seed), logEvery, p -> {
                        ObjectNode n = Json.object().put("step", p.step()).put("mse", p.mse()).put("explained_variance", p.explainedVariance())
                                .put("l0", p.l0()).put("dead_features", p.dead());
                        log.println(n.toString());
                        log.flush();
                    });
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                sae.save(out, Map.of("glassbox_hook", glassboxHook));
                FeatureExamples.Evaluation ev = FeatureExamples.evaluate(model, reader, ids, ids.length - heldOut, ids.length, context, 8);
                ObjectNode r = Json.object();
                r.put("hook_name", cfg.hookName()).put("glassbox_hook", glassboxHook).put("architecture", arch.jsonName())
                        .put("d_in", dIn).put("d_sae", dSae).put("steps", steps).put("batch_size", batchSize)
                        .put("training_tokens", (long) steps * batchSize).put("train_seconds", seconds)
                        .put("corpus_tokens", ids.length).put("held_out_tokens", ev.tokens());
                ObjectNode h = r.putObject("held_out");
                h.put("mse", ev.mse()).put("explained_variance", ev.explainedVariance()).put("mean_l0", ev.meanL0())
                        .put("dead_features", ev.deadFeatures()).put("ce_loss_clean", ev.cleanLoss())
                        .put("ce_loss_spliced", ev.splicedLoss()).put("ce_loss_zero_ablation", ev.zeroLoss())
                        .put("ce_loss_score", ev.lossRecovered());
                ArrayNode fs = r.putArray("example_features");
                for (FeatureExamples.Feature f : ev.examples()) {
                    ObjectNode fn = fs.addObject().put("feature", f.index()).put("frequency", f.frequency());
                    ArrayNode top = fn.putArray("top_tokens");
                    for (FeatureExamples.Example e : f.top()) {
                        top.addObject().put("token", e.token()).put("context", e.context()).put("activation", e.activation());
                    }
                }
                Files.writeString(out.resolve("train_results.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(r) + "\n");
                System.err.printf("train-sae: %d steps in %.0f s; held out: explained variance %.4f, mse %.5f, L0 %.1f, dead %d of %d, "
                        + "loss clean %.4f / spliced %.4f / zero %.4f (recovered %.3f); wrote %s%n", steps, seconds, ev.explainedVariance(),
                        ev.mse(), ev.meanL0(), ev.deadFeatures(), dSae, ev.cleanLoss(), ev.splicedLoss(), ev.zeroLoss(), ev.lossRecovered(), out);
            }
        }
        return 0;
    }

    /** d_in: the activation's last axis (heads × head dim for per-head activations, as SAELens's hook_z). */
    private static int width(LanguageModel model, String hook) {
        long[] probe = {0, 0};
        try (var cache = model.runWithCache(probe, hook)) {
            long[] s = cache.shape(hook);
            return (int) (TransformerLensHooks.perHead(hook) ? s[2] * s[3] : s[s.length - 1]);
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new GlassboxException(name + " must be at least 1, found " + v);
        }
    }
}
