package dev.glassbox.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level conventions, as HuggingFace tokenizers' {@code ByteLevel} pre-tokenizer and
 * decoder apply them: text is split by GPT-2's regex, each piece is taken as UTF-8 bytes, and each
 * byte is written as one printable character (bytes_to_unicode), so that every token is a string
 * and no byte is ever unknown.
 */
public final class ByteLevel {

    /**
     * GPT-2's pre-tokenization pattern. {@code \s} is Unicode whitespace, as in the Rust regex
     * HuggingFace tokenizers runs.
     */
    public static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        // bytes_to_unicode(): printable Latin-1 bytes stand for themselves; the other 68 bytes
        // are moved to 256, 257, ... in byte order.
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The printable character standing for byte {@code b} (0..255). */
    public static char byteChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a byte-level character stands for, or -1 if it is not one. */
    public static int charByte(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The pieces GPT-2's regex cuts {@code text} into (their concatenation is the text). */
    public static List<String> split(CharSequence text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = GPT2_SPLIT.matcher(text);
        while (m.find()) {
            pieces.add(m.group());
        }
        return pieces;
    }

    /** A piece's UTF-8 bytes written as byte-level characters ("Ġworld" for " world"). */
    public static String encode(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** The bytes a byte-level string stands for. */
    public static byte[] decodeBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = charByte(token.charAt(i));
            if (b < 0) {
                throw new IllegalArgumentException("'" + token + "' is not a byte-level string");
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
