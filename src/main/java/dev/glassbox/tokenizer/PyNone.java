package dev.glassbox.tokenizer;

import com.hubspot.jinjava.util.HasObjectTruthValue;

/**
 * A JSON null inside the messages, tools or extra arguments: Python's None, which Jinja2 keeps apart
 * from an undefined name. It is defined, false, {@code is none}, prints as "None" and is null in
 * {@code tojson}; Jinjava's own null stays the undefined value (prints nothing).
 */
final class PyNone implements HasObjectTruthValue {

    static final PyNone INSTANCE = new PyNone();

    private PyNone() {}

    @Override
    public boolean getObjectTruthValue() {
        return false;
    }

    @Override
    public String toString() {
        return "None";
    }

    /** {@code v} with every null inside its lists and maps replaced by {@link #INSTANCE}. */
    @SuppressWarnings("unchecked")
    static Object wrapNulls(Object v) {
        if (v == null) {
            return INSTANCE;
        }
        if (v instanceof java.util.Map<?, ?> m) {
            java.util.Map<Object, Object> out = new java.util.LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, wrapNulls(x)));
            return out;
        }
        if (v instanceof java.util.List<?> l) {
            java.util.List<Object> out = new java.util.ArrayList<>();
            l.forEach(x -> out.add(wrapNulls(x)));
            return out;
        }
        return v;
    }
}
