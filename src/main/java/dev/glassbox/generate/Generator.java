package dev.glassbox.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.Hooks;
import dev.glassbox.blocks.KvCache;
import dev.glassbox.tokenizer.StreamingDecoder;
import dev.glassbox.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The generation loop: run the prompt once (prefill), then one position per new token through the
 * KV cache; at each step turn the logits into a choice (greedy or sampled), append it and repeat.
 * Every NDArray of a generation lives in one sub-manager that is closed at the end, so long and
 * repeated generations do not grow native memory.
 *
 * <p>Context policy: a prompt longer than the model's context is an error; a generation that
 * reaches the end of the context stops there with stop reason {@code context_full}.
 */
public final class Generator {

    private final LanguageModel model;

    public Generator(LanguageModel model) {
        this.model = model;
    }

    public GenerationResult generate(long[] promptIds, SamplingConfig cfg) {
        return generate(promptIds, cfg, null, null);
    }

    /**
     * @param onToken called as each token is chosen (streaming); may be null
     * @param hooks applied to every forward call (prompt and each new token); null for none
     */
    public GenerationResult generate(long[] promptIds, SamplingConfig cfg, Consumer<GeneratedToken> onToken, Hooks hooks) {
        cfg.validate();
        if (promptIds.length == 0) {
            throw new GlassboxException("the prompt is empty: give at least one token");
        }
        int context = model.config().maxPositions();
        if (promptIds.length > context) {
            throw new GlassboxException(
                    "the prompt has " + promptIds.length + " tokens but the model's context is " + context + " tokens");
        }
        TextTokenizer tok = model.tokenizer();
        // Special tokens (BOS, EOS) are left out of the text, as transformers' pipelines do; ids keep them.
        StreamingDecoder stream = tok == null ? null : new StreamingDecoder(tok, promptIds, true);
        StopChecker stops = new StopChecker(cfg.stopStrings());
        Sampler sampler = new Sampler(cfg);
        int maxNew = cfg.maxNewTokens();
        long[] context_ = Arrays.copyOf(promptIds, promptIds.length + maxNew);
        int len = promptIds.length;
        List<GeneratedToken> tokens = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String stopReason = "max_new_tokens";
        double prefillMs = 0;
        long decodeStart = 0;
        try (NDManager m = model.manager().newSubManager();
                KvCache cache = model.newCache(m, Math.min(context, promptIds.length + maxNew))) {
            ForwardContext ctx = new ForwardContext(cache, hooks);
            if (maxNew == 0) {
                return new GenerationResult(promptIds.clone(), new long[0], "", tokens, stopReason, 0, 0);
            }
            long t0 = System.nanoTime();
            float[] logits = step(m, promptIds, ctx);
            prefillMs = (System.nanoTime() - t0) / 1e6;
            decodeStart = System.nanoTime();
            for (int step = 0; step < maxNew; step++) {
                Choice c = sampler.choose(logits, Arrays.copyOf(context_, len));
                long id = c.tokenId();
                context_[len++] = id;
                String piece = stream == null ? "" : stream.push(id);
                String tokenText = tok == null || !tok.hasToken(id) ? null : tok.tokenText(id);
                boolean eos = cfg.stopAtEos() && cfg.isEos(id);
                text.append(piece);
                boolean stopped = false;
                if (!stops.isEmpty()) {
                    var hit = stops.find(text.toString());
                    if (hit.isPresent()) {
                        String cut = hit.get().cut(text.toString());
                        piece = piece.substring(0, Math.max(0, piece.length() - (text.length() - cut.length())));
                        text.setLength(cut.length());
                        stopped = true;
                    }
                }
                GeneratedToken g = new GeneratedToken(
                        step, id, tokenText, piece, c.logprob(), c.processedProb(), c.alternatives(), c.keptCount());
                tokens.add(g);
                if (onToken != null) {
                    onToken.accept(g);
                }
                if (stopped) {
                    stopReason = "stop_string";
                    break;
                }
                if (eos) {
                    stopReason = "eos";
                    break;
                }
                if (step == maxNew - 1) {
                    break;
                }
                if (cache.length() >= context) {
                    stopReason = "context_full";
                    break;
                }
                logits = step(m, new long[] {id}, ctx);
            }
        }
        double decodeMs = (System.nanoTime() - decodeStart) / 1e6;
        long[] newIds = Arrays.copyOfRange(context_, promptIds.length, len);
        return new GenerationResult(promptIds.clone(), newIds, text.toString(), tokens, stopReason, prefillMs, decodeMs);
    }

    /** One forward call on the cache; returns the last position's logits and frees the rest. */
    private float[] step(NDManager m, long[] ids, ForwardContext ctx) {
        try (NDArray x = m.create(ids, new Shape(1, ids.length));
                NDArray logits = model.block().forward(x, ctx, false)) {
            return logits.toFloatArray();
        }
    }
}
