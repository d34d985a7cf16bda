package dev.glassbox.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one merge of a checkpoint's generation defaults with the caller's settings. */
class GenerationDefaultsTest {

    private static SamplingConfig defaults(String generationConfigJson, Long... configEos) throws Exception {
        return GenerationDefaults.of(new ObjectMapper().readTree(generationConfigJson), List.of(configEos));
    }

    @Test
    void settingsNotGivenComeFromTheCheckpoint() throws Exception {
        SamplingConfig d = defaults("{\"eos_token_id\": [5, 7], \"max_new_tokens\": 30, \"repetition_penalty\": 1.3}", 9L);
        SamplingConfig c = GenerationDefaults.resolve(d, SamplingConfig.builder().maxNewTokens(3).build());
        assertTrue(c.greedy()); // no do_sample: greedy, as transformers
        assertEquals(Set.of(5L, 7L, 9L), c.eosTokenIds()); // generation_config.json and config.json
        assertEquals(3, c.maxNewTokens());
        assertEquals(1.3, c.repetitionPenalty());
        SamplingConfig none = GenerationDefaults.resolve(d, null);
        assertEquals(30, none.maxNewTokens());
        assertTrue(none.isEos(9L));
        // Given settings win, also when they switch things off.
        SamplingConfig off = GenerationDefaults.resolve(d, SamplingConfig.builder().eosTokenIds(List.of()).repetitionPenalty(1.0).build());
        assertTrue(off.eosTokenIds().isEmpty());
        assertEquals(1.0, off.repetitionPenalty());
        assertFalse(GenerationDefaults.resolve(d, SamplingConfig.builder().stopAtEos(false).build()).isEos(5L));
    }

    @Test
    void namingASamplingSettingSamplesWithOnlyWhatIsNamedOverAGreedyCheckpoint() throws Exception {
        SamplingConfig d = defaults("{\"eos_token_id\": 2}");
        SamplingConfig c = GenerationDefaults.resolve(d, SamplingConfig.builder().temperature(0.8).topP(0.95).seed(42L).build());
        assertFalse(c.greedy());
        assertEquals(0.8, c.temperature());
        assertEquals(0.95, c.topP());
        assertEquals(0, c.topK()); // not transformers' 50: the caller did not name top-k
        assertEquals(42L, c.seed());
        assertEquals(Set.of(2L), c.eosTokenIds());
        // An explicit greedy wins over sampling settings, as do_sample=False does in transformers.
        assertTrue(GenerationDefaults.resolve(d, SamplingConfig.builder().greedy(true).temperature(0.5).build()).greedy());
    }

    @Test
    void overASamplingCheckpointItsProcessorsStay() throws Exception {
        SamplingConfig d = defaults("{\"do_sample\": true, \"temperature\": 0.6, \"top_p\": 0.9, \"top_k\": 20}");
        SamplingConfig c = GenerationDefaults.resolve(d, SamplingConfig.builder().temperature(1.2).build());
        assertFalse(c.greedy());
        assertEquals(1.2, c.temperature());
        assertEquals(0.9, c.topP());
        assertEquals(20, c.topK());
        assertFalse(GenerationDefaults.resolve(d, null).greedy());
        assertTrue(GenerationDefaults.resolve(d, SamplingConfig.builder().greedy(true).build()).greedy());
    }

    @Test
    void maxLengthCountsThePromptUnlessMaxNewTokensIsGiven() throws Exception {
        SamplingConfig d = defaults("{\"max_length\": 20}");
        SamplingConfig c = GenerationDefaults.resolve(d, null);
        assertEquals(20, c.maxLength());
        assertEquals(12, c.maxNewTokensFor(8));
        assertEquals(0, c.maxNewTokensFor(25));
        SamplingConfig n = GenerationDefaults.resolve(d, SamplingConfig.builder().maxNewTokens(5).build());
        assertNull(n.maxLength());
        assertEquals(5, n.maxNewTokensFor(8));
        // max_new_tokens in generation_config.json wins over its max_length, as in transformers.
        assertNull(defaults("{\"max_length\": 20, \"max_new_tokens\": 7}").maxLength());
    }

    @Test
    void resolvingTwiceChangesNothingAndBadValuesAreRefused() throws Exception {
        SamplingConfig d = defaults("{\"eos_token_id\": 2}");
        SamplingConfig once = GenerationDefaults.resolve(d, SamplingConfig.builder().temperature(0.7).build());
        assertEquals(once.toString(), GenerationDefaults.resolve(d, once).toString());
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> GenerationDefaults.resolve(d, SamplingConfig.builder().temperature(-1).build()));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        assertThrows(GlassboxException.class, () -> defaults("{\"temperature\": -1, \"do_sample\": true}").validate());
    }
}
