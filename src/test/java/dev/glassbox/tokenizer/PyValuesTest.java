package dev.glassbox.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Python semantics written out by hand (what CPython prints for the same calls). */
class PyValuesTest {

    @Test
    void jsonDumpsAsPython() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, true));
        m.put("a", null);
        m.put("é", "x\"y\n");
        // json.dumps(m, ensure_ascii=False)
        assertEquals("{\"b\": [1, true], \"a\": null, \"é\": \"x\\\"y\\n\"}", PyValues.jsonDumps(m, false, null, null, null, false));
        // json.dumps(m, indent=2, sort_keys=True, ensure_ascii=True)
        assertEquals("{\n  \"a\": null,\n  \"b\": [\n    1,\n    true\n  ],\n  \"\\u00e9\": \"x\\\"y\\n\"\n}",
                PyValues.jsonDumps(m, true, "  ", null, null, true));
        assertEquals("[]", PyValues.jsonDumps(List.of(), false, "    ", null, null, false));
        assertEquals("1e-05 0.5 1.0 1e+16", PyValues.pyFloat(1e-5) + " " + PyValues.pyFloat(0.5) + " "
                + PyValues.pyFloat(1.0) + " " + PyValues.pyFloat(1e16));
    }

    @Test
    void strAndRepr() {
        assertEquals("True", PyValues.str(true));
        assertEquals("['a', \"it's\", None, {'k': False}]", PyValues.str(java.util.Arrays.asList("a", "it's", null, Map.of("k", false))));
        assertEquals("None", PyValues.str(PyNone.INSTANCE));
    }

    @Test
    void stringMethods() {
        assertEquals(List.of("a", "b", "c"), PyStrings.call("  a b\n c ", "split", new Object[0]));
        assertEquals(List.of("a", "", "b"), PyStrings.call("a||b", "split", new Object[] {"|"}));
        assertEquals(List.of("a|b", "c"), PyStrings.call("a|b|c", "rsplit", new Object[] {"|", 1L}));
        assertEquals("hi", PyStrings.call("xxhixx", "strip", new Object[] {"x"}));
        assertEquals("hi", PyStrings.call("\u3000hi\t\n", "strip", new Object[0]));
        assertEquals(true, PyStrings.call("<think>x", "startswith", new Object[] {List.of("<a>", "<think>")}));
        assertEquals("They'Re Bill'S", PyStrings.title("they're bill's"));
        assertEquals("Abc", PyStrings.capitalize("aBC"));
        assertEquals("cba", PyStrings.call("abc", PyMethods.SLICE, new Object[] {null, null, -1L}));
        assertEquals("🦙b", PyStrings.call("a🦙b", PyMethods.SLICE, new Object[] {1L, null, null}));
    }
}
