package dev.glassbox.tokenizer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python's str methods with Python's semantics (code points, Python whitespace, literal separators). */
final class PyStrings {

    private PyStrings() {}

    static Object call(String s, String name, Object[] p) {
        switch (name) {
            case "startswith":
                return affix(s, p, true);
            case "endswith":
                return affix(s, p, false);
            case "strip":
                return strip(s, arg(p, 0), true, true);
            case "lstrip":
                return strip(s, arg(p, 0), true, false);
            case "rstrip":
                return strip(s, arg(p, 0), false, true);
            case "split":
                return split(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "rsplit":
                return rsplit(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "splitlines":
                return splitlines(s);
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "title":
                return title(s);
            case "capitalize":
                return capitalize(s);
            case "swapcase": {
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isUpperCase(cp) ? Character.toLowerCase(cp)
                        : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
                return sb.toString();
            }
            case "replace":
                return replace(s, str(p[0]), str(p[1]), p.length > 2 ? ((Number) p[2]).intValue() : -1);
            case "find":
                return (long) cpIndex(s, s.indexOf(str(p[0])));
            case "rfind":
                return (long) cpIndex(s, s.lastIndexOf(str(p[0])));
            case "index":
            case "rindex": {
                int i = name.equals("index") ? s.indexOf(str(p[0])) : s.lastIndexOf(str(p[0]));
                if (i < 0) {
                    throw new IllegalStateException("substring not found");
                }
                return (long) cpIndex(s, i);
            }
            case "count":
                return (long) count(s, str(p[0]));
            case "join": {
                List<String> parts = new ArrayList<>();
                for (Object o : iterable(p[0])) {
                    parts.add(PyValues.str(o));
                }
                return String.join(s, parts);
            }
            case "isdigit":
            case "isnumeric":
            case "isdecimal":
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha":
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum":
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace":
                return !s.isEmpty() && s.codePoints().allMatch(PyValues::isSpace);
            case "isupper":
                return s.codePoints().anyMatch(Character::isLetter) && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower":
                return s.codePoints().anyMatch(Character::isLetter) && s.codePoints().noneMatch(Character::isUpperCase);
            case "removeprefix":
                return s.startsWith(str(p[0])) ? s.substring(str(p[0]).length()) : s;
            case "removesuffix":
                return !str(p[0]).isEmpty() && s.endsWith(str(p[0])) ? s.substring(0, s.length() - str(p[0]).length()) : s;
            case "zfill": {
                int w = ((Number) p[0]).intValue();
                int n = s.codePointCount(0, s.length());
                if (n >= w) {
                    return s;
                }
                boolean sign = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+');
                return (sign ? s.substring(0, 1) : "") + "0".repeat(w - n) + (sign ? s.substring(1) : s);
            }
            case "center":
            case "ljust":
            case "rjust": {
                int w = ((Number) p[0]).intValue();
                String fill = p.length > 1 ? str(p[1]) : " ";
                int n = s.codePointCount(0, s.length());
                if (n >= w) {
                    return s;
                }
                int pad = w - n;
                if (name.equals("ljust")) {
                    return s + fill.repeat(pad);
                }
                if (name.equals("rjust")) {
                    return fill.repeat(pad) + s;
                }
                int left = pad / 2 + (pad & w & 1);
                return fill.repeat(left) + s + fill.repeat(pad - left);
            }
            case "partition":
            case "rpartition": {
                String sep = str(p[0]);
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) {
                    return name.equals("partition") ? List.of(s, "", "") : List.of("", "", s);
                }
                return List.of(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case PyMethods.SLICE: {
                int[] cps = s.codePoints().toArray();
                StringBuilder sb = new StringBuilder();
                for (int i : PyMethods.sliceIndices(cps.length, p)) {
                    sb.appendCodePoint(cps[i]);
                }
                return sb.toString();
            }
            default:
                throw new IllegalStateException("str has no method " + name);
        }
    }

    private static String arg(Object[] p, int i) {
        return p.length > i && p[i] != null ? str(p[i]) : null;
    }

    private static String str(Object o) {
        return PyValues.str(o);
    }

    static Iterable<?> iterable(Object o) {
        if (o instanceof Collection<?> c) {
            return c;
        }
        if (o instanceof Map<?, ?> m) {
            return m.keySet();
        }
        if (o instanceof String s) {
            List<String> chars = new ArrayList<>();
            s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            return chars;
        }
        return List.of(o);
    }

    private static boolean affix(String s, Object[] p, boolean start) {
        List<String> options = new ArrayList<>();
        if (p[0] instanceof Collection<?> c) {
            c.forEach(o -> options.add(str(o)));
        } else {
            options.add(str(p[0]));
        }
        for (String o : options) {
            if (start ? s.startsWith(o) : s.endsWith(o)) {
                return true;
            }
        }
        return false;
    }

    /** str.strip([chars]): Python whitespace by default, else any of the given characters. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int[] cps = s.codePoints().toArray();
        int lo = 0;
        int hi = cps.length;
        while (left && lo < hi && stripped(cps[lo], chars)) {
            lo++;
        }
        while (right && hi > lo && stripped(cps[hi - 1], chars)) {
            hi--;
        }
        return new String(cps, lo, hi - lo);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? PyValues.isSpace(cp) : chars.codePoints().anyMatch(c -> c == cp);
    }

    /** str.split(sep=None, maxsplit=-1). */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int[] cps = s.codePoints().toArray();
            int i = 0;
            while (i < cps.length) {
                while (i < cps.length && PyValues.isSpace(cps[i])) {
                    i++;
                }
                if (i >= cps.length) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    int end = cps.length;
                    while (end > i && PyValues.isSpace(cps[end - 1])) {
                        end--;
                    }
                    out.add(new String(cps, i, end - i));
                    return out;
                }
                int j = i;
                while (j < cps.length && !PyValues.isSpace(cps[j])) {
                    j++;
                }
                out.add(new String(cps, i, j - i));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalStateException("empty separator");
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int i = s.indexOf(sep, from);
            if (i < 0) {
                break;
            }
            out.add(s.substring(from, i));
            from = i + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        if (sep == null) {
            List<String> all = split(s, null, -1);
            if (all.size() <= maxsplit + 1) {
                return all;
            }
            // Keep the head as one piece, with its inner whitespace, right-stripped.
            String trimmed = strip(s, null, false, true);
            List<String> tail = all.subList(all.size() - maxsplit, all.size());
            int cut = trimmed.length();
            for (int k = tail.size() - 1; k >= 0; k--) {
                cut = trimmed.lastIndexOf(tail.get(k), cut - 1);
            }
            List<String> out = new ArrayList<>();
            out.add(strip(trimmed.substring(0, cut), null, false, true));
            out.addAll(tail);
            return out;
        }
        List<String> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int i = s.lastIndexOf(sep, end - sep.length());
            if (i < 0 || end - sep.length() < 0) {
                break;
            }
            out.add(0, s.substring(i + sep.length(), end));
            end = i;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    static List<String> splitlinesOf(String s) {
        return splitlines(s);
    }

    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean br = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                    || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (br) {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static String replace(String s, String old, String rep, int count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(rep);
                s.codePoints().forEach(cp -> sb.appendCodePoint(cp).append(rep));
                return sb.toString();
            }
            return s.replace(old, rep);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int i = s.indexOf(old, from);
            if (i < 0 || old.isEmpty()) {
                break;
            }
            sb.append(s, from, i).append(rep);
            from = i + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    private static int cpIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    /** str.title(): a letter after a non-letter is upper-cased, every other letter lower-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevCased = false;
        for (int cp : s.codePoints().toArray()) {
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            sb.appendCodePoint(cased ? (prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp)) : cp);
            prevCased = cased;
        }
        return sb.toString();
    }

    /** str.capitalize(): the first character upper-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(n).toLowerCase(Locale.ROOT);
    }
}
