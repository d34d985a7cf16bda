package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.inspect.Scoring;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox score}: how well the model predicts each token of the input. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score a sequence: top-k next tokens at every position, log-prob of each actual next token, perplexity, last logits.",
            "With --input FILE.jsonl: every line, in batches, one JSON line out per input line (the fields of --json, plus the line's own).",
            "With --input corpus.txt|corpus.jsonl --summary: per-document perplexity and a corpus total (tokens, mean NLL, perplexity,"
                + " bits per byte). A .txt corpus is split into documents at blank lines. Documents longer than the context are scored"
                + " in windows of the context's length moving by --stride, each window scoring only the tokens the previous one did not"
                + " reach, so each token is scored once (transformers' perplexity guide)."})
public final class ScoreCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Mixin InputOptions input;

    @Option(names = "--show-top", paramLabel = "K", defaultValue = "5", description = "Next tokens listed per position (default: ${DEFAULT-VALUE}).")
    int topK;

    /** The old name of --show-top; --top-k is the sampling filter of generate and journey, so it is refused here. */
    @Option(names = "--top-k", hidden = true, paramLabel = "K")
    Integer oldTopK;

    @Option(names = "--json", description = "JSON with the field names of transformers' reference.json.")
    boolean json;

    @Option(names = "--hidden", description = "Add hidden_states_last: the last position after the embeddings, each block, and the final norm.")
    boolean hidden;

    @Option(names = "--attn", description = "Add last_layer_attentions: [heads][seq][seq] probabilities of the last layer.")
    boolean attn;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "With --input: sequences per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--out", paramLabel = "FILE", description = "With --input: write the JSONL here (under a temporary name until done) instead of stdout.")
    java.nio.file.Path out;

    @Option(names = "--summary", description = "With --input: per-document perplexity and a corpus total instead of per-token output.")
    boolean summary;

    @Option(names = "--stride", paramLabel = "N",
            description = "With --summary: tokens between window starts for documents longer than the context (default: half the context).")
    Integer stride;

    @Override
    public Integer call() {
        if (input.inputFile() != null) {
            return new ScoreInput(this).call();
        }
        if (summary || stride != null || out != null) {
            throw new GlassboxException("--summary, --stride and --out go with --input FILE");
        }
        if (oldTopK != null) {
            throw new GlassboxException("score lists the most likely tokens with --show-top K; "
                    + "--top-k is the sampling filter of generate and journey");
        }
        if (topK < 1) {
            throw new GlassboxException("--show-top must be at least 1, found " + topK);
        }
        try (LanguageModel model = modelOptions.load()) {
            long[] ids = input.ids(model);
            Scoring.Result r = Scoring.score(model, ids, topK, hidden, attn);
            if (json) {
                Json.print(System.out, toJson(r), false);
            } else {
                printText(System.out, r, model.tokenizer());
            }
        }
        return 0;
    }

    static ObjectNode toJson(Scoring.Result r) {
        ObjectNode o = Json.object();
        Json.longs(o.putArray("input_ids"), r.inputIds());
        o.set("last_logits", Json.floats(Json.MAPPER.createArrayNode(), r.lastLogits()));
        ArrayNode positions = o.putArray("positions");
        for (Scoring.Position p : r.positions()) {
            ObjectNode n = positions.addObject();
            Json.longs(n.putArray("topk_ids"), p.topkIds());
            ArrayNode lps = n.putArray("topk_logprobs");
            for (double v : p.topkLogprobs()) {
                lps.add((float) v);
            }
            Json.floats(n.putArray("topk_logits"), p.topkLogits());
        }
        ArrayNode next = o.putArray("next_token_logprobs");
        for (double v : r.nextTokenLogprobs()) {
            next.add((float) v);
        }
        o.put("sum_logprob", r.sumLogprob());
        o.put("mean_nll", r.meanNll());
        o.put("perplexity", r.perplexity());
        if (r.hiddenStatesLast() != null) {
            ArrayNode h = o.putArray("hidden_states_last");
            for (float[] v : r.hiddenStatesLast()) {
                Json.floats(h.addArray(), v);
            }
        }
        if (r.lastLayerAttentions() != null) {
            ArrayNode a = o.putArray("last_layer_attentions");
            for (float[][] head : r.lastLayerAttentions()) {
                ArrayNode hn = a.addArray();
                for (float[] row : head) {
                    Json.floats(hn.addArray(), row);
                }
            }
        }
        return o;
    }

    private static void printText(PrintStream out, Scoring.Result r, TextTokenizer tok) {
        long[] ids = r.inputIds();
        out.printf("%-4s %-18s %10s   %s%n", "pos", "token", "logprob", "top next tokens (logprob)");
        for (int i = 0; i < ids.length; i++) {
            String lp = i == 0 ? "" : String.format("%10.4f", r.nextTokenLogprobs()[i - 1]);
            StringBuilder top = new StringBuilder();
            Scoring.Position p = r.positions().get(i);
            for (int k = 0; k < Math.min(3, p.topkIds().length); k++) {
                top.append(show(tok, p.topkIds()[k])).append(String.format(" (%.2f)  ", p.topkLogprobs()[k]));
            }
            out.printf("%-4d %-18s %10s   %s%n", i, clip(show(tok, ids[i]), 18), lp, top.toString().trim());
        }
        out.printf("perplexity %.4f   mean NLL %.4f nats   sum log-prob %.4f%n", r.perplexity(), r.meanNll(), r.sumLogprob());
    }

    static String show(TextTokenizer tok, long id) {
        if (tok == null || !tok.hasToken(id)) {
            return "#" + id;
        }
        String s = tok.tokenText(id).replace("\n", "\\n").replace("\t", "\\t");
        return "'" + s + "'";
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
