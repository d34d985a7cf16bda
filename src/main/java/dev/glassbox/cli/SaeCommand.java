package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.sae.SaeAnalysis;
import dev.glassbox.sae.SaeHooks;
import dev.glassbox.sae.SparseAutoencoder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox sae}: an SAE's features at every token of a prompt, and how well it reconstructs the activation. */
@Command(name = "sae", mixinStandardHelpOptions = true,
        description = "Run a sparse autoencoder (SAELens layout) on a prompt: top features per token and reconstruction quality.")
public final class SaeCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Mixin InputOptions input;

    @Option(names = "--sae", paramLabel = "DIR", required = true, description = "SAE folder: cfg.json and sae_weights.safetensors (SAELens's layout).")
    Path saeDir;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "Features listed per token (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--json", description = "Print one JSON object: sae, tokens (features per token), reconstruction.")
    boolean json;

    @Override
    public Integer call() {
        if (topK < 1) {
            throw new dev.glassbox.GlassboxException("--top-k must be at least 1, found " + topK);
        }
        try (LanguageModel model = modelOptions.load(); SparseAutoencoder sae = SparseAutoencoder.load(saeDir, model.manager())) {
            SaeHooks hooks = new SaeHooks(sae, model.config());
            long[] ids = input.ids(model);
            List<SaeAnalysis.TokenFeatures> tokens = SaeAnalysis.features(model, hooks, ids, topK);
            SaeAnalysis.Quality q = ids.length > 1 ? SaeAnalysis.quality(model, hooks, ids) : null;
            PrintStream out = System.out;
            if (json) {
                Json.print(out, toJson(sae, hooks, tokens, q), false);
                return 0;
            }
            out.printf("SAE %s on %s (%s, d_in %d, d_sae %d)%n", sae.config().hookName(), hooks.hookName(),
                    sae.config().architecture().jsonName(), sae.config().dIn(), sae.config().dSae());
            for (SaeAnalysis.TokenFeatures t : tokens) {
                StringBuilder b = new StringBuilder();
                for (SaeAnalysis.Feature f : t.top()) {
                    b.append(String.format("  f%d=%.3f", f.index(), f.value()));
                }
                out.printf("%4d %-16s L0 %-4d%s%n", t.position(), quoted(t.token()), t.l0(), b);
            }
            if (q != null) {
                out.printf("reconstruction: mse %.6f, explained variance %.4f, mean L0 %.1f%n", q.mse(), q.explainedVariance(), q.meanL0());
                out.printf("next-token loss: clean %.4f, SAE spliced %.4f, zero-ablated %.4f (loss recovered %.3f)%n",
                        q.cleanLoss(), q.splicedLoss(), q.zeroAblationLoss(), q.lossRecovered());
            }
        }
        return 0;
    }

    private static String quoted(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    static ObjectNode toJson(SparseAutoencoder sae, SaeHooks hooks, List<SaeAnalysis.TokenFeatures> tokens, SaeAnalysis.Quality q) {
        ObjectNode o = Json.object();
        ObjectNode s = o.putObject("sae");
        s.put("hook_name", sae.config().hookName());
        s.put("glassbox_hook", hooks.hookName());
        s.put("architecture", sae.config().architecture().jsonName());
        s.put("d_in", sae.config().dIn());
        s.put("d_sae", sae.config().dSae());
        ArrayNode ts = o.putArray("tokens");
        for (SaeAnalysis.TokenFeatures t : tokens) {
            ObjectNode n = ts.addObject();
            n.put("position", t.position());
            n.put("id", t.id());
            n.put("token", t.token());
            n.put("l0", t.l0());
            ArrayNode fs = n.putArray("features");
            for (SaeAnalysis.Feature f : t.top()) {
                fs.addObject().put("feature", f.index()).put("activation", f.value());
            }
        }
        if (q != null) {
            ObjectNode r = o.putObject("reconstruction");
            r.put("mse", q.mse());
            r.put("explained_variance", q.explainedVariance());
            r.put("mean_l0", q.meanL0());
            r.put("ce_loss_clean", q.cleanLoss());
            r.put("ce_loss_spliced", q.splicedLoss());
            r.put("ce_loss_zero_ablation", q.zeroAblationLoss());
            r.put("ce_loss_score", q.lossRecovered());
        } else {
            o.putNull("reconstruction");
        }
        return o;
    }
}
