package dev.glassbox.generate;

import dev.glassbox.GlassboxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How to pick the next token: greedy or sampled, and which HuggingFace-style processors shape the
 * distribution first. Immutable; build with {@link #builder()} or {@link #fromGenerationConfig}, adjust
 * with {@link #toBuilder()}.
 *
 * <p>{@link Builder#build()} does not validate, so a config can be assembled from several sources
 * (generation_config.json, then command-line overrides) and checked once with {@link #validate()};
 * {@link Sampler} validates on construction.
 *
 * <p>A config remembers which settings its builder was given. When it is handed to a model's
 * generation ({@code LanguageModel.generate}, {@link Generator}, the DJL translator, the CLI), the
 * settings it was not given come from the checkpoint's {@code generation_config.json}, as
 * transformers' {@code model.generate(**kwargs)} does; {@link GenerationDefaults} is the one place
 * where that happens.
 */
public final class SamplingConfig {

    /** Default for {@link #maxNewTokens()} when neither the caller nor generation_config.json sets it. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;
    /** Default number of top alternatives recorded per generated token. */
    public static final int DEFAULT_ALTERNATIVES = 5;
    /** HuggingFace GenerationConfig's top_k default, which applies whenever the key is absent. */
    public static final int HF_DEFAULT_TOP_K = 50;

    private final boolean greedyFlag;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final double minP;
    private final double repetitionPenalty;
    private final Long seed;
    private final int maxNewTokens;
    private final boolean stopAtEos;
    private final List<String> stopStrings;
    private final Set<Long> eosTokenIds;
    private final int alternatives;
    private final Integer maxLength;
    private final Set<Setting> given;

    /** The settings a builder can be given; {@link GenerationDefaults} fills in the others. */
    enum Setting {
        GREEDY, TEMPERATURE, TOP_K, TOP_P, MIN_P, REPETITION_PENALTY, SEED, MAX_NEW_TOKENS, MAX_LENGTH,
        STOP_AT_EOS, STOP_STRINGS, EOS_TOKEN_IDS, ALTERNATIVES
    }

    private SamplingConfig(Builder b) {
        this.greedyFlag = b.greedy;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.repetitionPenalty = b.repetitionPenalty;
        this.seed = b.seed;
        this.maxNewTokens = b.maxNewTokens;
        this.stopAtEos = b.stopAtEos;
        this.stopStrings = Collections.unmodifiableList(new ArrayList<>(b.stopStrings));
        this.eosTokenIds = Collections.unmodifiableSet(new LinkedHashSet<>(b.eosTokenIds));
        this.alternatives = b.alternatives;
        this.maxLength = b.maxLength;
        this.given = Collections.unmodifiableSet(b.given.isEmpty() ? EnumSet.noneOf(Setting.class) : EnumSet.copyOf(b.given));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, for overriding a few of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.greedy = greedyFlag;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.seed = seed;
        b.maxNewTokens = maxNewTokens;
        b.stopAtEos = stopAtEos;
        b.stopStrings = new ArrayList<>(stopStrings);
        b.eosTokenIds = new LinkedHashSet<>(eosTokenIds);
        b.alternatives = alternatives;
        b.maxLength = maxLength;
        b.given.addAll(given);
        return b;
    }

    /** Whether this config's builder was given {@code s} (else a model's defaults supply it). */
    boolean isGiven(Setting s) {
        return given.contains(s);
    }

    /** The greedy flag alone, without the temperature-0 rule of {@link #greedy()}. */
    boolean greedyFlag() {
        return greedyFlag;
    }

    /**
     * True when decoding is greedy (argmax, no temperature or warpers): the greedy flag is set, or
     * the temperature is 0.
     */
    public boolean greedy() {
        return greedyFlag || temperature == 0.0;
    }

    public double temperature() {
        return temperature;
    }

    /** Top-k cut-off; 0 means off. */
    public int topK() {
        return topK;
    }

    /** Nucleus (top-p) mass; 1.0 means off. */
    public double topP() {
        return topP;
    }

    /** Min-p ratio to the most likely token; 0 means off. */
    public double minP() {
        return minP;
    }

    /** HF/CTRL repetition penalty; 1.0 means off. */
    public double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** RNG seed; null means a fresh random seed per {@link Sampler} (see {@link Sampler#seed()}). */
    public Long seed() {
        return seed;
    }

    /** New tokens to generate at most (unless {@link #maxLength()} is set). */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /**
     * generation_config.json's {@code max_length}: prompt plus new tokens at most, or null. Used
     * only when nobody set {@code max_new_tokens}, which wins as in transformers.
     */
    public Integer maxLength() {
        return maxLength;
    }

    /** How many new tokens a prompt of {@code promptLength} tokens may get. */
    public int maxNewTokensFor(int promptLength) {
        return maxLength == null ? maxNewTokens : Math.max(0, maxLength - promptLength);
    }

    public boolean stopAtEos() {
        return stopAtEos;
    }

    public List<String> stopStrings() {
        return stopStrings;
    }

    public Set<Long> eosTokenIds() {
        return eosTokenIds;
    }

    /** True when generation should end because {@code tokenId} is an end-of-sequence token. */
    public boolean isEos(long tokenId) {
        return stopAtEos && eosTokenIds.contains(tokenId);
    }

    /** How many top alternatives (of the raw distribution) are recorded per generated token. */
    public int alternatives() {
        return alternatives;
    }

    /** Checks every parameter, throwing a {@link GlassboxException} that names the first bad one. */
    public SamplingConfig validate() {
        // Written as "!(ok)" so that NaN fails every check.
        if (!(temperature >= 0.0 && temperature < Double.POSITIVE_INFINITY)) {
            throw new GlassboxException(
                    "temperature must be a finite number >= 0 (0 means greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new GlassboxException("top-k must be >= 0 (0 turns it off), got " + topK);
        }
        if (!(topP > 0.0 && topP <= 1.0)) {
            throw new GlassboxException("top-p must be in (0, 1] (1 turns it off), got " + topP);
        }
        if (!(minP >= 0.0 && minP <= 1.0)) {
            throw new GlassboxException("min-p must be in [0, 1] (0 turns it off), got " + minP);
        }
        if (!(repetitionPenalty > 0.0 && repetitionPenalty < Double.POSITIVE_INFINITY)) {
            throw new GlassboxException(
                    "repetition penalty must be a finite number > 0 (1 turns it off), got "
                            + repetitionPenalty);
        }
        if (maxNewTokens < 0) {
            throw new GlassboxException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        if (maxLength != null && maxLength < 0) {
            throw new GlassboxException("max length must be >= 0, got " + maxLength);
        }
        if (alternatives < 0) {
            throw new GlassboxException("alternatives per token must be >= 0, got " + alternatives);
        }
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new GlassboxException("stop strings must not be empty");
            }
        }
        for (long id : eosTokenIds) {
            if (id < 0) {
                throw new GlassboxException("end-of-sequence token ids must be >= 0, got " + id);
            }
        }
        return this;
    }

    /**
     * Maps the parsed JSON object of a HuggingFace {@code generation_config.json} (as Jackson reads it
     * into a Map) onto a config, with HuggingFace's defaults for absent keys:
     *
     * <ul>
     *   <li>{@code do_sample}: absent or false means greedy (HF's default is greedy too);
     *   <li>{@code top_k}: absent means 50 (HF's GenerationConfig default, used when sampling); an
     *       explicit null or 0 turns top-k off;
     *   <li>{@code temperature}, {@code top_p}, {@code min_p}, {@code repetition_penalty}: absent or
     *       null means off (1.0, 1.0, 0, 1.0);
     *   <li>{@code max_new_tokens}: absent keeps {@link #DEFAULT_MAX_NEW_TOKENS}; without it,
     *       {@code max_length} (which counts the prompt) becomes {@link #maxLength()};
     *   <li>{@code eos_token_id}: an int or a list of ints.
     * </ul>
     *
     * Does not validate; call {@link #validate()} after applying any overrides.
     */
    public static SamplingConfig fromGenerationConfig(Map<String, Object> json) {
        Builder b = builder();
        if (json == null) {
            return b.topK(HF_DEFAULT_TOP_K).build();
        }
        Object doSample = json.get("do_sample");
        if (doSample != null && !(doSample instanceof Boolean)) {
            throw badKey("do_sample", "true or false", doSample);
        }
        b.greedy(!Boolean.TRUE.equals(doSample));

        b.temperature(doubleKey(json, "temperature", 1.0));
        b.topK(json.containsKey("top_k") ? intKey(json, "top_k", 0) : HF_DEFAULT_TOP_K);
        b.topP(doubleKey(json, "top_p", 1.0));
        b.minP(doubleKey(json, "min_p", 0.0));
        b.repetitionPenalty(doubleKey(json, "repetition_penalty", 1.0));
        b.maxNewTokens(intKey(json, "max_new_tokens", DEFAULT_MAX_NEW_TOKENS));
        if (json.get("max_new_tokens") == null && json.get("max_length") != null) {
            b.maxLength(intKey(json, "max_length", 0));
        }

        Object eos = json.get("eos_token_id");
        List<Long> eosIds = new ArrayList<>();
        if (eos instanceof List<?> list) {
            for (Object o : list) {
                eosIds.add(integral("eos_token_id", o));
            }
        } else if (eos != null) {
            eosIds.add(integral("eos_token_id", eos));
        }
        b.eosTokenIds(eosIds);
        return b.build();
    }

    private static double doubleKey(Map<String, Object> json, String key, double ifAbsent) {
        Object v = json.get(key);
        if (v == null) {
            return ifAbsent;
        }
        if (!(v instanceof Number n)) {
            throw badKey(key, "a number", v);
        }
        return n.doubleValue();
    }

    private static int intKey(Map<String, Object> json, String key, int ifAbsent) {
        Object v = json.get(key);
        if (v == null) {
            return ifAbsent;
        }
        long l = integral(key, v);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw badKey(key, "an integer in int range", v);
        }
        return (int) l;
    }

    /** Accepts integral JSON numbers, including ones written as 50.0. */
    private static long integral(String key, Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                return (long) d;
            }
        }
        throw badKey(key, "an integer", v);
    }

    private static GlassboxException badKey(String key, String expected, Object got) {
        String shown = got instanceof String ? "\"" + got + "\"" : String.valueOf(got);
        return new GlassboxException(
                "generation_config.json: " + key + " must be " + expected + ", got " + shown);
    }

    @Override
    public String toString() {
        return "SamplingConfig{greedy=" + greedy() + ", temperature=" + temperature + ", topK=" + topK
                + ", topP=" + topP + ", minP=" + minP + ", repetitionPenalty=" + repetitionPenalty
                + ", seed=" + seed + ", maxNewTokens=" + maxNewTokens
                + (maxLength == null ? "" : ", maxLength=" + maxLength) + ", stopAtEos=" + stopAtEos
                + ", stopStrings=" + stopStrings + ", eosTokenIds=" + eosTokenIds
                + ", alternatives=" + alternatives + "}";
    }

    /** Mutable builder; defaults: sampling at temperature 1 with every processor off. */
    public static final class Builder {
        private boolean greedy = false;
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private double minP = 0.0;
        private double repetitionPenalty = 1.0;
        private Long seed = null;
        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private boolean stopAtEos = true;
        private List<String> stopStrings = new ArrayList<>();
        private Set<Long> eosTokenIds = new LinkedHashSet<>();
        private int alternatives = DEFAULT_ALTERNATIVES;
        private Integer maxLength = null;
        private final Set<Setting> given = EnumSet.noneOf(Setting.class);

        private Builder() {}

        /** Marks every setting as given, so that no model default replaces any of them. */
        Builder givenAll() {
            given.addAll(EnumSet.allOf(Setting.class));
            return this;
        }

        public Builder greedy(boolean greedy) {
            given.add(Setting.GREEDY);
            this.greedy = greedy;
            return this;
        }

        public Builder temperature(double temperature) {
            given.add(Setting.TEMPERATURE);
            this.temperature = temperature;
            return this;
        }

        public Builder topK(int topK) {
            given.add(Setting.TOP_K);
            this.topK = topK;
            return this;
        }

        public Builder topP(double topP) {
            given.add(Setting.TOP_P);
            this.topP = topP;
            return this;
        }

        public Builder minP(double minP) {
            given.add(Setting.MIN_P);
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(double repetitionPenalty) {
            given.add(Setting.REPETITION_PENALTY);
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        public Builder seed(Long seed) {
            given.add(Setting.SEED);
            this.seed = seed;
            return this;
        }

        public Builder maxNewTokens(int maxNewTokens) {
            given.add(Setting.MAX_NEW_TOKENS);
            this.maxNewTokens = maxNewTokens;
            this.maxLength = null; // a count of new tokens replaces a total length
            return this;
        }

        public Builder stopAtEos(boolean stopAtEos) {
            given.add(Setting.STOP_AT_EOS);
            this.stopAtEos = stopAtEos;
            return this;
        }

        public Builder stopStrings(Collection<String> stopStrings) {
            given.add(Setting.STOP_STRINGS);
            Objects.requireNonNull(stopStrings, "stopStrings");
            List<String> copy = new ArrayList<>(stopStrings.size());
            for (String s : stopStrings) {
                copy.add(Objects.requireNonNull(s, "stop string"));
            }
            this.stopStrings = copy;
            return this;
        }

        public Builder eosTokenIds(Collection<Long> eosTokenIds) {
            given.add(Setting.EOS_TOKEN_IDS);
            Objects.requireNonNull(eosTokenIds, "eosTokenIds");
            Set<Long> copy = new LinkedHashSet<>();
            for (Long id : eosTokenIds) {
                copy.add(Objects.requireNonNull(id, "eos token id"));
            }
            this.eosTokenIds = copy;
            return this;
        }

        public Builder alternatives(int alternatives) {
            given.add(Setting.ALTERNATIVES);
            this.alternatives = alternatives;
            return this;
        }

        /**
         * Prompt plus new tokens at most (transformers' {@code max_length}); null for none. Of
         * this and {@link #maxNewTokens}, the one set last applies.
         */
        public Builder maxLength(Integer maxLength) {
            given.add(Setting.MAX_LENGTH);
            this.maxLength = maxLength;
            return this;
        }

        public SamplingConfig build() {
            return new SamplingConfig(this);
        }
    }
}
