package dev.glassbox.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites Jinja2 syntax that Jinjava parses differently into forms it parses as Jinja2 does. Only
 * code inside <code>{{ }}</code> and <code>{% %}</code> is touched, never string literals or text:
 * <ul>
 *   <li>unary {@code not} binds looser than comparisons, tests and filters in Jinja2
 *       ({@code not x is defined} is {@code not (x is defined)}); Jinjava binds it tighter, so its
 *       operand is parenthesised;
 *   <li>a keyword argument's value is parenthesised ({@code namespace(i=messages|length - 1)}),
 *       which Jinjava would otherwise cut at the filter;
 *   <li>slices {@code x[a:b:c]} (Qwen3's {@code messages[::-1]}, {@code messages[:n+1]}) become
 *       {@code x.glassbox_slice(a, b, c)}, which {@link PyMethods} evaluates as Python does;
 *   <li>one newline ending the source is dropped, as Jinja2 (keep_trailing_newline=False) drops it.
 * </ul>
 */
final class ChatTemplatePreprocessor {

    private static final Set<String> NOT_OPERAND_END = Set.of("and", "or", "if", "else", ",", ")", "]", "}");

    private ChatTemplatePreprocessor() {}

    /** A rewritten template and the conditions of its loop filters ({@code for x in xs if cond}). */
    record Result(String source, List<LoopFilter> loopFilters) {}

    /** The loop variables and the condition of one {@code for ... if cond}. */
    record LoopFilter(List<String> vars, String condition) {}

    static Result rewrite(String template) {
        // Jinja2 lexes with newlines normalised to \n and drops one newline ending the source.
        String t = template.replace("\r\n", "\n").replace('\r', '\n');
        if (t.endsWith("\n")) {
            t = t.substring(0, t.length() - 1);
        }
        List<LoopFilter> filters = new ArrayList<>();
        boolean neighbours = t.contains("previtem") || t.contains("nextitem");
        StringBuilder out = new StringBuilder(t.length() + 64);
        int textStart = 0; // where the current text chunk began in out
        boolean lineStart = true; // the chunk starts a line (template start or after a trimmed newline)
        int i = 0;
        int n = t.length();
        while (i < n) {
            boolean comment = t.startsWith("{#", i);
            boolean block = t.startsWith("{%", i);
            if (comment || block || t.startsWith("{{", i)) {
                String close = comment ? "#}" : block ? "%}" : "}}";
                int end = comment ? commentEnd(t, i + 2) : codeEnd(t, i + 2, close);
                String code = t.substring(i + 2, end);
                if ((comment || block) && !code.startsWith("-") && !code.startsWith("+")) {
                    lstrip(out, textStart, lineStart);
                }
                if (code.startsWith("+")) {
                    code = code.substring(1); // {%+ : no lstrip, Jinjava does not know the mark
                }
                boolean keepNewline = code.endsWith("+") || code.endsWith("-");
                if (code.endsWith("+")) {
                    code = code.substring(0, code.length() - 1);
                }
                out.append(t, i, i + 2).append(comment ? code : rewriteCode(code, block, filters, neighbours)).append(close);
                i = Math.min(n, end + 2);
                if (block && code.replace("-", "").trim().equals("raw")) {
                    // {% raw %} text is copied as it is, up to its {% endraw %}
                    int rawEnd = t.indexOf("endraw", i);
                    int tagStart = rawEnd < 0 ? -1 : t.lastIndexOf("{%", rawEnd);
                    if (tagStart >= i) {
                        out.append(t, i, tagStart);
                        i = tagStart;
                    }
                }
                lineStart = false;
                if ((comment || block) && !keepNewline && i < n && t.charAt(i) == '\n') {
                    i++; // trim_blocks: the first newline after a block or comment
                    lineStart = true;
                }
                textStart = out.length();
            } else {
                out.append(t.charAt(i));
                i++;
            }
        }
        return new Result(out.toString(), filters);
    }

    /** lstrip_blocks: spaces and tabs from the start of the line up to a block or comment go. */
    private static void lstrip(StringBuilder out, int textStart, boolean lineStart) {
        int nl = out.lastIndexOf("\n");
        int from = nl >= textStart ? nl + 1 : (lineStart ? textStart : -1);
        if (from < 0) {
            return;
        }
        for (int k = from; k < out.length(); k++) {
            if (out.charAt(k) != ' ' && out.charAt(k) != '\t') {
                return;
            }
        }
        out.setLength(from);
    }

    private static int commentEnd(String t, int from) {
        int end = t.indexOf("#}", from);
        return end < 0 ? t.length() : end;
    }

    /** Index of the closing delimiter of a code region, skipping string literals. */
    private static int codeEnd(String t, int from, String close) {
        int i = from;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(t, i);
            } else if (t.startsWith(close, i)) {
                return i;
            } else {
                i++;
            }
        }
        return t.length();
    }

    private static int stringEnd(String t, int start) {
        char q = t.charAt(start);
        int i = start + 1;
        while (i < t.length() && t.charAt(i) != q) {
            i += t.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(t.length(), i + 1);
    }

    /** Rewrites one code region, keeping its whitespace-control marks ({@code -}, {@code +}) in place. */
    static String rewriteCode(String code, boolean block, List<LoopFilter> filters, boolean neighbours) {
        int lo = 0;
        int hi = code.length();
        if (hi > 0 && (code.charAt(0) == '-' || code.charAt(0) == '+')) {
            lo = 1;
        }
        if (hi > lo && (code.charAt(hi - 1) == '-' || code.charAt(hi - 1) == '+')) {
            hi--;
        }
        List<String> toks = tokenize(code.substring(lo, hi));
        if (block) {
            toks = loopFilter(toks, filters);
            if (neighbours) {
                toks = neighbourLoop(toks);
            }
            int first = next(toks, -1);
            if (first < toks.size() && toks.get(first).equals("macro")) {
                // a macro's parameter defaults stay as written: Jinjava's macro tag parses them itself
                return code;
            }
        }
        return code.substring(0, lo) + String.join("", transform(toks)) + code.substring(hi);
    }

    private static List<String> tokenize(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int j;
            if (Character.isWhitespace(c)) {
                j = i;
                while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
            } else if (c == '\'' || c == '"') {
                j = stringEnd(s, i);
            } else if (Character.isLetter(c) || c == '_') {
                j = i;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                    j++;
                }
            } else if (Character.isDigit(c)) {
                j = i;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.')) {
                    j++;
                }
            } else if (i + 1 < s.length() && Set.of("==", "!=", "<=", ">=", "//", "**").contains(s.substring(i, i + 2))) {
                j = i + 2;
            } else {
                j = i + 1;
            }
            out.add(s.substring(i, j));
            i = j;
        }
        return out;
    }

    private static boolean blank(String tok) {
        return tok.isBlank();
    }

    private static int next(List<String> t, int i) {
        int k = i + 1;
        while (k < t.size() && blank(t.get(k))) {
            k++;
        }
        return k;
    }

    private static int prev(List<String> t, int i) {
        int k = i - 1;
        while (k >= 0 && blank(t.get(k))) {
            k--;
        }
        return k;
    }

    private static boolean opens(String tok) {
        return tok.equals("(") || tok.equals("[") || tok.equals("{");
    }

    private static boolean closes(String tok) {
        return tok.equals(")") || tok.equals("]") || tok.equals("}");
    }

    private static boolean isValueEnd(String tok) {
        char c = tok.charAt(tok.length() - 1);
        return Character.isLetterOrDigit(c) || c == '_' || c == ')' || c == ']' || c == '\'' || c == '"';
    }

    /** Index of the bracket closing the one at {@code open}. */
    private static int matching(List<String> t, int open) {
        int depth = 0;
        for (int k = open; k < t.size(); k++) {
            if (opens(t.get(k))) {
                depth++;
            } else if (closes(t.get(k))) {
                if (--depth == 0) {
                    return k;
                }
            }
        }
        return t.size();
    }

    private static List<String> transform(List<String> t) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < t.size()) {
            String tok = t.get(i);
            if ((tok.equals("strftime_now") || tok.equals("raise_exception")) && next(t, i) < t.size()
                    && t.get(next(t, i)).equals("is")) {
                // Jinjava's functions are not variables: "strftime_now is defined" is decided here
                int k = next(t, next(t, i));
                boolean negated = k < t.size() && t.get(k).equals("not");
                if (negated) {
                    k = next(t, k);
                }
                if (k < t.size() && (t.get(k).equals("defined") || t.get(k).equals("undefined"))) {
                    out.add(negated == t.get(k).equals("defined") ? "false" : "true");
                    i = k + 1;
                    continue;
                }
            }
            if ((tok.equals("==") || tok.equals("!=")) && next(t, i) < t.size()
                    && (t.get(next(t, i)).equals("none") || t.get(next(t, i)).equals("None"))) {
                // "x == none" is "x is none": Python's None (PyNone) is not Jinjava's null
                out.add(tok.equals("==") ? " is " : " is not ");
                i++;
                continue;
            }
            if ((tok.equals("+") || tok.equals("-")) && prev(t, i) >= 0 && isValueEnd(t.get(prev(t, i)))
                    && !isKeyword(t.get(prev(t, i)))) {
                out.add(" " + tok + " "); // Jinjava misreads "x+1" in call arguments
                i++;
                continue;
            }
            if (tok.equals("(") && !(prev(t, i) >= 0 && isValueEnd(t.get(prev(t, i))) && !isKeyword(t.get(prev(t, i))))) {
                // "({...})": Jinjava reads a parenthesised dict as a one-item tuple
                int close = matching(t, i);
                int a = next(t, i);
                if (close < t.size() && a < close && t.get(a).equals("{") && matching(t, a) == prev(t, close)) {
                    out.addAll(transform(new ArrayList<>(t.subList(a, close))));
                    i = close + 1;
                    continue;
                }
            }
            if (tok.equals("[") && prev(t, i) >= 0 && isValueEnd(t.get(prev(t, i))) && !isKeyword(t.get(prev(t, i)))) {
                int close = matching(t, i);
                List<List<String>> parts = splitTopLevel(t.subList(i + 1, Math.min(close, t.size())), ":");
                if (close < t.size() && parts.size() >= 2 && parts.size() <= 3) {
                    out.add("." + PyMethods.SLICE + "(");
                    for (int k = 0; k < 3; k++) {
                        String part = k < parts.size() ? String.join("", transform(parts.get(k))).trim() : "";
                        out.add((k > 0 ? ", " : "") + (part.isEmpty() ? "none" : part));
                    }
                    out.add(")");
                    i = close + 1;
                    continue;
                }
            }
            if (tok.equals("(") && prev(t, i) >= 0 && isValueEnd(t.get(prev(t, i))) && !isKeyword(t.get(prev(t, i)))) {
                // a call: parenthesise each keyword argument's value
                int close = matching(t, i);
                List<List<String>> args = splitTopLevel(t.subList(i + 1, Math.min(close, t.size())), ",");
                out.add("(");
                for (int a = 0; a < args.size(); a++) {
                    List<String> arg = args.get(a);
                    int eq = -1;
                    int first = next(arg, -1);
                    if (first < arg.size() && Character.isLetter(arg.get(first).charAt(0)) || first < arg.size() && arg.get(first).startsWith("_")) {
                        int second = next(arg, first);
                        if (second < arg.size() && arg.get(second).equals("=")) {
                            eq = second;
                        }
                    }
                    if (a > 0) {
                        out.add(",");
                    }
                    if (eq >= 0) {
                        out.addAll(arg.subList(0, eq + 1));
                        out.add("(");
                        out.addAll(transform(new ArrayList<>(arg.subList(eq + 1, arg.size()))));
                        out.add(")");
                    } else {
                        out.addAll(transform(new ArrayList<>(arg)));
                    }
                }
                if (close < t.size()) {
                    out.add(")");
                }
                i = close + 1;
                continue;
            }
            if (tok.equals("not") && !(prev(t, i) >= 0 && t.get(prev(t, i)).equals("is"))
                    && !(next(t, i) < t.size() && t.get(next(t, i)).equals("in"))) {
                int end = notOperandEnd(t, i + 1);
                out.add("not (");
                out.addAll(transform(new ArrayList<>(t.subList(i + 1, end))));
                out.add(")");
                i = end;
                continue;
            }
            out.add(tok);
            i++;
        }
        return out;
    }

    /**
     * {@code for x in xs if cond}: Jinjava has no loop filter, so the iterable becomes
     * {@code (xs)|glassbox_where(k)}, which keeps the items for which the k-th condition holds
     * (loop.index and loop.last then count the kept items, as in Jinja2).
     */
    private static List<String> loopFilter(List<String> t, List<LoopFilter> filters) {
        int first = next(t, -1);
        if (first >= t.size() || !t.get(first).equals("for")) {
            return t;
        }
        int in = -1;
        for (int k = first + 1; k < t.size(); k++) {
            if (t.get(k).equals("in")) {
                in = k;
                break;
            }
        }
        if (in < 0) {
            return t;
        }
        int depth = 0;
        int cond = -1;
        for (int k = in + 1; k < t.size(); k++) {
            String tok = t.get(k);
            if (opens(tok)) {
                depth++;
            } else if (closes(tok)) {
                depth--;
            } else if (depth == 0 && tok.equals("if")) {
                cond = k;
                break;
            }
        }
        if (cond < 0) {
            return t;
        }
        List<String> vars = new ArrayList<>();
        for (String tok : t.subList(first + 1, in)) {
            if (!blank(tok) && !tok.equals(",") && !tok.equals("(") && !tok.equals(")")) {
                vars.add(tok);
            }
        }
        int end = t.size();
        int rec = prev(t, t.size());
        if (rec > cond && t.get(rec).equals("recursive")) {
            end = rec;
        }
        String condition = String.join("", transform(new ArrayList<>(t.subList(cond + 1, end)))).trim();
        filters.add(new LoopFilter(vars, condition));
        List<String> out = new ArrayList<>(t.subList(0, in + 1));
        out.add(" (");
        out.addAll(t.subList(in + 1, cond));
        out.add(")|glassbox_where(" + (filters.size() - 1) + ") ");
        out.addAll(t.subList(end, t.size()));
        return out;
    }

    /** {@code for x in xs} becomes {@code for x in (xs)|glassbox_loop}, whose list lets loop.previtem be found. */
    private static List<String> neighbourLoop(List<String> t) {
        int first = next(t, -1);
        if (first >= t.size() || !t.get(first).equals("for")) {
            return t;
        }
        int in = t.indexOf("in");
        if (in < 0) {
            return t;
        }
        int end = t.size();
        int rec = prev(t, t.size());
        if (rec > in && t.get(rec).equals("recursive")) {
            end = rec;
        }
        List<String> out = new ArrayList<>(t.subList(0, in + 1));
        out.add(" (");
        out.addAll(t.subList(in + 1, end));
        out.add(")|glassbox_loop ");
        out.addAll(t.subList(end, t.size()));
        return out;
    }

    private static boolean isKeyword(String tok) {
        return Set.of("in", "and", "or", "not", "if", "else", "is", "return").contains(tok);
    }

    /** Where the operand of a unary not ends: at and/or/if/else, a comma or a closing bracket. */
    private static int notOperandEnd(List<String> t, int from) {
        int depth = 0;
        for (int k = from; k < t.size(); k++) {
            String tok = t.get(k);
            if (opens(tok)) {
                depth++;
            } else if (closes(tok)) {
                if (depth == 0) {
                    return k;
                }
                depth--;
            } else if (depth == 0 && NOT_OPERAND_END.contains(tok)) {
                return k;
            }
        }
        return t.size();
    }

    private static List<List<String>> splitTopLevel(List<String> t, String sep) {
        List<List<String>> parts = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        int depth = 0;
        for (String tok : t) {
            if (opens(tok)) {
                depth++;
            } else if (closes(tok)) {
                depth--;
            }
            if (depth == 0 && tok.equals(sep)) {
                parts.add(cur);
                cur = new ArrayList<>();
            } else {
                cur.add(tok);
            }
        }
        parts.add(cur);
        return parts;
    }
}
