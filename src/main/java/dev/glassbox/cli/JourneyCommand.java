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
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
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

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "Tokens listed in each ranking (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--format", paramLabel = "text|json|html", defaultValue = "text", description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the report to FILE instead of standard output.")
    Path out;

    @Option(names = "--greedy", description = "Choose the most likely token (the default).")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample from softmax(logits / T) (0 = greedy).")
    Double temperature;

    @Option(names = "--sample-top-k", paramLabel = "K", description = "Sample among the K most likely tokens (0 = off).")
    Integer sampleTopK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample among the fewest tokens whose probability reaches P (1 = off).")
    Double topP;

    @Option(names = "--min-p", paramLabel = "M", description = "Drop tokens less likely than M times the most likely (0 = off).")
    Double minP;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for the sampling draw (reproducible).")
    Long seed;

    @Override
    public Integer call() throws IOException {
        String fmt = format.toLowerCase(java.util.Locale.ROOT);
        if (!fmt.equals("text") && !fmt.equals("json") && !fmt.equals("html")) {
            throw new GlassboxException("--format must be text, json or html, found '" + format + "'");
        }
        if (out != null) {
            OutputFile.check(out, "--out"); // before the model runs, not after
        }
        try (LanguageModel model = modelOptions.load()) {
            long[] ids = input.ids(model);
            Journey.Options opts = Journey.Options.defaults()
                    .withSteps(steps).withPosition(position).withTopK(topK).withSampling(input.withChatStops(sampling(model), model));
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

    /** Greedy unless a sampling option is given; EOS ids from the checkpoint. */
    SamplingConfig sampling(LanguageModel model) {
        boolean sampling = temperature != null || sampleTopK != null || topP != null || minP != null || seed != null;
        if (greedy && sampling) {
            throw new GlassboxException("--greedy cannot be combined with --temperature, --sample-top-k, --top-p, --min-p or --seed");
        }
        SamplingConfig base = SamplingConfig.fromGenerationConfig(Json.MAPPER.convertValue(model.generationConfig(), Map.class));
        Set<Long> eos = new LinkedHashSet<>(base.eosTokenIds());
        eos.addAll(model.config().eosTokenIds());
        SamplingConfig.Builder b = SamplingConfig.builder().greedy(!sampling).eosTokenIds(eos);
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (sampleTopK != null) {
            b.topK(sampleTopK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (minP != null) {
            b.minP(minP);
        }
        b.seed(seed);
        return b.build().validate();
    }
}
