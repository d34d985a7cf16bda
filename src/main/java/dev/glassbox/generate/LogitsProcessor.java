package dev.glassbox.generate;

import dev.glassbox.GlassboxException;
import java.util.Arrays;

/**
 * Shapes next-token logits the way HuggingFace transformers (v4.44) does before choosing a token, in
 * its order: repetition penalty (a processor, so it applies to greedy decoding too), then, only when
 * sampling, the warpers temperature, top-k, top-p and min-p. Each step is skipped when it is off
 * (penalty 1, temperature 1, top-k 0, top-p 1, min-p 0), exactly where HF leaves it out of the list.
 * Removed tokens get -infinity, HF's filter value.
 *
 * <p>The steps are also public static methods working in place, so they can be tested and reused one
 * by one. Arithmetic is float for the scores (as torch on float32 logits) and double for
 * probabilities. Stateless and thread-safe.
 */
public final class LogitsProcessor {

    private final boolean greedy;
    private final double repetitionPenalty;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final double minP;

    public LogitsProcessor(SamplingConfig cfg) {
        this.greedy = cfg.greedy();
        this.repetitionPenalty = cfg.repetitionPenalty();
        this.temperature = cfg.temperature();
        this.topK = cfg.topK();
        this.topP = cfg.topP();
        this.minP = cfg.minP();
    }

    /** Processes a copy of {@code logits}; the input is left untouched. */
    public float[] process(float[] logits, long[] contextIds) {
        float[] out = new float[logits.length];
        processInto(logits, contextIds, out);
        return out;
    }

    /**
     * Writes the processed logits into {@code out} (same length, a different array), so a caller
     * decoding many steps can reuse one buffer instead of allocating 150k floats per token.
     *
     * @param contextIds every token id of the context (prompt and generated so far), in any order
     */
    public void processInto(float[] logits, long[] contextIds, float[] out) {
        if (out == logits) {
            // The repetition penalty reads the untouched scores to stay idempotent on repeated ids.
            throw new IllegalArgumentException("out must be a different array from logits");
        }
        if (out.length != logits.length) {
            throw new IllegalArgumentException(
                    "out has " + out.length + " entries, logits have " + logits.length);
        }
        System.arraycopy(logits, 0, out, 0, logits.length);
        if (repetitionPenalty != 1.0) {
            applyRepetitionPenalty(logits, out, contextIds, repetitionPenalty);
        }
        if (greedy) {
            return; // HF applies warpers only when sampling; argmax ignores them anyway.
        }
        if (temperature != 1.0) {
            applyTemperature(out, temperature);
        }
        if (topK != 0) {
            applyTopK(out, topK);
        }
        if (topP < 1.0) {
            applyTopP(out, topP);
        }
        if (minP > 0.0) {
            applyMinP(out, minP);
        }
    }

    /**
     * HF RepetitionPenaltyLogitsProcessor (the CTRL penalty): for every distinct id in the context,
     * {@code score < 0 ? score * penalty : score / penalty}, so a penalty above 1 always makes a seen
     * token less likely. Reads from {@code source} and writes to {@code target}; reading the untouched
     * score makes an id that occurs many times penalised exactly once, like HF's gather/scatter.
     */
    public static void applyRepetitionPenalty(
            float[] source, float[] target, long[] contextIds, double penalty) {
        int n = source.length;
        for (long id : contextIds) {
            if (id < 0 || id >= n) {
                throw new GlassboxException(
                        "context token id " + id + " is outside the model's " + n + " logits");
            }
            float score = source[(int) id];
            target[(int) id] = score < 0 ? (float) (score * penalty) : (float) (score / penalty);
        }
    }

    /** HF TemperatureLogitsWarper: divides every score by the temperature (which must be > 0). */
    public static void applyTemperature(float[] scores, double temperature) {
        for (int i = 0; i < scores.length; i++) {
            float v = (float) (scores[i] / temperature);
            // A tiny temperature can overflow float; clamp so later max-subtraction stays finite
            // (inf - inf would be NaN) while the token keeps its rank.
            if (v == Float.POSITIVE_INFINITY) {
                v = Float.MAX_VALUE;
            } else if (v == Float.NEGATIVE_INFINITY && scores[i] != Float.NEGATIVE_INFINITY) {
                v = -Float.MAX_VALUE;
            }
            scores[i] = v;
        }
    }

    /**
     * HF TopKLogitsWarper: keeps every token whose score is >= the k-th largest score (so ties at the
     * boundary all stay), with k = max(topK, 1); removes the rest. Uses a partial selection.
     */
    public static void applyTopK(float[] scores, int topK) {
        int k = Math.max(topK, 1); // min_tokens_to_keep = 1
        if (k >= scores.length) {
            return;
        }
        int[] top = Ranking.topK(scores, k);
        float threshold = scores[top[k - 1]];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < threshold) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * HF TopPLogitsWarper: sort scores ascending, take cumulative softmax probabilities, remove every
     * token whose cumulative probability (itself included) is {@code <= 1 - topP}, and always keep the
     * highest. Equivalently, keep the most likely tokens until their mass reaches topP, including the
     * one that crosses it.
     *
     * <p>Ties in the sort order: torch.sort is not stable by default, so HF's choice among equal scores
     * at the boundary is unspecified; here the lower token id ranks higher (is removed last), as in
     * argmax and {@link Sampler#topK}.
     *
     * <p>Only tokens that can possibly survive are sorted: a token with probability q has at most
     * {@code n * q} mass at or below it, so if that is under half of {@code 1 - topP} it is removed
     * for sure. On a real vocabulary this leaves a few hundred candidates instead of 150k.
     */
    public static void applyTopP(float[] scores, double topP) {
        if (!(topP < 1.0)) {
            return;
        }
        int finite = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : scores) {
            if (v != Float.NEGATIVE_INFINITY) {
                finite++;
                if (v > max) {
                    max = v;
                }
            }
        }
        if (finite <= 1) {
            return;
        }
        double z = 0.0;
        for (float v : scores) {
            if (v != Float.NEGATIVE_INFINITY) {
                z += Math.exp((double) v - max);
            }
        }
        double removeMass = 1.0 - topP;
        // Weights are exp(v - max), so "weight < 0.5 * removeMass * z / finite" is this logit bound.
        double minLogit = max + Math.log(0.5 * removeMass * z / finite);

        int candidates = 0;
        for (float v : scores) {
            if (v >= minLogit) {
                candidates++;
            }
        }
        long[] keys = new long[candidates];
        int c = 0;
        for (int i = 0; i < scores.length; i++) {
            float v = scores[i];
            if (v >= minLogit) {
                keys[c++] = Ranking.ascendingKey(v, i);
            } else {
                scores[i] = Float.NEGATIVE_INFINITY; // provably inside the removed tail
            }
        }
        Arrays.sort(keys);

        double candidateMass = 0.0;
        double[] weights = new double[candidates];
        for (int j = 0; j < candidates; j++) {
            weights[j] = Math.exp((double) scores[Ranking.indexOfKey(keys[j])] - max);
            candidateMass += weights[j];
        }
        // The pre-filtered tokens sit at the bottom of HF's ascending cumsum.
        double cumulative = Math.max(0.0, z - candidateMass);
        for (int j = 0; j < candidates - 1; j++) { // the last (highest) is always kept
            cumulative += weights[j];
            if (cumulative / z <= removeMass) {
                scores[Ranking.indexOfKey(keys[j])] = Float.NEGATIVE_INFINITY;
            } else {
                break; // cumulative only grows from here on, so everything above is kept
            }
        }
    }

    /**
     * HF MinPLogitsWarper: with probabilities p = softmax(scores), removes tokens with
     * {@code p < minP * max(p)}; the most likely token is always kept. Since p_i / max(p) =
     * exp(score_i - max score), no normalisation is needed.
     */
    public static void applyMinP(float[] scores, double minP) {
        if (!(minP > 0.0)) {
            return;
        }
        int best = Ranking.argmax(scores);
        if (best < 0) {
            return;
        }
        double max = scores[best];
        // Compare in log space (no exp per token); only scores within rounding distance of the
        // threshold get the exact "exp(d) < minP" test.
        double logMinP = Math.log(minP);
        for (int i = 0; i < scores.length; i++) {
            float v = scores[i];
            if (i == best || v == Float.NEGATIVE_INFINITY) {
                continue;
            }
            double d = v - max;
            if (d < logMinP - 1e-9 || (d <= logMinP + 1e-9 && Math.exp(d) < minP)) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
