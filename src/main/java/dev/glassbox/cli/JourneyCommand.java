package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Journey;
import dev.glassbox.inspect.JourneyHtml;
import dev.glassbox.inspect.JourneyJson;
import dev.glassbox.inspect.JourneyReport;
import dev.glassbox.inspect.JourneyText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code glassbox journey}: the walk of the token being predicted through the model, stage by
 * stage, then the decoding choice, for each of {@code --steps} generated tokens. Text for a
 * terminal, JSON for programs (see {@link JourneyJson} for the fields), or one self-contained
 * HTML page with attention heatmaps, the logit-lens grid and probability bars.
 *
 * <p>Each step runs the model once over the whole context and caches only the activations the
 * report shows ({@link Journey#hookNames}); see {@link Journey} for what that costs.
 */
@Command(name = "journey", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Follow the predicted token through the model stage by stage (ids, embedding, each layer's "
                + "attention and MLP, final norm, logits, softmax, decoding choice), for --steps generated tokens; "
                + "text, JSON or one self-contained HTML page.")
public final class JourneyCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Mixin InputOptions input;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1", description = "Tokens to generate and explain (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--position", paramLabel = "P",
            description = "Explain the prediction at position P of the input (default: the last); the input is cut after P.")
    Integer position;

    @Option(names = "--show-top", paramLabel = "K", defaultValue = "5", description = "Tokens listed in each ranking (default: ${DEFAULT-VALUE}).")
    int showTop;

    @Option(names = "--format", paramLabel = "text|json|html", defaultValue = "text", description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the report to FILE instead of standard output.")
    Path out;

    @Mixin SamplingOptions sampling;

    @Override
    public Integer call() throws IOException {
        String fmt = format.toLowerCase(java.util.Locale.ROOT);
        if (!fmt.equals("text") && !fmt.equals("json") && !fmt.equals("html")) {
            throw new GlassboxException("--format must be text, json or html, found '" + format + "'");
        }
        // Every option is checked before the model loads.
        if (steps < 1) {
            throw new GlassboxException("--steps must be at least 1, found " + steps);
        }
        if (showTop < 1) {
            throw new GlassboxException("--show-top must be at least 1, found " + showTop);
        }
        if (position != null && position < 0) {
            throw new GlassboxException("--position must be at least 0, found " + position);
        }
        SamplingConfig settings = sampling.checked(sampling.settings());
        if (out != null) {
            OutputFile.check(out, "--out"); // before the model runs, not after
        }
        try (LanguageModel model = modelOptions.load()) {
            long[] ids = input.ids(model);
            Journey.Options opts = Journey.Options.defaults().withSteps(steps).withPosition(position).withTopK(showTop)
                    .withSampling(input.withChatStops(SamplingOptions.resolve(model, settings), model));
            JourneyReport report = Journey.run(model, ids, input.promptText(), opts);
            String rendered = switch (fmt) {
                case "json" -> JourneyJson.render(report, true) + "\n";
                case "html" -> JourneyHtml.render(report);
                default -> JourneyText.render(report);
            };
            if (out != null) {
                OutputFile.write(out, rendered, "--out");
                System.err.println("wrote " + out);
            } else {
                System.out.print(rendered);
                System.out.flush();
            }
        }
        return 0;
    }
}
