package dev.glassbox.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SamplingConfigTest {

    @Test
    void defaults() {
        SamplingConfig c = SamplingConfig.builder().build().validate();
        assertFalse(c.greedy());
        assertEquals(1.0, c.temperature());
        assertEquals(0, c.topK());
        assertEquals(1.0, c.topP());
        assertEquals(0.0, c.minP());
        assertEquals(1.0, c.repetitionPenalty());
        assertNull(c.seed());
        assertTrue(c.stopAtEos());
        assertEquals(5, c.alternatives());
        assertEquals(64, c.maxNewTokens()); // the CLI's documented default too
        assertTrue(c.stopStrings().isEmpty());
        assertTrue(c.eosTokenIds().isEmpty());
    }

    @Test
    void temperatureZeroMeansGreedy() {
        assertTrue(SamplingConfig.builder().temperature(0.0).build().greedy());
        assertTrue(SamplingConfig.builder().greedy(true).build().greedy());
    }

    @Test
    void maxNewTokensZeroIsAllowed() {
        assertEquals(0, SamplingConfig.builder().maxNewTokens(0).build().validate().maxNewTokens());
    }

    private static void assertInvalid(UnaryOperator<SamplingConfig.Builder> edit, String mentions) {
        SamplingConfig cfg = edit.apply(SamplingConfig.builder()).build();
        GlassboxException e = assertThrows(GlassboxException.class, cfg::validate);
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        // The Sampler refuses it too.
        assertThrows(GlassboxException.class, () -> new Sampler(cfg));
    }

    @Test
    void invalidParametersGiveClearErrors() {
        assertInvalid(b -> b.temperature(-0.5), "temperature");
        assertInvalid(b -> b.temperature(Double.NaN), "temperature");
        assertInvalid(b -> b.topP(0.0), "top-p");
        assertInvalid(b -> b.topP(1.5), "top-p");
        assertInvalid(b -> b.topP(Double.NaN), "top-p");
        assertInvalid(b -> b.topK(-1), "top-k");
        assertInvalid(b -> b.minP(-0.1), "min-p");
        assertInvalid(b -> b.minP(1.1), "min-p");
        assertInvalid(b -> b.repetitionPenalty(0.0), "repetition penalty");
        assertInvalid(b -> b.repetitionPenalty(-1.0), "repetition penalty");
        assertInvalid(b -> b.maxNewTokens(-1), "max new tokens");
        assertInvalid(b -> b.alternatives(-1), "alternatives");
        assertInvalid(b -> b.stopStrings(List.of("")), "stop strings");
    }

    @Test
    void errorMessagesNameTheValue() {
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> SamplingConfig.builder().topP(1.5).build().validate());
        assertEquals("top-p must be in (0, 1] (1 turns it off), got 1.5", e.getMessage());
    }

    @Test
    void boundaryValuesAreValid() {
        SamplingConfig.builder().topP(1.0).minP(1.0).minP(0.0).topK(0).temperature(0.0).build().validate();
        SamplingConfig.builder().minP(1.0).repetitionPenalty(0.01).build().validate();
    }

    @Test
    void builderCopiesAndListsAreImmutable() {
        List<String> stops = new java.util.ArrayList<>(List.of("###"));
        SamplingConfig c = SamplingConfig.builder().stopStrings(stops)
                .eosTokenIds(new LinkedHashSet<>(List.of(2L, 7L))).seed(9L).build();
        stops.add("later");
        assertEquals(List.of("###"), c.stopStrings());
        assertThrows(UnsupportedOperationException.class, () -> c.stopStrings().add("x"));
        assertThrows(UnsupportedOperationException.class, () -> c.eosTokenIds().add(1L));
        SamplingConfig d = c.toBuilder().topK(3).build();
        assertEquals(3, d.topK());
        assertEquals(9L, d.seed());
        assertEquals(Set.of(2L, 7L), d.eosTokenIds());
        assertTrue(d.isEos(7L));
        assertFalse(d.toBuilder().stopAtEos(false).build().isEos(7L));
    }

    // ---- generation_config.json --------------------------------------------------------------

    @Test
    void fromGenerationConfigWithSampling() {
        Map<String, Object> json = new HashMap<>();
        json.put("do_sample", true);
        json.put("temperature", 0.6);
        json.put("top_p", 0.9);
        json.put("eos_token_id", Arrays.asList(151645, 151643));
        json.put("bos_token_id", 151643); // ignored
        SamplingConfig c = SamplingConfig.fromGenerationConfig(json).validate();
        assertFalse(c.greedy());
        assertEquals(0.6, c.temperature());
        assertEquals(0.9, c.topP());
        assertEquals(50, c.topK()); // absent -> HF default 50
        assertEquals(0.0, c.minP());
        assertEquals(1.0, c.repetitionPenalty());
        assertEquals(Set.of(151645L, 151643L), c.eosTokenIds());
    }

    @Test
    void fromGenerationConfigMapsEveryKey() {
        Map<String, Object> json = new HashMap<>();
        json.put("do_sample", true);
        json.put("temperature", 1); // an int in JSON
        json.put("top_k", 20);
        json.put("top_p", 0.8);
        json.put("min_p", 0.05);
        json.put("repetition_penalty", 1.1);
        json.put("max_new_tokens", 100);
        json.put("eos_token_id", 2);
        SamplingConfig c = SamplingConfig.fromGenerationConfig(json).validate();
        assertEquals(1.0, c.temperature());
        assertEquals(20, c.topK());
        assertEquals(0.8, c.topP());
        assertEquals(0.05, c.minP());
        assertEquals(1.1, c.repetitionPenalty());
        assertEquals(100, c.maxNewTokens());
        assertEquals(Set.of(2L), c.eosTokenIds());
    }

    @Test
    void fromGenerationConfigIsGreedyUnlessDoSample() {
        Map<String, Object> json = new HashMap<>();
        json.put("temperature", 0.7);
        assertTrue(SamplingConfig.fromGenerationConfig(json).greedy()); // absent -> HF default greedy
        json.put("do_sample", false);
        assertTrue(SamplingConfig.fromGenerationConfig(json).greedy());
        json.put("do_sample", true);
        assertFalse(SamplingConfig.fromGenerationConfig(json).greedy());
        assertTrue(SamplingConfig.fromGenerationConfig(Map.of()).greedy());
    }

    @Test
    void fromGenerationConfigNullsTurnThingsOff() {
        Map<String, Object> json = new HashMap<>();
        json.put("do_sample", true);
        json.put("top_k", null);
        json.put("top_p", null);
        json.put("temperature", null);
        json.put("eos_token_id", null);
        SamplingConfig c = SamplingConfig.fromGenerationConfig(json).validate();
        assertEquals(0, c.topK());
        assertEquals(1.0, c.topP());
        assertEquals(1.0, c.temperature());
        assertTrue(c.eosTokenIds().isEmpty());
        assertEquals(SamplingConfig.DEFAULT_MAX_NEW_TOKENS, c.maxNewTokens()); // absent -> default kept
    }

    @Test
    void fromGenerationConfigRejectsWrongTypes() {
        Map<String, Object> json = new HashMap<>();
        json.put("top_k", "fifty");
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> SamplingConfig.fromGenerationConfig(json));
        assertEquals("generation_config.json: top_k must be an integer, got \"fifty\"", e.getMessage());
        assertThrows(GlassboxException.class,
                () -> SamplingConfig.fromGenerationConfig(Map.of("eos_token_id", List.of(1, 2.5))));
        assertThrows(GlassboxException.class,
                () -> SamplingConfig.fromGenerationConfig(Map.of("do_sample", "yes")));
    }
}
