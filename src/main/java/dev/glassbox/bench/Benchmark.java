package dev.glassbox.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.djl.PyTorchInternals;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The speed figures of {@code glassbox bench}, measured the way ../shared/README.md's reference
 * was: prefill of 128 and 512 tokens, and decode speed for 64 new tokens after a 16-token prompt;
 * each the median of 5 runs after warm-up runs. Inputs are random ids (seeded), so any checkpoint
 * works, tokenizer or not.
 *
 * <p>Warm-up: {@link #DEFAULT_WARMUP} runs before each figure by default, so that each figure is
 * the steady state. On two cores the JIT compilers share the cores the products run on, and a
 * fresh JVM's first prompts are slower: SmolLM-135M's 128-token forwards with logits at every
 * position took 755, 357, 415, 403, 341, 416, 324, 300, 296, 298, 332, … ms in one fresh JVM
 * (README "Performance"). {@code bench/hf_reference.py} takes the same {@code --warmup}, so both
 * sides are measured after the same number of runs.
 */
public final class Benchmark {

    /**
     * @param prefillMs128 prompt of 128 tokens through a fresh KV cache, last-position logits (what
     *     generation does)
     * @param prefillFullLogitsMs128 the same forward computing logits at every position (what a
     *     plain {@code model(input_ids)} does)
     * @param decodeTokensPerS new tokens per second after the first, greedy, KV cache
     * @param peakRssMb the process's peak resident memory (VmHWM)
     */
    public record Result(
            double prefillMs128, Double prefillMs512, double prefillFullLogitsMs128, Double prefillFullLogitsMs512,
            double decodeTokensPerS, double peakRssMb, int runs, int warmup) {}

    /** Untimed runs before each figure (see the class comment). */
    public static final int DEFAULT_WARMUP = 10;

    private final LanguageModel model;
    private final SplittableRandom rng = new SplittableRandom(1234);
    private final int warmup;

    public Benchmark(LanguageModel model) {
        this(model, DEFAULT_WARMUP);
    }

    /** @param warmup untimed runs before each figure (at least 0) */
    public Benchmark(LanguageModel model, int warmup) {
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be at least 0, found " + warmup);
        }
        this.model = model;
        this.warmup = warmup;
    }

    public Result run(int runs) {
        // in bench/hf_reference.py's order: for each length all-position logits, then the last position's
        double f128 = median(runs, () -> prefill(128, true));
        double p128 = median(runs, () -> prefill(128, false));
        boolean fits512 = model.config().maxPositions() >= 512;
        Double f512 = fits512 ? median(runs, () -> prefill(512, true)) : null;
        Double p512 = fits512 ? median(runs, () -> prefill(512, false)) : null;
        double decode = medianOf(runs, this::decodeRate);
        return new Result(p128, p512, f128, f512, decode, peakRssMb(), runs, warmup);
    }

    /** One timed prefill of {@code n} random tokens, in milliseconds. */
    public double prefill(int n, boolean allLogits) {
        long[] ids = randomIds(n);
        try (NDManager m = model.manager().newSubManager();
                KvCache cache = model.newCache(m, n)) {
            NDArray x = m.create(ids, new Shape(1, n));
            long t0 = System.nanoTime();
            NDArray logits = model.block().forward(x, new ForwardContext(cache, null), allLogits);
            PyTorchInternals.toFloatArray(logits); // the result must reach Java, as generation reads it
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    /** Decode tokens/s of one 64-token greedy generation after a 16-token prompt. */
    public double decodeRate() {
        SamplingConfig cfg = SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(64).alternatives(5).build();
        GenerationResult r = new Generator(model).generate(randomIds(16), cfg);
        return r.decodeTokensPerSecond();
    }

    private long[] randomIds(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rng.nextInt(model.config().vocabSize());
        }
        return ids;
    }

    private double median(int runs, java.util.function.DoubleSupplier f) {
        return medianOf(runs, f);
    }

    private double medianOf(int runs, java.util.function.DoubleSupplier f) {
        for (int i = 0; i < warmup; i++) {
            f.getAsDouble();
        }
        double[] v = new double[runs];
        for (int i = 0; i < runs; i++) {
            v[i] = f.getAsDouble();
        }
        Arrays.sort(v);
        return runs % 2 == 1 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
    }

    /** Peak resident set size of this process in MB, from /proc (NaN where there is none). */
    public static double peakRssMb() {
        return procStatusKb("VmHWM:") / 1024.0;
    }

    private static double procStatusKb(String key) {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Double.parseDouble(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
