package dev.glassbox.djl;

import dev.glassbox.generate.SamplingConfig;

/**
 * The input of a text-generation predictor: a prompt (text, or ids for checkpoints without a
 * tokenizer) and how to decode. A plain {@code String} input uses greedy decoding.
 */
public record GenerationRequest(String prompt, long[] ids, SamplingConfig sampling) {

    public static GenerationRequest of(String prompt, SamplingConfig sampling) {
        return new GenerationRequest(prompt, null, sampling);
    }

    public static GenerationRequest ofIds(long[] ids, SamplingConfig sampling) {
        return new GenerationRequest(null, ids, sampling);
    }
}
