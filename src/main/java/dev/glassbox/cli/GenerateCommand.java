package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.generate.Alternative;
import dev.glassbox.generate.GeneratedToken;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox generate}: continue a prompt, streaming tokens as they come. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt (streams text; --json for one JSON object).")
public final class GenerateCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Mixin InputOptions input;
    @Mixin SamplingOptions sampling;
    @Mixin InterventionOptions interventions;

    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "How many tokens to generate (default: the checkpoint's generation_config.json, else "
                    + SamplingConfig.DEFAULT_MAX_NEW_TOKENS + ").")
    Integer maxNewTokens;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop when this text appears (repeatable); it is cut from the output.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--no-eos", description = "Do not stop at the end-of-sequence token.")
    boolean noEos;

    @Option(names = {"--show-top", "--alternatives"}, paramLabel = "K", defaultValue = "5",
            description = "Most likely tokens listed per generated token in --json (default: ${DEFAULT-VALUE}).")
    int showTop;

    @Option(names = "--json", description = "Print one JSON object: input_ids, ids, text, tokens (with log-probs and alternatives).")
    boolean json;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
            description = "With --input FILE.jsonl: prompts generated together (default: ${DEFAULT-VALUE}); one JSON line out per input line, as --json.")
    int batchSize;

    @Option(names = "--out", paramLabel = "FILE", description = "With --input: write the JSONL here (under a temporary name until done) instead of stdout.")
    java.nio.file.Path outFile;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        SamplingConfig.Builder given = sampling.settings().stopStrings(stop).alternatives(showTop);
        if (maxNewTokens != null) {
            given.maxNewTokens(maxNewTokens);
        }
        if (noEos) {
            given.stopAtEos(false);
        }
        SamplingConfig settings = sampling.checked(given); // every option is checked before the model loads
        if (input.inputFile() != null) {
            return generateInput(settings);
        }
        if (outFile != null) {
            throw new dev.glassbox.GlassboxException("--out goes with --input FILE");
        }
        try (LanguageModel model = modelOptions.load()) {
            long[] ids = input.ids(model);
            SamplingConfig cfg = input.withChatStops(SamplingOptions.resolve(model, settings), model);
            TextTokenizer tok = model.tokenizer();
            dev.glassbox.hooks.HookChain hooks = interventions.hooks(model); // --steer/--ablate-head checked before any output
            if (!json) {
                if (input.promptText() != null) {
                    out.print(input.promptText());
                } else if (tok != null) {
                    out.print(tok.decode(ids, true));
                }
                out.flush();
            }
            GenerationResult res = model.generate(dev.glassbox.djl.GenerationRequest.ofIds(ids, cfg)
                    .streaming(json ? null : t -> stream(out, t, tok)).withHooks(hooks));
            if (json) {
                Json.print(out, toJson(res, tok, cfg), false);
            } else {
                out.println();
                System.err.printf("[%d tokens, stop: %s, prefill %.0f ms, %.1f tokens/s]%n",
                        res.ids().length, res.stopReason().jsonName(), res.prefillMs(), res.decodeTokensPerSecond());
            }
        }
        return 0;
    }

    /** {@code --input FILE.jsonl}: the prompts in batches, one {@code --json} object per line, in input order. */
    private Integer generateInput(SamplingConfig settings) {
        if (outFile != null) {
            OutputFile.check(outFile, "--out");
        }
        try (LanguageModel model = modelOptions.load()) {
            List<BatchInput.Item> items = BatchInput.read(input.inputFile(), model, model.config().maxPositions());
            SamplingConfig cfg = SamplingOptions.resolve(model, settings);
            TextTokenizer tok = model.tokenizer();
            try (JsonlOutput jsonl = JsonlOutput.open(outFile, System.out)) {
                BatchRun.run("generate", items, batchSize, chunk -> {
                    List<ObjectNode> lines = new ArrayList<>();
                    long tokens = 0;
                    for (GenerationResult res : model.generateBatch(chunk.stream().map(BatchInput.Item::ids).toList(), cfg)) {
                        lines.add(toJson(res, tok, cfg));
                        tokens += res.ids().length;
                    }
                    return new BatchRun.Done(lines, tokens);
                }, jsonl);
                jsonl.commit();
            }
        }
        return 0;
    }

    private static void stream(PrintStream out, GeneratedToken t, TextTokenizer tok) {
        if (tok != null) {
            out.print(t.text());
        } else {
            out.print((t.step() == 0 ? "" : ",") + t.id());
        }
        out.flush();
    }

    static ObjectNode toJson(GenerationResult res, TextTokenizer tok, SamplingConfig cfg) {
        ObjectNode o = Json.object();
        Json.longs(o.putArray("input_ids"), res.inputIds());
        Json.longs(o.putArray("ids"), res.ids());
        o.put("text", res.text());
        o.put("stop_reason", res.stopReason().jsonName());
        o.put("sum_logprob", res.sumLogprob());
        ArrayNode tokens = o.putArray("tokens");
        for (GeneratedToken t : res.tokens()) {
            ObjectNode n = tokens.addObject();
            n.put("id", t.id());
            n.put("token", t.token());
            n.put("logprob", t.logprob());
            if (!cfg.greedy()) { // greedy draws nothing and keeps every token: no sampled_prob or kept
                n.put("sampled_prob", t.sampledProb());
                n.put("kept", t.keptCount());
            }
            ArrayNode alts = n.putArray("alternatives");
            for (Alternative a : t.alternatives()) {
                ObjectNode an = alts.addObject();
                an.put("id", a.tokenId());
                an.put("token", tok != null && tok.hasToken(a.tokenId()) ? tok.tokenText(a.tokenId()) : null);
                an.put("logprob", a.logprob());
                an.put("prob", a.prob());
            }
        }
        ObjectNode s = o.putObject("sampling");
        s.put("greedy", cfg.greedy());
        if (!cfg.greedy()) { // only the parameters that were used
            s.put("temperature", cfg.temperature());
            s.put("top_k", cfg.topK());
            s.put("top_p", cfg.topP());
            s.put("min_p", cfg.minP());
            if (cfg.seed() != null) {
                s.put("seed", cfg.seed());
            }
        }
        s.put("repetition_penalty", cfg.repetitionPenalty()); // applies to greedy decoding too
        ObjectNode timing = o.putObject("timing");
        timing.put("prefill_ms", res.prefillMs());
        timing.put("decode_ms", res.decodeMs());
        timing.put("decode_tokens_per_s", res.decodeTokensPerSecond());
        return o;
    }
}
