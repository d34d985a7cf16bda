package dev.glassbox.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import dev.glassbox.GlassboxException;
import java.time.ZonedDateTime;
import java.util.AbstractMap;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * The Jinja environment transformers renders chat templates in, on Jinjava: trim_blocks and
 * lstrip_blocks on, {@code raise_exception}, {@code strftime_now}, transformers' {@code tojson}
 * (Python's json.dumps, not HTML-escaped), the {@code {% generation %}} block, Python's str
 * methods, extended slices ({@code messages[::-1]}) and Python's printing of values (True, None,
 * ['a']). Where Jinjava cannot render a construct the error names it.
 */
final class ChatJinja {

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** The clock strftime_now reads; tests fix it. */
    static volatile java.time.Clock clock = java.time.Clock.systemDefaultZone();

    private final Jinjava jinjava;

    ChatJinja() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // trim_blocks and lstrip_blocks are applied by ChatTemplatePreprocessor, as Jinja2's
                // lexer applies them (Jinjava also strips before a tag that does not start a line)
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withNestedInterpretationEnabled(false) // message text holding "{{" is text, not template
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .withDefaultKeepTrailingNewlineBehavior(true) // output kept whole; the source newline goes in preprocessing
                        .build())
                .withElResolver(resolver)
                .withInterperterFactory(new PyInterpreterFactory())
                .withMaxRenderDepth(10)
                .build();
        jinjava = new Jinjava(config);
        Context g = jinjava.getGlobalContext();
        g.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatJinja.class, "raiseException", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatJinja.class, "strftimeNow", String.class));
        g.registerTag(new GenerationTag());
        g.registerFilter(new ToJson());
        g.registerFilter(new PyFilter("trim", (v, a, kw) -> PyStrings.strip(PyValues.str(v), a.length > 0 ? PyValues.str(a[0]) : null, true, true)));
        g.registerFilter(new PyFilter("capitalize", (v, a, kw) -> PyStrings.capitalize(PyValues.str(v))));
        g.registerFilter(new PyFilter("title", (v, a, kw) -> PyStrings.title(PyValues.str(v))));
        g.registerFilter(new PyFilter("string", (v, a, kw) -> PyValues.str(v)));
        g.registerFilter(new PyFilter("items", (v, a, kw) -> items(v)));
        g.registerFilter(new PyFilter("indent", ChatJinja::indent));
        g.registerFilter(new LoopWhere());
        g.registerFilter(new PyFilter("glassbox_loop", (v, a, kw) -> new PyMethods.LoopList(
                v instanceof Map<?, ?> m ? m.keySet() : PyStrings.iterable(v == null ? List.of() : v))));
        g.registerExpTest(new PyTest("none", v -> v == null || v instanceof PyNone));
        g.registerExpTest(new PyTest("iterable", v -> v instanceof String || v instanceof Iterable || v instanceof Map));
        g.registerExpTest(new PyTest("sequence", v -> v instanceof String || v instanceof List || v instanceof Map));
    }

    /** Renders {@code template} over {@code context}; a GlassboxException if it raises or cannot be rendered. */
    String render(String template, Map<String, Object> context) {
        ChatTemplatePreprocessor.Result pre = ChatTemplatePreprocessor.rewrite(template);
        Map<String, Object> ctx = new HashMap<>(context);
        ctx.put(LoopWhere.FILTERS, pre.loopFilters());
        RAISED.remove();
        RenderResult result;
        try {
            result = jinjava.renderForResult(pre.source(), ctx);
        } catch (RuntimeException e) {
            throw raisedOr(new GlassboxException("chat template cannot be rendered: " + e.getMessage(), e));
        }
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) {
            throw new GlassboxException("chat template raised an error: " + raised);
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new GlassboxException("chat template uses a construct glassbox cannot render: "
                        + (e.getFieldName() == null ? "" : "'" + e.getFieldName() + "': ")
                        + e.getMessage() + (e.getLineno() > 0 ? " (template line " + e.getLineno() + ")" : ""));
            }
        }
        return result.getOutput();
    }

    private static GlassboxException raisedOr(GlassboxException other) {
        String raised = RAISED.get();
        RAISED.remove();
        return raised != null ? new GlassboxException("chat template raised an error: " + raised) : other;
    }

    /** The template's {@code raise_exception(message)}: remembered, and rendering fails with it. */
    public static String raiseException(Object message) {
        String msg = PyValues.str(message);
        if (RAISED.get() == null) {
            RAISED.set(msg);
        }
        throw new IllegalStateException(msg);
    }

    /** transformers' {@code strftime_now(format)}: the local time now, in Python's strftime format. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(clock), format);
    }

    /** Jinja2's indent(s, width=4, first=False, blank=False). */
    private static String indent(Object v, Object[] a, Map<String, Object> kw) {
        Object width = kw.containsKey("width") ? kw.get("width") : a.length > 0 ? a[0] : 4L;
        boolean first = PyValues.truthy(kw.containsKey("first") ? kw.get("first") : a.length > 1 ? a[1] : false);
        boolean blank = PyValues.truthy(kw.containsKey("blank") ? kw.get("blank") : a.length > 2 ? a[2] : false);
        String ind = width instanceof Number n ? " ".repeat(n.intValue()) : PyValues.str(width);
        List<String> lines = PyStrings.splitlinesOf(PyValues.str(v) + "\n");
        StringBuilder rv = new StringBuilder();
        if (blank) {
            rv.append(String.join("\n" + ind, lines));
        } else {
            rv.append(lines.isEmpty() ? "" : lines.get(0));
            for (int k = 1; k < lines.size(); k++) {
                rv.append('\n').append(lines.get(k).isEmpty() ? "" : ind + lines.get(k));
            }
        }
        return first ? ind + rv : rv.toString();
    }

    private static List<Object> items(Object v) {
        List<Object> out = new ArrayList<>();
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    /** Prints values as Python's str() does (True, None inside containers, ['a', 1]). */
    static final class PyInterpreter extends JinjavaInterpreter {
        PyInterpreter(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        PyInterpreter(JinjavaInterpreter orig) {
            super(orig);
        }

        @Override
        public String getAsString(Object object) {
            return object instanceof String s ? s : PyValues.str(object);
        }
    }

    static final class PyInterpreterFactory implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PyInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig renderConfig) {
            return new PyInterpreter(application, context, renderConfig);
        }
    }

    /** {@code {% generation %}…{% endgeneration %}}: marks the assistant's tokens; renders its body. */
    static final class GenerationTag implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder sb = new StringBuilder();
            try (JinjavaInterpreter.InterpreterScopeClosable c = interpreter.enterScope()) {
                for (Node child : tagNode.getChildren()) {
                    sb.append(child.render(interpreter).getValue());
                }
            }
            return sb.toString();
        }
    }

    /** transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False). */
    static final class ToJson implements AdvancedFilter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 1 ? args[1] : null);
            Object ascii = kwargs.containsKey("ensure_ascii") ? kwargs.get("ensure_ascii") : (args.length > 0 ? args[0] : null);
            Object seps = kwargs.containsKey("separators") ? kwargs.get("separators") : (args.length > 2 ? args[2] : null);
            Object sort = kwargs.containsKey("sort_keys") ? kwargs.get("sort_keys") : (args.length > 3 ? args[3] : null);
            String indentStr = null;
            if (indent instanceof Number n) {
                indentStr = " ".repeat(Math.max(0, n.intValue()));
            } else if (indent instanceof String s) {
                indentStr = s;
            }
            String itemSep = null;
            String keySep = null;
            if (seps instanceof List<?> l && l.size() == 2) {
                itemSep = PyValues.str(l.get(0));
                keySep = PyValues.str(l.get(1));
            }
            return PyValues.jsonDumps(var, PyValues.truthy(ascii), indentStr, itemSep, keySep, PyValues.truthy(sort));
        }
    }

    /** {@code (xs)|glassbox_where(k)}: the items of a {@code for ... in xs if cond} loop that pass cond k. */
    static final class LoopWhere implements AdvancedFilter {
        static final String FILTERS = "glassbox_loop_filters";

        @Override
        public String getName() {
            return "glassbox_where";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            @SuppressWarnings("unchecked")
            List<ChatTemplatePreprocessor.LoopFilter> filters =
                    (List<ChatTemplatePreprocessor.LoopFilter>) interpreter.getContext().get(FILTERS);
            ChatTemplatePreprocessor.LoopFilter f = filters.get(((Number) args[0]).intValue());
            List<Object> kept = new ArrayList<>();
            Iterable<?> items = var instanceof Map<?, ?> m ? m.keySet() : PyStrings.iterable(var == null ? List.of() : var);
            for (Object item : items) {
                try (JinjavaInterpreter.InterpreterScopeClosable c = interpreter.enterScope()) {
                    bind(interpreter, f.vars(), item);
                    if (PyValues.truthy(interpreter.resolveELExpression(f.condition(), interpreter.getLineNumber()))) {
                        kept.add(item);
                    }
                }
            }
            return kept;
        }

        private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object item) {
            if (vars.size() == 1) {
                interpreter.getContext().put(vars.get(0), item);
                return;
            }
            List<Object> values = new ArrayList<>();
            if (item instanceof Map.Entry<?, ?> e) {
                values.add(e.getKey());
                values.add(e.getValue());
            } else if (item instanceof List<?> l) {
                values.addAll(l);
            }
            for (int k = 0; k < vars.size(); k++) {
                interpreter.getContext().put(vars.get(k), k < values.size() ? values.get(k) : null);
            }
        }
    }

    /** A test with Python's meaning where Jinjava's differs (a str is iterable and a sequence). */
    static final class PyTest implements ExpTest {
        private final String name;
        private final java.util.function.Predicate<Object> test;

        PyTest(String name, java.util.function.Predicate<Object> test) {
            this.name = name;
            this.test = test;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return test.test(var);
        }
    }

    /** A filter with Python's semantics where Jinjava's own differs. */
    static final class PyFilter implements AdvancedFilter {
        interface Fn {
            Object apply(Object value, Object[] args, Map<String, Object> kwargs);
        }

        private final String name;
        private final Fn fn;

        PyFilter(String name, Fn fn) {
            this.name = name;
            this.fn = fn;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            return fn.apply(var, args, kwargs);
        }
    }
}
