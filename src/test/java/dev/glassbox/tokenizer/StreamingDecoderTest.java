package dev.glassbox.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.glassbox.GlassboxException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {

    /** Pushes every id and checks that no piece carries a replacement character. */
    private static List<String> stream(StreamingDecoder d, long[] ids) {
        List<String> pieces = new ArrayList<>();
        for (long id : ids) {
            String piece = d.push(id);
            assertFalse(piece.contains("\uFFFD"), piece);
            pieces.add(piece);
        }
        return pieces;
    }

    @Test
    void gpt2EmojiSplitOverByteTokens() {
        try (TextTokenizer t = TextTokenizer.load(Shared.TINY_GPT2)) {
            // From tokenizer_reference.json: " emoji 🙂🚀" = Ġemoji, ĠðŁĻĤ, ðŁ, ļ, Ģ
            long[] prompt = {290}; // " and"
            StreamingDecoder d = new StreamingDecoder(t, prompt);
            List<String> pieces = stream(d, new long[] {44805, 32485, 8582, 248, 222});
            assertEquals(List.of(" emoji", " 🙂", "", "", "🚀"), pieces);
            assertArrayEquals(new long[] {290, 44805, 32485, 8582, 248, 222}, d.ids());
            assertEquals("", d.flush());
        }
    }

    @Test
    void gpt2WholeReferenceTextStreams() {
        try (TextTokenizer t = TextTokenizer.load(Shared.TINY_GPT2)) {
            String text = "naïve café — “quotes” and emoji 🙂🚀";
            long[] ids = {2616, 38776, 40304, 851, 564, 250, 421, 6421, 447, 251, 290, 44805, 32485, 8582, 248, 222};
            StreamingDecoder d = new StreamingDecoder(t, new long[0]);
            assertEquals(text, String.join("", stream(d, ids)));
            // "ĠâĢ" + "ľ" is " “": the space comes out at once, the quote once it is complete.
            StreamingDecoder e = new StreamingDecoder(t, new long[] {40304});
            assertEquals(List.of(" —", " ", "“"), stream(e, new long[] {851, 564, 250}));
        }
    }

    @Test
    void promptEndingInsideACharacter() {
        try (TextTokenizer t = TextTokenizer.load(Shared.TINY_GPT2)) {
            // Prompt "... ðŁ" ends inside 🚀; its completion is streamed whole.
            StreamingDecoder d = new StreamingDecoder(t, new long[] {32485, 8582});
            assertEquals(List.of("", "🚀"), stream(d, new long[] {248, 222}));
        }
    }

    @Test
    void llamaByteFallbackAndLeadingSpace() {
        try (TextTokenizer t = TextTokenizer.load(Shared.STORIES)) {
            // "é🙂\n" = ▁, é, <0xF0>, <0x9F>, <0x99>, <0x82>, <0x0A> after BOS.
            StreamingDecoder d = new StreamingDecoder(t, new long[] {1});
            assertEquals(List.of(" ", "é", "", "", "", "🙂", "\n"),
                    stream(d, new long[] {410, 485, 243, 162, 156, 133, 13}));
            // Without a BOS, the first word loses its space exactly as decode() does.
            StreamingDecoder s = new StreamingDecoder(t, new long[0], true);
            assertEquals(List.of("Once", " upon", " a", " time"), stream(s, new long[] {403, 407, 261, 378}));
        }
    }

    @Test
    void flushReleasesABrokenCharacter() {
        try (TextTokenizer t = TextTokenizer.load(Shared.STORIES)) {
            StreamingDecoder d = new StreamingDecoder(t, new long[0]);
            assertEquals("A", d.push(0x41 + 3));
            assertEquals("", d.push(0xF0 + 3));
            assertEquals("\uFFFD", d.flush());
            assertEquals("", d.flush());
        }
    }

    @Test
    void unknownIdIsRefusedAndForgotten() {
        try (TextTokenizer t = TextTokenizer.load(Shared.CAPP)) {
            StreamingDecoder d = new StreamingDecoder(t, new long[] {0, 49});
            assertEquals(", Turning", d.push(29));
            assertThrows(GlassboxException.class, () -> d.push(50256));
            assertEquals(", <EOC>", d.push(50));
            assertArrayEquals(new long[] {0, 49, 29, 50}, d.ids());
        }
    }
}
