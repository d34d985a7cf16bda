package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.GlassboxException;
import java.util.ArrayList;
import java.util.List;

/**
 * Strict reads from a config.json object: a key that is absent (or JSON null, as transformers
 * writes unset options) takes the default, but a value that is present and of the wrong kind or
 * out of range is an error naming the key, the value and what was expected. Nothing invalid is
 * silently replaced by a default.
 */
public final class ConfigReader {

    /** The largest width, head count, vocabulary or layer size accepted (2^24). */
    public static final int MAX_SIZE = 1 << 24;
    /** The longest context accepted (2^30 positions). */
    public static final int MAX_POSITIONS = 1 << 30;

    private final JsonNode node;
    private final String file;
    private final String prefix;

    /**
     * @param node the object read
     * @param file the file named in errors
     * @param prefix written before keys in errors ("rope_scaling." for a nested object), or ""
     */
    public ConfigReader(JsonNode node, String file, String prefix) {
        this.node = node;
        this.file = file;
        this.prefix = prefix;
    }

    public static ConfigReader of(JsonNode config, String file) {
        return new ConfigReader(config, file, "");
    }

    /** A reader of another object from the same file. */
    public ConfigReader with(JsonNode other, String otherPrefix) {
        return new ConfigReader(other, file, otherPrefix);
    }

    public JsonNode node() {
        return node;
    }

    /** True when {@code key} is present with a non-null value. */
    public boolean has(String key) {
        JsonNode n = node.get(key);
        return n != null && !n.isNull();
    }

    /** True when {@code key} is written with the value null (which may differ from absent). */
    public boolean isNull(String key) {
        JsonNode n = node.get(key);
        return n != null && n.isNull();
    }

    /** A nested object, or null when absent; an error when present but not an object. */
    public ConfigReader object(String key) {
        if (!has(key)) {
            return null;
        }
        JsonNode n = node.get(key);
        if (!n.isObject()) {
            throw invalid(key, n, "an object");
        }
        return new ConfigReader(n, file, prefix + key + ".");
    }

    public GlassboxException invalid(String key, JsonNode value, String expected) {
        String shown = value.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, 57) + "...";
        }
        return new GlassboxException(file + ": '" + prefix + key + "' is " + shown + "; expected " + expected);
    }

    public GlassboxException error(String message) {
        return new GlassboxException(file + ": " + message);
    }

    /** A required size: a whole number in [1, {@link #MAX_SIZE}]. */
    public int size(String key) {
        if (!has(key)) {
            throw new GlassboxException(file + ": missing '" + prefix + key + "' (expected a positive integer)");
        }
        return intIn(key, 1, MAX_SIZE);
    }

    /** An optional size, or {@code fallback} when absent. */
    public int size(String key, int fallback) {
        return has(key) ? intIn(key, 1, MAX_SIZE) : fallback;
    }

    /** An optional size, or null when absent. */
    public Integer optSize(String key) {
        return has(key) ? intIn(key, 1, MAX_SIZE) : null;
    }

    /** An optional whole number in [min, max], or {@code fallback} when absent. */
    public int intIn(String key, long min, long max, int fallback) {
        return has(key) ? intIn(key, min, max) : fallback;
    }

    /** A required whole number in [min, max]. */
    public int intIn(String key, long min, long max) {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) {
            throw new GlassboxException(file + ": missing '" + prefix + key + "' (expected an integer from " + min + " to " + max + ")");
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw invalid(key, n, "an integer from " + min + " to " + max);
        }
        return (int) n.asLong();
    }

    /** An optional token id (a non-negative integer), or null when absent. */
    public Long optId(String key) {
        if (!has(key)) {
            return null;
        }
        JsonNode n = node.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw invalid(key, n, "a non-negative integer token id");
        }
        return n.asLong();
    }

    /** A token id or a list of them (eos_token_id); empty when absent. */
    public List<Long> ids(String key) {
        List<Long> ids = new ArrayList<>();
        if (!has(key)) {
            return ids;
        }
        JsonNode n = node.get(key);
        for (JsonNode x : n.isArray() ? n : List.of(n)) {
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.asLong() < 0) {
                throw invalid(key, n, "a non-negative integer token id or a list of them");
            }
            ids.add(x.asLong());
        }
        return ids;
    }

    /** A finite number in (lowExclusive, high], or {@code fallback} when absent. */
    public double number(String key, double fallback, double lowExclusive, double high) {
        return has(key) ? number(key, lowExclusive, high) : fallback;
    }

    /** A required finite number in (lowExclusive, high]. */
    public double number(String key, double lowExclusive, double high) {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) {
            throw new GlassboxException(file + ": missing '" + prefix + key + "' (expected a number)");
        }
        double v = n.asDouble();
        if (!n.isNumber() || !Double.isFinite(v) || v <= lowExclusive || v > high) {
            throw invalid(key, n, "a number greater than " + trim(lowExclusive) + " and at most " + trim(high));
        }
        return v;
    }

    /** An optional number in (lowExclusive, high], or null when absent. */
    public Double optNumber(String key, double lowExclusive, double high) {
        return has(key) ? number(key, lowExclusive, high) : null;
    }

    public boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode n = node.get(key);
        if (!n.isBoolean()) {
            throw invalid(key, n, "true or false");
        }
        return n.asBoolean();
    }

    public String string(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode n = node.get(key);
        if (!n.isTextual()) {
            throw invalid(key, n, "a string");
        }
        return n.asText();
    }

    /** A list of {@code count} numbers in (lowExclusive, high]. */
    public List<Double> numbers(String key, int count, double lowExclusive, double high) {
        JsonNode n = node.get(key);
        String what = "a list of " + count + " numbers greater than " + trim(lowExclusive);
        if (n == null || n.isNull()) {
            throw new GlassboxException(file + ": missing '" + prefix + key + "' (expected " + what + ")");
        }
        if (!n.isArray() || n.size() != count) {
            throw invalid(key, n, what);
        }
        List<Double> out = new ArrayList<>();
        for (JsonNode x : n) {
            double v = x.asDouble();
            if (!x.isNumber() || !Double.isFinite(v) || v <= lowExclusive || v > high) {
                throw invalid(key, n, what);
            }
            out.add(v);
        }
        return out;
    }

    /** A list of strings drawn from {@code allowed}, of length {@code count}. */
    public List<String> strings(String key, int count, List<String> allowed) {
        JsonNode n = node.get(key);
        String what = "a list of " + count + " of " + allowed;
        if (!n.isArray() || n.size() != count) {
            throw invalid(key, n, what);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode x : n) {
            if (!x.isTextual() || !allowed.contains(x.asText())) {
                throw invalid(key, n, what);
            }
            out.add(x.asText());
        }
        return out;
    }

    private static String trim(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
