package dev.glassbox.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.generate.SamplingConfig.Setting;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The one place where a checkpoint's generation defaults meet the caller's settings, used by
 * {@code LanguageModel.generate}, {@link Generator}, the DJL translator, the CLI and the notebooks
 * alike. As in transformers' {@code model.generate(**kwargs)}: whatever the caller's
 * {@link SamplingConfig} was not given comes from {@code generation_config.json} (sampling flag,
 * temperature, top-k/top-p/min-p, repetition penalty, {@code max_new_tokens} or {@code max_length},
 * EOS ids), and the EOS ids of {@code config.json} count too.
 *
 * <p>One rule goes beyond transformers, which ignores a temperature given without
 * {@code do_sample}: naming a sampling setting (temperature, top-k, top-p, min-p or seed) without
 * saying {@code greedy(true)} samples, and when the checkpoint itself decodes greedily the
 * processors the caller did not name are off, so that what is sampled is what was asked for.
 */
public final class GenerationDefaults {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GenerationDefaults() {}

    /**
     * A checkpoint's defaults: its generation_config.json (null when it has none) read with
     * transformers' defaults for absent keys, plus the EOS ids of its config.json.
     */
    @SuppressWarnings("unchecked")
    public static SamplingConfig of(JsonNode generationConfig, Collection<Long> configEosIds) {
        Map<String, Object> json = generationConfig == null ? null : JSON.convertValue(generationConfig, Map.class);
        SamplingConfig base = SamplingConfig.fromGenerationConfig(json);
        Set<Long> eos = new LinkedHashSet<>(base.eosTokenIds());
        eos.addAll(configEosIds);
        return base.toBuilder().eosTokenIds(eos).givenAll().build();
    }

    /**
     * {@code settings} with what it was not given taken from {@code defaults} (see the class
     * comment), validated. A null {@code settings} means the defaults as they are. The result counts
     * as given in full, so resolving it again changes nothing.
     */
    public static SamplingConfig resolve(SamplingConfig defaults, SamplingConfig settings) {
        if (settings == null) {
            return defaults.toBuilder().givenAll().build().validate();
        }
        boolean namesSampling = settings.isGiven(Setting.TEMPERATURE) || settings.isGiven(Setting.TOP_K)
                || settings.isGiven(Setting.TOP_P) || settings.isGiven(Setting.MIN_P) || settings.isGiven(Setting.SEED);
        boolean greedy = settings.isGiven(Setting.GREEDY) ? settings.greedyFlag() : !namesSampling && defaults.greedyFlag();
        SamplingConfig.Builder b = defaults.toBuilder().greedy(greedy);
        if (!greedy && defaults.greedy()) {
            // Sampling where the checkpoint decodes greedily: plain sampling plus what the caller names.
            b.temperature(1.0).topK(0).topP(1.0).minP(0.0);
        }
        if (settings.isGiven(Setting.TEMPERATURE)) {
            b.temperature(settings.temperature());
        }
        if (settings.isGiven(Setting.TOP_K)) {
            b.topK(settings.topK());
        }
        if (settings.isGiven(Setting.TOP_P)) {
            b.topP(settings.topP());
        }
        if (settings.isGiven(Setting.MIN_P)) {
            b.minP(settings.minP());
        }
        if (settings.isGiven(Setting.SEED)) {
            b.seed(settings.seed());
        }
        if (settings.isGiven(Setting.REPETITION_PENALTY)) {
            b.repetitionPenalty(settings.repetitionPenalty());
        }
        if (settings.isGiven(Setting.MAX_NEW_TOKENS) && settings.maxLength() == null) {
            b.maxNewTokens(settings.maxNewTokens());
        } else if (settings.isGiven(Setting.MAX_LENGTH)) {
            b.maxLength(settings.maxLength());
        }
        if (settings.isGiven(Setting.STOP_AT_EOS)) {
            b.stopAtEos(settings.stopAtEos());
        }
        if (settings.isGiven(Setting.STOP_STRINGS)) {
            b.stopStrings(settings.stopStrings());
        }
        if (settings.isGiven(Setting.EOS_TOKEN_IDS)) {
            b.eosTokenIds(settings.eosTokenIds());
        }
        if (settings.isGiven(Setting.ALTERNATIVES)) {
            b.alternatives(settings.alternatives());
        }
        return b.givenAll().build().validate();
    }
}
