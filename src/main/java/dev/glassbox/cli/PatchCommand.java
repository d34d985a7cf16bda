package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Progress;
import dev.glassbox.patching.ActivationPatching;
import dev.glassbox.patching.AttributionPatching;
import dev.glassbox.patching.PatchGrid;
import dev.glassbox.patching.PatchHtml;
import dev.glassbox.patching.PatchJson;
import dev.glassbox.patching.PatchResult;
import dev.glassbox.patching.PatchSpec;
import dev.glassbox.patching.PatchText;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox patch}: activation-patching (or attribution-patching) sweeps between a clean and a corrupt input. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = {"Activation patching (denoising), as TransformerLens's get_act_patch_resid_pre / attn_out / mlp_out / "
                + "attn_head_out_by_pos: run the corrupt input with one activation replaced by the clean run's at (layer, position[, head]) "
                + "and measure logit(target) - logit(baseline) at the last position. --method attribution estimates the same grids "
                + "from one clean forward and one corrupt forward and backward."})
public final class PatchCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Option(names = "--clean", paramLabel = "TEXT", description = "The clean prompt.")
    String clean;

    @Option(names = "--corrupt", paramLabel = "TEXT", description = "The corrupt prompt (same number of tokens).")
    String corrupt;

    @Option(names = "--clean-ids", paramLabel = "1,2,3", split = ",", description = "The clean input as token ids.")
    List<Long> cleanIds;

    @Option(names = "--corrupt-ids", paramLabel = "1,2,4", split = ",", description = "The corrupt input as token ids.")
    List<Long> corruptIds;

    @Option(names = "--target", required = true, paramLabel = "TOKEN", description = "Token id, or text that is exactly one token.")
    String target;

    @Option(names = "--baseline", required = true, paramLabel = "TOKEN", description = "Token id, or text that is exactly one token.")
    String baseline;

    @Option(names = "--what", paramLabel = "GRID", split = ",", defaultValue = "resid_pre,attn_out,mlp_out,head_out",
            description = "Grids: resid_pre, attn_out, mlp_out, head_out (default: all four).")
    List<String> what;

    @Option(names = "--method", paramLabel = "activation|attribution", defaultValue = "activation",
            description = "activation (exact patching, default) or attribution (gradient estimate).")
    String method;

    @Option(names = "--json", description = "JSON output (the same as --format json).")
    boolean json;

    @Option(names = "--format", paramLabel = "text|json|html", defaultValue = "text", description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the output to FILE instead of standard output.")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32", description = "Patched runs per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() {
        String fmt = json ? "json" : format.toLowerCase(Locale.ROOT);
        if (!Set.of("text", "json", "html").contains(fmt)) {
            throw new GlassboxException("--format must be text, json or html, found '" + format + "'");
        }
        if (json && !format.equalsIgnoreCase("text") && !format.equalsIgnoreCase("json")) {
            throw new GlassboxException("--json and --format " + format + " contradict each other: give one");
        }
        if (!method.equals("activation") && !method.equals("attribution")) {
            throw new GlassboxException("--method must be activation or attribution, found '" + method + "'");
        }
        if (batchSize < 1) {
            throw new GlassboxException("--batch-size must be at least 1, found " + batchSize);
        }
        boolean text = clean != null || corrupt != null;
        boolean ids = cleanIds != null || corruptIds != null;
        if (text == ids || (text && (clean == null || corrupt == null)) || (ids && (cleanIds == null || corruptIds == null))) {
            throw new GlassboxException("give the inputs as --clean TEXT --corrupt TEXT, or as --clean-ids … --corrupt-ids …");
        }
        Set<PatchGrid> grids = EnumSet.noneOf(PatchGrid.class);
        what.forEach(w -> grids.add(PatchGrid.parse(w)));
        if (out != null) {
            OutputFile.check(out, "--out");
        }
        try (LanguageModel model = modelOptions.load()) {
            long[] c = text ? encode(model, clean, "--clean") : toArray(cleanIds);
            long[] k = text ? encode(model, corrupt, "--corrupt") : toArray(corruptIds);
            PatchSpec spec = new PatchSpec(c, k, token(model, target, "--target"), token(model, baseline, "--baseline"), grids);
            PatchResult r;
            if (method.equals("attribution")) {
                r = AttributionPatching.sweep(model, spec);
            } else {
                long cells = countCells(model, spec);
                try (Progress pb = modelOptions.quiet ? Progress.NONE : Progress.start(Progress.Spec.of("patching", cells))) {
                    r = ActivationPatching.sweep(model, spec, batchSize, pb::stepTo);
                }
            }
            String rendered = switch (fmt) {
                case "json" -> PatchJson.toJson(r).toString();
                case "html" -> PatchHtml.render(r, "Activation patching: " + model.dir().getFileName());
                default -> PatchText.render(r);
            };
            if (out != null) {
                OutputFile.write(out, rendered.endsWith("\n") ? rendered : rendered + "\n", "--out");
            } else {
                PrintStream o = System.out;
                o.println(rendered.endsWith("\n") ? rendered.substring(0, rendered.length() - 1) : rendered);
                o.flush();
            }
        }
        return 0;
    }

    private static long countCells(LanguageModel model, PatchSpec spec) {
        long n = 0;
        for (PatchGrid g : spec.grids()) {
            n += (long) model.config().numLayers() * (g.perHead() ? model.config().numHeads() : 1) * spec.clean().length;
        }
        return n;
    }

    private static long[] encode(LanguageModel model, String s, String option) {
        if (s.isEmpty()) {
            throw new GlassboxException(option + " is empty: give some text");
        }
        return model.requireTokenizer().encode(s);
    }

    private static long[] toArray(List<Long> ids) {
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    /** An id, or text the tokenizer turns into exactly one token (no special tokens added). */
    static long token(LanguageModel model, String s, String option) {
        if (s.matches("\\d+")) {
            return Long.parseLong(s);
        }
        long[] ids = model.requireTokenizer().encode(s, false);
        if (ids.length != 1) {
            throw new GlassboxException(option + " '" + s + "' is " + ids.length + " tokens " + java.util.Arrays.toString(ids)
                    + ", not one: give text that is a single token, or its id");
        }
        return ids[0];
    }

}
