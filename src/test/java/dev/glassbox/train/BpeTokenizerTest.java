package dev.glassbox.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte-level BPE trainer: HuggingFace tokenizers (through glassbox's TextTokenizer) reads the
 * tokenizer.json it writes and encodes unseen text to exactly the ids of the Java encoder, and both
 * round-trip; the Java encoder reproduces GPT-2's own ids; merges follow pair frequency.
 */
class BpeTokenizerTest {

    static final List<String> SPECIALS = List.of(BpeTokenizer.END_OF_TEXT);

    /** Text the tokenizer never saw, with the cases byte-level BPE must get right. */
    static final List<String> UNSEEN = List.of(
            "Hello world",
            "In the beginning was the Word, and the Word was with God.",
            "  leading spaces, \ttabs,\n\nblank lines  and trailing space ",
            "It's they're we'll I'd you've I'm don't 'quoted'",
            "numbers 12345 and 3.14159, 1st 2nd; 2024-11-23",
            "Unicode: café naïve Æsir Ωmega 日本語の文 🙂👍🏽 — “curly” quotes…",
            "windows\r\nline ends\r\n",
            "before<|endoftext|>after <|endoftext|> spaced",
            "tokens!!! ??? ... ;;; --- ___ ### @@@ $$$",
            "\u00a0non-breaking\u2003em space\u3000ideographic space",
            "x");

    @Test
    void huggingFaceReadsTheTrainedTokenizerAndAgreesWithTheJavaEncoder(@TempDir Path tmp) {
        String train = Corpus.read(TrainerTest.resource("genesis-1-6.txt"), Corpus.Format.AUTO);
        BpeTokenizer bpe = BpeTrainer.train(List.of(train), 600, SPECIALS, null);
        assertEquals(600, bpe.vocabSize());
        bpe.writeTokenizerJson(tmp, 128);
        String heldOut = Corpus.read(TrainerTest.resource("john-1.txt"), Corpus.Format.AUTO);
        try (TextTokenizer hf = TextTokenizer.load(tmp)) {
            assertEquals(600, hf.vocabSize());
            List<String> texts = new java.util.ArrayList<>(UNSEEN);
            texts.add(heldOut);
            for (String text : texts) {
                long[] expected = hf.encode(text, false);
                long[] java = bpe.encode(text);
                assertArrayEquals(expected, java, "ids of: " + text);
                assertEquals(text, hf.decode(expected), "HF round trip");
                assertEquals(text, bpe.decode(java), "Java round trip");
            }
            // The trained merges do compress: far fewer tokens than bytes on unseen KJV text.
            assertTrue(hf.encode(heldOut, false).length < 0.5 * heldOut.length());
            // GPT-2 adds nothing around the text.
            assertArrayEquals(hf.encode("In the beginning", false), hf.encode("In the beginning", true));
        }
    }

    @Test
    void endOfTextIsTheLastIdAndASpecialAddedToken(@TempDir Path tmp) throws Exception {
        String train = Corpus.read(TrainerTest.resource("genesis-1-6.txt"), Corpus.Format.AUTO);
        BpeTokenizer bpe = BpeTrainer.train(List.of(train), 400, SPECIALS, null);
        bpe.writeTokenizerJson(tmp, 128);
        try (TextTokenizer hf = TextTokenizer.load(tmp)) {
            assertEquals(399, hf.tokenId("<|endoftext|>").getAsLong());
            assertTrue(hf.isSpecial(399));
            assertArrayEquals(new long[] {399}, hf.encode("<|endoftext|>", false));
            assertEquals("", hf.decode(new long[] {399}, true));
        }
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("tokenizer.json").toFile());
        assertEquals("BPE", json.at("/model/type").asText());
        assertEquals("ByteLevel", json.at("/pre_tokenizer/type").asText());
        assertEquals("ByteLevel", json.at("/decoder/type").asText());
        assertEquals(400, json.at("/model/vocab").size()); // as in GPT-2's, the special token is in the vocab too
        assertTrue(json.at("/model/merges").size() >= 399 - 256); // one merge per new token, or more
        assertEquals("<|endoftext|>", json.at("/added_tokens/0/content").asText());
        assertTrue(json.at("/added_tokens/0/special").asBoolean());
        JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("tokenizer_config.json").toFile());
        assertEquals("<|endoftext|>", cfg.get("eos_token").asText());
    }

    @Test
    void mergesFollowPairFrequency() {
        // Pieces: "ab" once, " ab" twice, " cd" once. Pair counts: (a,b) 3, (Ġ,a) 2, (Ġ,c) 1, (c,d) 1.
        // Merge 1: a+b. Then (Ġ,ab) 2, (Ġ,c) 1, (c,d) 1. Merge 2: Ġ+ab. The rest are seen once: stop.
        BpeTokenizer bpe = BpeTrainer.train(List.of("ab ab ab cd"), 300, SPECIALS, null);
        assertEquals(2, bpe.merges().size());
        assertEquals("ab", bpe.token(bpe.merges().get(0)[2]));
        assertEquals("Ġab", bpe.token(bpe.merges().get(1)[2]));
        assertEquals(256 + 2 + 1, bpe.vocabSize());
        // Byte tokens are the byte values; "ab" is 256 and "Ġab" 257; " cd" stays three bytes.
        assertArrayEquals(new long[] {256, 257, ' ', 'c', 'd'}, bpe.encode("ab ab cd"));
    }

    @Test
    void byteAlphabetIsGpt2s() throws Exception {
        // Facts of GPT-2's bytes_to_unicode: space is Ġ, newline Ċ, tab ĉ; printable ASCII is itself.
        assertEquals('Ġ', ByteLevel.byteChar(' '));
        assertEquals('Ċ', ByteLevel.byteChar('\n'));
        assertEquals('ĉ', ByteLevel.byteChar('\t'));
        assertEquals('A', ByteLevel.byteChar('A'));
        Path vocabFile = TrainerTest.sharedPath("models/tiny-gpt2-random/vocab.json");
        assertTrue(Files.isRegularFile(vocabFile), "shared GPT-2 tokenizer missing: tests that need ../shared fail without it (see ../shared/README.md)");
        JsonNode vocab = new ObjectMapper().readTree(vocabFile.toFile());
        Set<String> gpt2Bytes = new HashSet<>();
        vocab.fieldNames().forEachRemaining(t -> {
            if (t.length() == 1) {
                gpt2Bytes.add(t);
            }
        });
        Set<String> ours = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            ours.add(String.valueOf(ByteLevel.byteChar(b)));
        }
        assertEquals(gpt2Bytes, ours);
    }

    @Test
    void javaEncoderReproducesGpt2Ids() throws Exception {
        Path dir = TrainerTest.sharedPath("models/tiny-gpt2-random");
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer_reference.json")), "shared GPT-2 tokenizer missing: tests that need ../shared fail without it (see ../shared/README.md)");
        BpeTokenizer gpt2 = BpeTokenizer.readTokenizerJson(dir.resolve("tokenizer.json"));
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("tokenizer_reference.json").toFile());
        int cases = 0;
        for (JsonNode c : ref.get("cases")) {
            long[] expected = new long[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asLong();
            }
            assertArrayEquals(expected, gpt2.encode(c.get("text").asText()), c.get("text").asText());
            cases++;
        }
        assertTrue(cases >= 3);
    }
}
