package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.inspect.Perplexity;
import dev.glassbox.inspect.Scoring;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code glassbox score --input FILE}: every document in batches. Per line, the single-input
 * {@code --json} object; with {@code --summary}, per document its tokens, mean NLL and perplexity
 * (windowed past the context), then one last line with the corpus total.
 */
final class ScoreInput {

    private final ScoreCommand c;

    ScoreInput(ScoreCommand command) {
        this.c = command;
    }

    Integer call() {
        if (c.topK < 1) {
            throw new GlassboxException("--show-top must be at least 1, found " + c.topK);
        }
        if (c.stride != null && !c.summary) {
            throw new GlassboxException("--stride goes with --summary");
        }
        if (c.out != null) {
            OutputFile.check(c.out, "--out");
        }
        try (LanguageModel model = c.modelOptions.load()) {
            int context = model.config().maxPositions();
            List<BatchInput.Item> items = BatchInput.read(c.input.inputFile(), model, c.summary ? 0 : context);
            int stride = c.stride == null ? Math.max(1, context / 2) : c.stride;
            if (c.summary) {
                Perplexity.windows(1, context, stride); // checks the stride before any work
            }
            try (JsonlOutput out = JsonlOutput.open(c.out, System.out)) {
                if (c.summary) {
                    summary(model, items, context, stride, out);
                } else {
                    BatchRun.run("score", items, c.batchSize, chunk -> {
                        List<long[]> ids = chunk.stream().map(BatchInput.Item::ids).toList();
                        List<ObjectNode> lines = new ArrayList<>();
                        long tokens = 0;
                        for (Scoring.Result r : Scoring.scoreBatch(model, ids, c.topK, c.hidden, c.attn)) {
                            lines.add(ScoreCommand.toJson(r));
                            tokens += r.inputIds().length;
                        }
                        return new BatchRun.Done(lines, tokens);
                    }, out);
                    out.commit();
                }
            }
        }
        return 0;
    }

    private void summary(LanguageModel model, List<BatchInput.Item> items, int context, int stride, JsonlOutput out) {
        double[] total = new double[1];
        long[] counts = new long[2]; // tokens scored, bytes
        boolean[] allBytes = {true};
        BatchRun.run("score", items, c.batchSize, chunk -> {
            List<Perplexity.Document> docs = Perplexity.score(model, chunk.stream().map(BatchInput.Item::ids).toList(), context, stride, c.batchSize);
            List<ObjectNode> lines = new ArrayList<>();
            long tokens = 0;
            for (int i = 0; i < docs.size(); i++) {
                Perplexity.Document d = docs.get(i);
                BatchInput.Item it = chunk.get(i);
                ObjectNode o = Json.object();
                o.put("line", it.line());
                o.put("tokens", d.tokens());
                o.put("windows", d.windows());
                o.put("sum_logprob", d.sumLogprob());
                putNumber(o, "mean_nll", d.meanNll());
                putNumber(o, "perplexity", d.perplexity());
                lines.add(o);
                total[0] += d.sumLogprob();
                counts[0] += d.tokens();
                tokens += it.ids().length;
                if (it.text() == null) {
                    allBytes[0] = false;
                } else {
                    counts[1] += it.text().getBytes(StandardCharsets.UTF_8).length;
                }
            }
            return new BatchRun.Done(lines, tokens);
        }, out);
        ObjectNode corpus = Json.object();
        ObjectNode t = corpus.putObject("corpus");
        t.put("documents", items.size());
        t.put("tokens", counts[0]);
        t.put("sum_logprob", total[0]);
        double meanNll = counts[0] == 0 ? Double.NaN : -total[0] / counts[0];
        putNumber(t, "mean_nll", meanNll);
        putNumber(t, "perplexity", Math.exp(meanNll));
        // bits per byte: the corpus NLL in bits over its UTF-8 bytes (text inputs only)
        putNumber(t, "bits_per_byte", allBytes[0] && counts[1] > 0 ? -total[0] / Math.log(2) / counts[1] : Double.NaN);
        t.put("stride", stride);
        t.put("window", context);
        out.write(corpus);
        out.commit();
    }

    /** NaN (a one-token document) as JSON null. */
    private static void putNumber(ObjectNode o, String name, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(name);
        } else {
            o.put(name, v);
        }
    }
}
