package dev.glassbox.inspect;

import dev.glassbox.tokenizer.TextTokenizer;

/**
 * How a token id is shown: its text through the checkpoint's tokenizer ({@code " world"}), its
 * vocabulary string ({@code "Ġworld"}), or {@code "#id"} where there is no tokenizer or the id is
 * not one of its tokens (e.g. a BOS id outside a symbolic vocabulary).
 */
public final class TokenLabels {

    private final TextTokenizer tokenizer;

    /** @param tokenizer the model's tokenizer, or null for none */
    public TokenLabels(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Labels that show only ids. */
    public static TokenLabels idsOnly() {
        return new TokenLabels(null);
    }

    /** True when texts come from a tokenizer. */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /** What the token adds to running text, or "#id". */
    public String text(long id) {
        if (tokenizer == null || !tokenizer.hasToken(id)) {
            return "#" + id;
        }
        return tokenizer.tokenText(id);
    }

    /** The vocabulary's spelling of the token, or null without a tokenizer. */
    public String string(long id) {
        if (tokenizer == null || !tokenizer.hasToken(id)) {
            return null;
        }
        return tokenizer.tokenString(id);
    }

    /** The text of several ids decoded together, or the ids joined by commas without a tokenizer. */
    public String decode(long[] ids) {
        if (tokenizer != null) {
            boolean all = true;
            for (long id : ids) {
                all &= tokenizer.hasToken(id);
            }
            if (all) {
                return tokenizer.decode(ids);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(sb.length() == 0 ? "" : ",").append(id);
        }
        return sb.toString();
    }

    /** Control characters written as \n, \t, \r or \\uXXXX. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
