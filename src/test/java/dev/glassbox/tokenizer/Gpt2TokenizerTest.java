package dev.glassbox.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real GPT-2 tokenizer (tiny-gpt2-random), loaded both from tokenizer.json and from
 * vocab.json + merges.txt, against tokenizer_reference.json (written by transformers' GPT2Tokenizer).
 */
class Gpt2TokenizerTest {

    record Case(String text, long[] ids, List<String> tokens) {}

    static List<Case> cases;
    static TextTokenizer fromJson;
    static TextTokenizer fromMerges;

    @BeforeAll
    static void load() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(Shared.TINY_GPT2.resolve("tokenizer_reference.json").toFile());
        cases = new ArrayList<>();
        for (JsonNode c : ref.get("cases")) {
            long[] ids = new long[c.get("ids").size()];
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.get("ids").get(i).asLong();
                tokens.add(c.get("tokens").get(i).asText());
            }
            cases.add(new Case(c.get("text").asText(), ids, tokens));
        }
        assertEquals(9, cases.size());
        fromJson = TextTokenizer.load(Shared.TINY_GPT2);
        fromMerges = TextTokenizer.fromVocabAndMerges(Shared.TINY_GPT2);
    }

    @AfterAll
    static void close() {
        fromJson.close();
        fromMerges.close();
    }

    @Test
    void loadPrefersTokenizerJson() {
        assertTrue(fromJson.source().endsWith("tokenizer.json"), fromJson.source());
        assertTrue(fromMerges.source().contains("vocab.json"), fromMerges.source());
    }

    @Test
    void everyReferenceStringGivesItsIdsFromTokenizerJson() {
        for (Case c : cases) {
            assertArrayEquals(c.ids(), fromJson.encode(c.text()), c.text());
            // GPT-2's ByteLevel post-processor adds no special tokens either way.
            assertArrayEquals(c.ids(), fromJson.encode(c.text(), false), c.text());
        }
    }

    @Test
    void everyReferenceStringGivesItsIdsFromVocabAndMerges() {
        for (Case c : cases) {
            assertArrayEquals(c.ids(), fromMerges.encode(c.text()), c.text());
        }
    }

    @Test
    void helloWorld() {
        assertArrayEquals(new long[] {15496, 995}, fromJson.encode("Hello world"));
        assertArrayEquals(new long[] {15496, 995}, fromMerges.encode("Hello world"));
    }

    @Test
    void tokenStringsMatchTheReferenceTokens() {
        for (TextTokenizer t : List.of(fromJson, fromMerges)) {
            for (Case c : cases) {
                for (int i = 0; i < c.ids().length; i++) {
                    assertEquals(c.tokens().get(i), t.tokenString(c.ids()[i]), c.text());
                    assertEquals(OptionalLong.of(c.ids()[i]), t.tokenId(c.tokens().get(i)));
                }
            }
        }
    }

    @Test
    void decodeRoundTrips() {
        for (TextTokenizer t : List.of(fromJson, fromMerges)) {
            for (Case c : cases) {
                assertEquals(c.text(), t.decode(c.ids()), c.text());
            }
        }
    }

    @Test
    void worldToken() {
        for (TextTokenizer t : List.of(fromJson, fromMerges)) {
            assertEquals("Ġworld", t.tokenString(995));
            assertEquals(" world", t.tokenText(995));
            assertEquals("Hello", t.tokenText(15496));
            assertEquals("\n", t.tokenText(198)); // "Ċ"
            assertEquals("\uFFFD", t.tokenText(8582)); // "ðŁ": the first two bytes of an emoji
        }
    }

    @Test
    void endOfTextIsSpecialAndDecodedUnlessSkipped() {
        for (TextTokenizer t : List.of(fromJson, fromMerges)) {
            assertEquals(50257, t.vocabSize());
            assertTrue(t.isSpecial(50256));
            assertFalse(t.isSpecial(995));
            assertEquals("<|endoftext|>", t.tokenString(50256));
            assertEquals(OptionalLong.of(50256), t.tokenId("<|endoftext|>"));
            long[] ids = {15496, 50256, 995};
            assertEquals("Hello<|endoftext|> world", t.decode(ids));
            assertEquals("Hello<|endoftext|> world", t.decode(ids, false));
            assertEquals("Hello world", t.decode(ids, true));
        }
    }

    @Test
    void bothSourcesHaveTheSameVocabulary() {
        assertEquals(fromJson.vocabSize(), fromMerges.vocabSize());
        for (long id = 0; id < fromJson.vocabSize(); id++) {
            assertEquals(fromJson.tokenString(id), fromMerges.tokenString(id));
        }
        String mixed = "Ünïcödé, tabs\tand\r\nCRLF, 'quotes' it's we'll <|endoftext|>x  \u00a0 日本語 🙂";
        assertArrayEquals(fromJson.encode(mixed), fromMerges.encode(mixed));
    }

    @Test
    void emptyTextGivesNoIds() {
        assertEquals(0, fromJson.encode("").length);
        assertEquals("", fromJson.decode(new long[0]));
    }

    @Test
    void longTextIsNotTruncated() {
        // DJL's defaults would truncate at 512 tokens; " hello" is one token (" hello" = 23748).
        String text = "hello" + " hello".repeat(1999);
        long[] ids = fromJson.encode(text);
        assertEquals(2000, ids.length);
        assertEquals(text, fromJson.decode(ids));
    }

    @Test
    void idsOutsideTheVocabularyAreRefused() {
        assertFalse(fromJson.hasToken(50257));
        assertFalse(fromJson.hasToken(-1));
        assertTrue(fromJson.hasToken(0));
        assertThrows(GlassboxException.class, () -> fromJson.decode(new long[] {15496, 50300}));
        assertThrows(GlassboxException.class, () -> fromJson.tokenString(50257));
        assertThrows(GlassboxException.class, () -> fromJson.tokenText(-1));
        assertEquals(OptionalLong.empty(), fromJson.tokenId("no such token"));
    }
}
