package dev.glassbox.explore;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The explorer's JSON: snake_case field names, strict reading (unknown fields, trailing data, a
 * float where an integer belongs or a string where a number belongs are errors), and every
 * parsing problem turned into an {@link ApiError} that names the field.
 */
final class ApiJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS) // masked scores are -Infinity
            .build();

    private ApiJson() {}

    /** Reads a request body into {@code type}; an empty body reads as {@code {}}. */
    static <T> T read(byte[] body, Class<T> type) {
        byte[] json = body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank() ? "{}".getBytes() : body;
        try {
            return MAPPER.readValue(json, type);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw ApiError.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "' (this endpoint reads: " + known + ")");
        } catch (MismatchedInputException e) {
            String field = field(e);
            if (field.isEmpty()) {
                throw ApiError.badRequest("bad_json", "the body must be one JSON object");
            }
            throw ApiError.badRequest("bad_field", "field '" + field + "' must be " + expected(e.getTargetType()));
        } catch (JsonParseException e) {
            throw ApiError.badRequest("bad_json", "the body is not valid JSON: " + e.getOriginalMessage().split("\n")[0]
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (JsonMappingException e) {
            String field = field(e);
            Throwable cause = e.getCause() instanceof ApiError ? e.getCause() : null;
            if (cause != null) {
                throw (ApiError) cause;
            }
            throw ApiError.badRequest("bad_field", (field.isEmpty() ? "the body" : "field '" + field + "'") + " cannot be read: "
                    + e.getOriginalMessage().split("\n")[0]);
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("bad_json", "the body cannot be read: " + e.getMessage());
        }
    }

    /** The value as compact JSON bytes. */
    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the response as JSON", e);
        }
    }

    /** The error as the body every refusal has. */
    static byte[] error(ApiError e) {
        return write(Map.of("error", Map.of("status", e.status(), "code", e.code(), "message", e.getMessage())));
    }

    private static String field(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == long[].class) {
            return "an array of integers";
        }
        return "of another type";
    }
}
