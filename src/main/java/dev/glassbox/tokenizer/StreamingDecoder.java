package dev.glassbox.tokenizer;

import java.util.Arrays;

/**
 * Turns generated ids into text as they arrive. A token need not end on a character boundary (GPT-2
 * byte tokens, Llama byte fallback), and decoders look at neighbours (Llama drops the first space of
 * a text), so decoding each token alone is wrong. Instead the whole sequence, prompt included, is
 * decoded after each push and the new suffix is returned, holding back a trailing U+FFFD: that is an
 * incomplete UTF-8 character which the next tokens may complete.
 *
 * <p>Each push decodes the whole sequence (quadratic in its length), which is cheap next to a model
 * step for the lengths glassbox generates.
 */
public final class StreamingDecoder {

    private static final char REPLACEMENT = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final boolean skipSpecial;
    private long[] ids;
    private int count;
    /** Length of the decoded text already returned (or belonging to the prompt). */
    private int emitted;
    private String text;

    /** Streams text after {@code promptIds}, special tokens included (like {@link TextTokenizer#decode}). */
    public StreamingDecoder(TextTokenizer tokenizer, long[] promptIds) {
        this(tokenizer, promptIds, false);
    }

    public StreamingDecoder(TextTokenizer tokenizer, long[] promptIds, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
        this.ids = Arrays.copyOf(promptIds, Math.max(16, promptIds.length * 2));
        this.count = promptIds.length;
        this.text = tokenizer.decodeRaw(promptIds, skipSpecial);
        // A prompt that ends inside a character: its completion is streamed as new text.
        this.emitted = completeLength(text);
    }

    /** Appends {@code id} and returns the text it completes; "" while a character is unfinished. */
    public String push(long id) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        try {
            text = tokenizer.decodeRaw(Arrays.copyOf(ids, count), skipSpecial);
        } catch (RuntimeException e) {
            count--; // an unknown id is refused and leaves the stream as it was
            throw e;
        }
        int end = completeLength(text);
        if (end <= emitted) {
            return "";
        }
        // Decoding is prefix-stable for these tokenizers; if it ever were not, never repeat text.
        String out = text.substring(emitted, end);
        emitted = end;
        return out;
    }

    /** Whatever is still held back (e.g. a byte sequence that will never form a character). */
    public String flush() {
        String out = text.length() > emitted ? text.substring(emitted) : "";
        emitted = text.length();
        return out;
    }

    /** The ids pushed so far, prompt first. */
    public long[] ids() {
        return Arrays.copyOf(ids, count);
    }

    /** Length of {@code s} without its trailing replacement characters. */
    private static int completeLength(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        return end;
    }
}
