package dev.glassbox.generate;

import dev.glassbox.tokenizer.StreamingDecoder;
import dev.glassbox.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One sequence's side of generation: from each step's logits it chooses the next token (greedy or
 * sampled), appends it, extends the decoded text and decides whether the sequence is finished
 * (EOS, a stop string, max_new_tokens, or a full context). The single loop of {@link Generator}
 * drives one; {@link BatchGenerator} drives one per row, so a row of a batch chooses exactly what
 * it would choose alone.
 */
final class RowDecoder {

    private static final long[] NO_IDS = new long[0];

    private final long[] promptIds;
    private final SamplingConfig cfg;
    private final TextTokenizer tok;
    private final StreamingDecoder stream;
    private final StopChecker stops;
    private final Sampler sampler;
    private final int maxNew;
    private final long[] seq;
    private int len;
    private final List<GeneratedToken> tokens = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private int released; // characters of text handed out so far
    private StopReason stopReason;

    /**
     * @param tok for the text of each token; may be null (ids only)
     * @param room positions the context has left after the prompt
     */
    RowDecoder(long[] promptIds, SamplingConfig cfg, TextTokenizer tok, int room) {
        this.promptIds = promptIds.clone();
        this.cfg = cfg;
        this.tok = tok;
        // Special tokens (BOS, EOS) are left out of the text, as transformers' pipelines do; ids keep them.
        this.stream = tok == null ? null : new StreamingDecoder(tok, promptIds, true);
        this.stops = new StopChecker(cfg.stopStrings());
        this.sampler = new Sampler(cfg);
        this.maxNew = cfg.maxNewTokensFor(promptIds.length);
        // Sized by what can happen: the context ends a generation however large max_new_tokens is.
        this.seq = Arrays.copyOf(promptIds, promptIds.length + (int) Math.min(maxNew, Math.max(0L, room) + 1));
        this.len = promptIds.length;
    }

    /** True when no token is to be chosen at all (max_new_tokens 0). */
    boolean wantsNothing() {
        return maxNew <= 0;
    }

    /**
     * Chooses the next token from {@code logits} (the last position's, raw).
     *
     * @param contextFull the cache holds as many positions as the context allows: this token is the last
     * @return the token chosen; {@link #finished} says whether another follows
     */
    GeneratedToken choose(float[] logits, boolean contextFull) {
        int step = tokens.size();
        // The context ids matter only to the repetition penalty; copying them every step would
        // make each step's garbage grow with the sequence.
        Choice c = sampler.choose(logits, cfg.repetitionPenalty() == 1.0 ? NO_IDS : Arrays.copyOf(seq, len));
        long id = c.tokenId();
        seq[len++] = id;
        text.append(stream == null ? "" : stream.push(id));
        boolean eos = cfg.stopAtEos() && cfg.isEos(id);
        boolean last = eos || step == maxNew - 1 || contextFull;
        Optional<StopChecker.Stop> hit = stops.isEmpty() ? Optional.empty() : stops.find(text.toString());
        if (hit.isPresent()) {
            text.setLength(hit.get().index());
        }
        // Hold back text that might be the start of a stop string until it is decided.
        int safe = hit.isPresent() || last ? text.length() : Math.max(released, stops.safeLength(text.toString()));
        String piece = text.substring(released, safe);
        released = safe;
        String tokenText = tok == null || !tok.hasToken(id) ? null : tok.tokenText(id);
        GeneratedToken g = new GeneratedToken(step, id, tokenText, piece, c.logprob(), c.processedProb(), c.alternatives(), c.keptCount());
        tokens.add(g);
        if (hit.isPresent()) {
            stopReason = StopReason.STOP_STRING;
        } else if (eos) {
            stopReason = StopReason.EOS;
        } else if (step == maxNew - 1) {
            stopReason = StopReason.MAX_NEW_TOKENS;
        } else if (contextFull) {
            stopReason = StopReason.CONTEXT_FULL;
        }
        return g;
    }

    boolean finished() {
        return stopReason != null || maxNew <= 0;
    }

    /** The token chosen last. */
    long lastId() {
        return seq[len - 1];
    }

    GenerationResult result(double prefillMs, double decodeMs) {
        long[] newIds = Arrays.copyOfRange(seq, promptIds.length, len);
        StopReason reason = stopReason == null ? StopReason.MAX_NEW_TOKENS : stopReason;
        return new GenerationResult(promptIds.clone(), newIds, text.toString(), List.copyOf(tokens), reason, prefillMs, decodeMs);
    }
}
