package dev.glassbox.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import com.hubspot.jinjava.util.ForLoop;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python methods chat templates call on strings, lists and dicts ({@code content.strip()},
 * {@code .startswith()}, {@code .split()}, {@code messages[::-1]}), with Python's
 * semantics. Jinjava would otherwise call the Java method of that name (String.split takes a regex)
 * or fail. Placed first in Jinjava's resolver chain; it resolves only the calls it knows.
 */
final class PyMethods extends ELResolver {

    /** The method the template preprocessor writes for an extended slice {@code x[a:b:c]}. */
    static final String SLICE = "glassbox_slice";

    private static final Set<String> STRING_METHODS = Set.of(
            "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "upper",
            "lower", "title", "capitalize", "swapcase", "replace", "find", "rfind", "index", "rindex", "count",
            "join", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal",
            "removeprefix", "removesuffix", "zfill", "center", "ljust", "rjust", "partition", "rpartition", SLICE);

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        String name = method.toString();
        Object[] p = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s && STRING_METHODS.contains(name)) {
            result = PyStrings.call(s, name, p);
        } else if (base instanceof List<?> list && (name.equals(SLICE) || name.equals("index") || name.equals("count"))) {
            result = listMethod(list, name, p);
        } else {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static Object listMethod(List<?> list, String name, Object[] p) {
        switch (name) {
            case "index": {
                int i = list.indexOf(p[0]);
                if (i < 0) {
                    throw new IllegalStateException(PyValues.repr(p[0]) + " is not in list");
                }
                return (long) i;
            }
            case "count":
                return list.stream().filter(o -> java.util.Objects.equals(o, p[0])).count();
            default: {
                List<Object> out = new ArrayList<>();
                for (int i : sliceIndices(list.size(), p)) {
                    out.add(list.get(i));
                }
                return out;
            }
        }
    }

    /** Python's slice(start, stop, step).indices(n), as the list of chosen positions. */
    static int[] sliceIndices(int n, Object[] p) {
        Integer start = p.length > 0 ? toInt(p[0]) : null;
        Integer stop = p.length > 1 ? toInt(p[1]) : null;
        int step = p.length > 2 && p[2] != null ? toInt(p[2]) : 1;
        if (step == 0) {
            throw new IllegalStateException("slice step cannot be zero");
        }
        int lo;
        int hi;
        if (step > 0) {
            lo = start == null ? 0 : clamp(start < 0 ? start + n : start, 0, n);
            hi = stop == null ? n : clamp(stop < 0 ? stop + n : stop, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(start < 0 ? start + n : start, -1, n - 1);
            hi = stop == null ? -1 : clamp(stop < 0 ? stop + n : stop, -1, n - 1);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = lo; step > 0 ? i < hi : i > hi; i += step) {
            out.add(i);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static Integer toInt(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Number n) {
            return n.intValue();
        }
        return Integer.parseInt(o.toString().trim().toLowerCase(Locale.ROOT));
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof ForLoop loop && ("previtem".equals(property) || "nextitem".equals(property))) {
            context.setPropertyResolved(true);
            List<?> items = LoopList.of(loop);
            int k = loop.getIndex0() + ("previtem".equals(property) ? -1 : 1);
            return items != null && k >= 0 && k < items.size() ? items.get(k) : null;
        }
        return null;
    }

    /** The list a loop runs over, kept so that loop.previtem and loop.nextitem can be read. */
    static final class LoopList extends ArrayList<Object> {
        LoopList(Iterable<?> items) {
            items.forEach(this::add);
        }

        @Override
        public Iterator<Object> iterator() {
            return new LoopIterator(this);
        }

        /** The list behind {@code loop}, if it runs over a LoopList; read from ForLoop's iterator. */
        static List<?> of(ForLoop loop) {
            try {
                java.lang.reflect.Field f = ForLoop.class.getDeclaredField("it");
                f.setAccessible(true);
                return f.get(loop) instanceof LoopIterator li ? li.list : null;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
    }

    private static final class LoopIterator implements Iterator<Object> {
        final List<Object> list;
        private int next;

        LoopIterator(List<Object> list) {
            this.list = list;
        }

        @Override
        public boolean hasNext() {
            return next < list.size();
        }

        @Override
        public Object next() {
            return list.get(next++);
        }
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
