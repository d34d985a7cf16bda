package dev.glassbox.bench;

import dev.glassbox.LanguageModel;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.Scoring;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batch throughput ({@code glassbox bench --throughput}): scoring tokens/s for 16 prompts of 128
 * random tokens run in batches of 1, 4 and 16 (per-position top-5 and next-token log-probs, what
 * {@code score --input} computes), and generation tokens/s for 8 prompts of 16 tokens, 32 greedy new
 * tokens each, in batches of 1 and 8. Each figure is the median of the runs after a warm-up.
 */
public final class Throughput {

    /** Figures in tokens per second. */
    public record Result(double score1, double score4, double score16, double generate1, double generate8, int runs) {}

    private static final int SCORE_PROMPTS = 16;
    private static final int SCORE_LENGTH = 128;
    private static final int GEN_PROMPTS = 8;
    private static final int GEN_NEW = 32;

    private final LanguageModel model;
    private final SplittableRandom rng = new SplittableRandom(99);

    public Throughput(LanguageModel model) {
        this.model = model;
    }

    public Result run(int runs) {
        List<long[]> scorePrompts = prompts(SCORE_PROMPTS, SCORE_LENGTH);
        List<long[]> genPrompts = prompts(GEN_PROMPTS, 16);
        return new Result(
                median(runs, () -> scoring(scorePrompts, 1)), median(runs, () -> scoring(scorePrompts, 4)),
                median(runs, () -> scoring(scorePrompts, 16)), median(runs, () -> generation(genPrompts, 1)),
                median(runs, () -> generation(genPrompts, 8)), runs);
    }

    /** Scored tokens per second, the prompts in batches of {@code batch}. */
    double scoring(List<long[]> prompts, int batch) {
        long start = System.nanoTime();
        long tokens = 0;
        for (int from = 0; from < prompts.size(); from += batch) {
            for (Scoring.Result r : Scoring.scoreBatch(model, prompts.subList(from, Math.min(prompts.size(), from + batch)), 5, false, false)) {
                tokens += r.inputIds().length;
            }
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    /** New tokens per second (prefill included), the prompts in batches of {@code batch}. */
    double generation(List<long[]> prompts, int batch) {
        SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(GEN_NEW).alternatives(0).build();
        long start = System.nanoTime();
        long tokens = 0;
        for (int from = 0; from < prompts.size(); from += batch) {
            for (var r : model.generateBatch(prompts.subList(from, Math.min(prompts.size(), from + batch)), cfg)) {
                tokens += r.ids().length;
            }
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    private List<long[]> prompts(int n, int length) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] ids = new long[length];
            for (int j = 0; j < length; j++) {
                ids[j] = rng.nextInt(model.config().vocabSize());
            }
            out.add(ids);
        }
        return out;
    }

    private static double median(int runs, java.util.function.DoubleSupplier f) {
        f.getAsDouble(); // warm-up
        double[] v = new double[runs];
        for (int i = 0; i < runs; i++) {
            v[i] = f.getAsDouble();
        }
        Arrays.sort(v);
        return v[runs / 2];
    }
}
