package dev.glassbox.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/** JSON output for the CLI: one object, floats in shortest round-trip form. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode longs(ArrayNode a, long[] values) {
        for (long v : values) {
            a.add(v);
        }
        return a;
    }

    static ArrayNode floats(ArrayNode a, float[] values) {
        for (float v : values) {
            a.add(v);
        }
        return a;
    }

    static void print(PrintStream out, ObjectNode node, boolean pretty) {
        try {
            String s = pretty
                    ? MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node)
                    : MAPPER.writer().without(JsonGenerator.Feature.ESCAPE_NON_ASCII).writeValueAsString(node);
            out.println(s);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
