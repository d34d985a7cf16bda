package dev.glassbox.generate;

import dev.glassbox.GlassboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Chooses the next token from a step's raw logits: runs the {@link LogitsProcessor}, then takes the
 * argmax (greedy) or draws from the softmax of the processed logits (sampling), and records the raw
 * log-probability and the top alternatives for display.
 *
 * <p>Reproducible: the RNG is a {@link SplittableRandom} (a fully specified algorithm) seeded from the
 * config, and each sampled step consumes exactly one double, so the same seed, config and logits give
 * the same tokens on every run and JVM. Greedy steps and {@link #survivors} consume none.
 *
 * <p>Not thread-safe: it keeps the RNG and reusable buffers; use one per generation.
 */
public final class Sampler {

    private final SamplingConfig cfg;
    private final LogitsProcessor processor;
    private final long seed;
    private final SplittableRandom rng;

    // Reused across steps so a 150k vocabulary costs no per-token allocation.
    private float[] processed = new float[0];
    private double[] weights = new double[0];

    /** Validates {@code cfg} (throwing {@link GlassboxException}) and seeds the RNG. */
    public Sampler(SamplingConfig cfg) {
        this.cfg = cfg.validate();
        this.processor = new LogitsProcessor(cfg);
        // A null seed still gets a concrete one, reported by seed() so a run can be replayed.
        this.seed = cfg.seed() != null ? cfg.seed() : new SplittableRandom().nextLong();
        this.rng = new SplittableRandom(seed);
    }

    public SamplingConfig config() {
        return cfg;
    }

    /** The seed in use: the configured one, or the random one drawn when the config had none. */
    public long seed() {
        return seed;
    }

    /**
     * Picks the next token.
     *
     * @param rawLogits the model's next-token logits, one per vocabulary id (not modified)
     * @param contextIds prompt and generated token ids so far, for the repetition penalty
     */
    public Choice choose(float[] rawLogits, long[] contextIds) {
        double logZ = Softmax.logSumExp(rawLogits); // also rejects NaN / +inf / all -inf
        int n = rawLogits.length;
        if (processed.length != n) {
            processed = new float[n];
            weights = new double[n];
        }
        processor.processInto(rawLogits, contextIds, processed);

        int chosen;
        double processedProb;
        int kept = 0;
        if (cfg.greedy()) {
            chosen = Ranking.argmax(processed);
            processedProb = 1.0;
            for (float v : processed) {
                if (v != Float.NEGATIVE_INFINITY) {
                    kept++;
                }
            }
        } else {
            float max = Float.NEGATIVE_INFINITY;
            for (float v : processed) {
                if (v != Float.NEGATIVE_INFINITY) {
                    kept++;
                    if (v > max) {
                        max = v;
                    }
                }
            }
            // Softmax in double after subtracting the max: exp cannot overflow and tiny
            // probabilities keep their precision.
            double z = 0.0;
            for (int i = 0; i < n; i++) {
                float v = processed[i];
                double w = v == Float.NEGATIVE_INFINITY ? 0.0 : Math.exp((double) v - max);
                weights[i] = w;
                z += w;
            }
            // Inverse-CDF draw in id order. Zero-weight tokens are skipped so a removed token can
            // never be picked, even when rounding leaves u at the very top of the range.
            double u = rng.nextDouble() * z;
            double acc = 0.0;
            chosen = -1;
            for (int i = 0; i < n; i++) {
                double w = weights[i];
                if (w == 0.0) {
                    continue;
                }
                acc += w;
                chosen = i;
                if (u < acc) {
                    break;
                }
            }
            processedProb = weights[chosen] / z;
        }
        return new Choice(
                chosen, rawLogits[chosen] - logZ, processedProb, alternatives(rawLogits, logZ), kept);
    }

    /** All survivors of the processors at this step; see {@link #survivors(float[], long[], int)}. */
    public Survivors survivors(float[] rawLogits, long[] contextIds) {
        return survivors(rawLogits, contextIds, Integer.MAX_VALUE);
    }

    /**
     * The tokens that survive the processors with their renormalised probabilities, most likely first,
     * at most {@code limit} of them (a greedy config keeps the whole vocabulary, so a view wants a
     * limit), and what greedy decoding would pick. For a sampling config these probabilities are the
     * distribution {@link #choose} draws from. Consumes no randomness.
     */
    public Survivors survivors(float[] rawLogits, long[] contextIds, int limit) {
        double logZ = Softmax.logSumExp(rawLogits);
        float[] p = processor.process(rawLogits, contextIds);
        int greedy = Ranking.argmax(p);
        float max = p[greedy];
        int kept = 0;
        double z = 0.0;
        for (float v : p) {
            if (v != Float.NEGATIVE_INFINITY) {
                kept++;
                z += Math.exp((double) v - max);
            }
        }
        int[] top = Ranking.topK(p, Math.min(Math.max(limit, 0), kept));
        List<Survivor> tokens = new ArrayList<>(top.length);
        for (int id : top) {
            tokens.add(new Survivor(id, Math.exp((double) p[id] - max) / z, p[id], rawLogits[id] - logZ));
        }
        return new Survivors(tokens, kept, greedy);
    }

    private List<Alternative> alternatives(float[] rawLogits, double logZ) {
        int[] top = Ranking.topK(rawLogits, cfg.alternatives());
        List<Alternative> out = new ArrayList<>(top.length);
        for (int id : top) {
            double lp = rawLogits[id] - logZ;
            out.add(new Alternative(id, lp, Math.exp(lp), rawLogits[id]));
        }
        return out;
    }

    /**
     * Indices of the {@code k} largest values, largest first, the lower index first among equal values;
     * fewer if the array is shorter, none if k <= 0. O(n log k) partial selection. NaN not supported.
     */
    public static int[] topK(float[] values, int k) {
        return Ranking.topK(values, k);
    }
}
