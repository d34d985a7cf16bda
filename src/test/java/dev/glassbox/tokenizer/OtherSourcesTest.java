package dev.glassbox.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vocab+merges-only fixture, token_mappings.json, a lone tokenizer.model and no tokenizer. */
class OtherSourcesTest {

    @Test
    void gpt2TinyFixtureLoadsFromVocabAndMerges() {
        try (TextTokenizer t = TextTokenizer.load(Shared.GPT2_TINY_FIXTURE)) {
            assertTrue(t.source().contains("vocab.json"), t.source());
            assertEquals(1000, t.vocabSize());
            // The special token named in tokenizer_config.json is an added token, matched whole.
            assertEquals(OptionalLong.of(999), t.tokenId("<|endoftext|>"));
            assertTrue(t.isSpecial(999));
            assertArrayEquals(new long[] {72, 101, 404, 111, 999}, t.encode("Hello<|endoftext|>"));
            // Expected ids from an independent Python port of OpenAI's GPT-2 encoder over these files.
            assertArrayEquals(new long[] {72, 101, 404, 111, 277, 262, 587}, t.encode("Hello world"));
            assertArrayEquals(new long[] {84, 104, 101, 271, 280, 283, 280, 382, 266, 285, 280, 46, 396, 116, 700,
                    618, 48, 50, 52, 33}, t.encode("The cat sat on the mat. It's 2024!"));
            assertArrayEquals(new long[] {32, 257, 119, 111, 32, 595, 97, 574, 10, 110, 949, 312, 263, 101},
                    t.encode("  two  spaces\nnew line"));
            assertArrayEquals(new long[] {110, 97, 195, 175, 323, 886, 102, 195, 169, 32, 240, 159, 153, 130},
                    t.encode("naïve café 🙂"));
            for (String s : new String[] {"Hello world", "The cat sat on the mat. It's 2024!", "naïve café 🙂"}) {
                assertEquals(s, t.decode(t.encode(s)));
            }
        }
    }

    @Test
    void vocabAndMergesWithAddBosToken(@TempDir Path dir) throws IOException {
        // GPT2Tokenizer with add_bos_token (as OPT configures it) puts bos_token before the text.
        Files.copy(Shared.GPT2_TINY_FIXTURE.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(Shared.GPT2_TINY_FIXTURE.resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"tokenizer_class\": \"GPT2Tokenizer\", \"add_bos_token\": true,"
                        + " \"bos_token\": {\"content\": \"<|endoftext|>\", \"special\": true}}");
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertArrayEquals(new long[] {999, 72, 101, 404, 111}, t.encode("Hello"));
            assertArrayEquals(new long[] {72, 101, 404, 111}, t.encode("Hello", false));
            assertEquals("Hello", t.decode(t.encode("Hello"), true));
        }
    }

    @Test
    void cleanUpTokenizationSpacesWhenTheConfigAsksForIt(@TempDir Path dir) throws IOException {
        Files.copy(Shared.STORIES.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        String text = "Hi , there . It 's ok";
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertEquals(text, t.decode(t.encode(text, false)));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"clean_up_tokenization_spaces\": true}");
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            // transformers' clean_up_tokenization drops the space before , . 's
            assertEquals("Hi, there. It's ok", t.decode(t.encode(text, false)));
        }
    }

    @Test
    void cappUsesTokenMappings() {
        try (TextTokenizer t = TextTokenizer.load(Shared.CAPP)) {
            assertTrue(t.source().endsWith("token_mappings.json"), t.source());
            assertEquals(53, t.vocabSize());
            // SOURCE.md's golden prompt.
            String prompt = "geometry_pure_axisymmetric, holes_none, external_threads_no, surface_finish_normal,"
                    + " tolerance_normal, batch_size_small, <SOS>";
            long[] ids = {0, 7, 15, 17, 21, 25, 49};
            assertArrayEquals(ids, t.encode(prompt));
            assertEquals(prompt, t.decode(ids));
            // Tokens with spaces in them; spaces alone also separate tokens.
            assertArrayEquals(new long[] {29, 50, 32, 36, 50, 33, 36, 50, 51},
                    t.encode("Turning, <EOC>, SLM, Turning Secondary, <EOC>, Sand Casting, Turning Secondary, <EOC>, <EOS>"));
            assertArrayEquals(new long[] {29, 50, 32, 34, 39}, t.encode("Turning <EOC> SLM  High Pressure Die Casting 5-axis Milling Secondary"));
            assertEquals("Turning, SLM", t.decode(new long[] {29, 50, 32}, true));
            assertEquals("Sand Casting", t.tokenString(33));
            assertEquals("Sand Casting", t.tokenText(33));
            assertEquals(OptionalLong.of(51), t.tokenId("<EOS>"));
            assertTrue(t.isSpecial(49) && t.isSpecial(52));
            assertFalse(t.isSpecial(29));
            assertEquals(0, t.encode("").length);
            // config.json's bos_token_id 50256 lies outside this vocabulary.
            assertFalse(t.hasToken(50256));
            assertThrows(GlassboxException.class, () -> t.decode(new long[] {50256}));
            GlassboxException e = assertThrows(GlassboxException.class, () -> t.encode("Turning, Welding"));
            assertTrue(e.getMessage().contains("'Welding'"), e.getMessage());
        }
    }

    @Test
    void sentencepieceOnlyGivesAClearError() {
        GlassboxException e = assertThrows(GlassboxException.class, () -> TextTokenizer.load(Shared.LLAMA_GQA));
        String m = e.getMessage();
        assertTrue(m.contains("tokenizer.model") && m.contains("tokenizer.json"), m);
        assertTrue(m.contains("save_pretrained") && m.contains("--ids"), m);
        assertFalse(m.contains("\n"), m);
        assertThrows(GlassboxException.class, () -> TextTokenizer.find(Shared.LLAMA_GQA));
    }

    @Test
    void folderWithoutTokenizer(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        assertEquals(Optional.empty(), TextTokenizer.find(dir));
        GlassboxException e = assertThrows(GlassboxException.class, () -> TextTokenizer.load(dir));
        assertTrue(e.getMessage().contains("--ids"), e.getMessage());
    }

    @Test
    void missingFolder(@TempDir Path dir) {
        assertThrows(GlassboxException.class, () -> TextTokenizer.find(dir.resolve("nope")));
    }

    @Test
    void brokenTokenizerJsonIsAGlassboxException(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"NoSuchModel\"}}");
        GlassboxException e = assertThrows(GlassboxException.class, () -> TextTokenizer.load(dir));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), "{not json");
        assertThrows(GlassboxException.class, () -> TextTokenizer.load(dir));
    }
}
