package dev.glassbox.tokenizer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's view of template values, as Jinja2 shows them: {@code str()} for output ({@code True},
 * {@code ['a', 1]}), {@code repr()} inside containers, and {@code json.dumps} as transformers'
 * {@code tojson} filter calls it. Values are what Jackson reads from JSON (String, Boolean,
 * Integer/Long/BigInteger, Double, List, Map, null).
 */
final class PyValues {

    private PyValues() {}

    /** {@code str(value)}; null (None or undefined) prints as nothing, as Jinja2 prints undefined. */
    static String str(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof CharSequence) {
            return v.toString();
        }
        return repr(v);
    }

    /** {@code repr(value)}. */
    static String repr(Object v) {
        StringBuilder sb = new StringBuilder();
        repr(v, sb);
        return sb.toString();
    }

    private static void repr(Object v, StringBuilder sb) {
        if (v == null || v instanceof PyNone) {
            sb.append("None");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(pyFloat(((Number) v).doubleValue()));
        } else if (v instanceof Number) {
            sb.append(v);
        } else if (v instanceof CharSequence) {
            reprString(v.toString(), sb);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                repr(e.getKey(), sb);
                sb.append(": ");
                repr(e.getValue(), sb);
            }
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                repr(o, sb);
            }
            sb.append(']');
        } else if (v instanceof Map.Entry<?, ?> e) {
            sb.append('(');
            repr(e.getKey(), sb);
            sb.append(", ");
            repr(e.getValue(), sb);
            sb.append(')');
        } else {
            sb.append(v);
        }
    }

    /** Python's repr of a str: single quotes unless the text holds ' and no ". */
    private static void reprString(String s, StringBuilder sb) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(q);
        s.codePoints().forEach(cp -> {
            if (cp == q || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp < 0x20 || cp == 0x7f) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        sb.append(q);
    }

    /** Python's repr of a float: shortest digits, fixed notation for exponents -4..15. */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }

    /**
     * {@code json.dumps(v, ensure_ascii=..., indent=..., separators=..., sort_keys=...)}: Python's
     * defaults are ", " and ": " without indent, "," and ": " with one.
     */
    static String jsonDumps(Object v, boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys) {
        String is = itemSep != null ? itemSep : (indent == null ? ", " : ",");
        String ks = keySep != null ? keySep : ": ";
        StringBuilder sb = new StringBuilder();
        json(v, sb, ensureAscii, indent, is, ks, sortKeys, 0);
        return sb.toString();
    }

    private static void json(Object v, StringBuilder sb, boolean ascii, String indent, String is, String ks, boolean sort, int depth) {
        if (v == null || v instanceof PyNone) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : pyFloat(d));
        } else if (v instanceof Number) {
            sb.append(v);
        } else if (v instanceof CharSequence) {
            jsonString(v.toString(), sb, ascii);
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sort) {
                entries.sort((a, b) -> jsonKey(a.getKey()).compareTo(jsonKey(b.getKey())));
            }
            sb.append('{');
            for (int i = 0; i < entries.size(); i++) {
                if (i > 0) {
                    sb.append(is);
                }
                newline(sb, indent, depth + 1);
                jsonString(jsonKey(entries.get(i).getKey()), sb, ascii);
                sb.append(ks);
                json(entries.get(i).getValue(), sb, ascii, indent, is, ks, sort, depth + 1);
            }
            newline(sb, indent, depth);
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            if (c.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            int i = 0;
            for (Object o : c) {
                if (i++ > 0) {
                    sb.append(is);
                }
                newline(sb, indent, depth + 1);
                json(o, sb, ascii, indent, is, ks, sort, depth + 1);
            }
            newline(sb, indent, depth);
            sb.append(']');
        } else {
            jsonString(v.toString(), sb, ascii);
        }
    }

    private static String jsonKey(Object k) {
        if (k == null || k instanceof PyNone) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Double || k instanceof Float) {
            return pyFloat(((Number) k).doubleValue());
        }
        return k.toString();
    }

    private static void newline(StringBuilder sb, String indent, int depth) {
        if (indent != null) {
            sb.append('\n');
            sb.append(indent.repeat(depth));
        }
    }

    private static void jsonString(String s, StringBuilder sb, boolean ascii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7f)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** Python's str.isspace for one code point. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85 || (cp >= 0x1c && cp <= 0x1f);
    }

    /** Python truthiness: None, False, 0, "" and empty containers are false. */
    static boolean truthy(Object v) {
        if (v == null || v instanceof PyNone) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (v instanceof CharSequence s) {
            return s.length() > 0;
        }
        if (v instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }
}
