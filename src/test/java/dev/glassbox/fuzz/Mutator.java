package dev.glassbox.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Seeded mutations of JSON documents and bytes, the kinds a hostile or broken file holds: values
 * replaced by huge, negative, fractional, wrong-typed or absurd ones, keys removed, text cut or
 * flipped, junk appended.
 */
final class Mutator {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Random random;

    Mutator(long seed) {
        this.random = new Random(seed);
    }

    Random random() {
        return random;
    }

    /** A value from the palette of troublemakers. */
    JsonNode oddValue() {
        return switch (random.nextInt(22)) {
            case 0 -> F.numberNode(-1);
            case 1 -> F.numberNode(0);
            case 2 -> F.numberNode(2_000_000_000L);
            case 3 -> F.numberNode(Integer.MAX_VALUE);
            case 4 -> F.numberNode(1L << 62);
            case 5 -> F.numberNode(new BigInteger("18446744073709551616"));
            case 6 -> F.numberNode(512.5);
            case 7 -> F.numberNode(1e308);
            case 8 -> F.numberNode(-1e-9);
            case 9 -> F.textNode("abc");
            case 10 -> F.textNode("");
            case 11 -> F.nullNode();
            case 12 -> F.booleanNode(true);
            case 13 -> F.arrayNode();
            case 14 -> F.objectNode();
            case 15 -> F.textNode("x".repeat(1 + random.nextInt(5000)));
            case 16 -> F.numberNode(100_000_000);
            case 17 -> F.numberNode(random.nextInt(1000));
            case 18 -> F.arrayNode().add(-5).add(1L << 40);
            case 19 -> F.textNode("<zz>");
            case 20 -> F.numberNode(Double.MIN_VALUE);
            default -> F.numberNode(3);
        };
    }

    /** A deep copy of {@code doc} with 1 to 3 nodes replaced, removed or duplicated. */
    JsonNode mutate(JsonNode doc) {
        JsonNode copy = doc.deepCopy();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            List<JsonNode> containers = new ArrayList<>();
            collect(copy, containers);
            JsonNode target = containers.get(random.nextInt(containers.size()));
            if (target instanceof ObjectNode o && o.size() > 0) {
                List<String> keys = new ArrayList<>();
                o.fieldNames().forEachRemaining(keys::add);
                String key = keys.get(random.nextInt(keys.size()));
                switch (random.nextInt(6)) {
                    case 0 -> o.remove(key);
                    case 1 -> o.set(key + (random.nextBoolean() ? "_" : ""), oddValue());
                    default -> o.set(key, oddValue());
                }
            } else if (target instanceof ArrayNode a && a.size() > 0) {
                int idx = random.nextInt(a.size());
                switch (random.nextInt(4)) {
                    case 0 -> a.remove(idx);
                    case 1 -> a.add(a.get(idx).deepCopy());
                    default -> a.set(idx, oddValue());
                }
            }
        }
        return copy;
    }

    /** Objects and arrays in {@code node}, sampled so that huge vocabularies do not dominate. */
    private void collect(JsonNode node, List<JsonNode> out) {
        if (!node.isContainerNode()) {
            return;
        }
        out.add(node);
        int seen = 0;
        for (Iterator<JsonNode> it = node.elements(); it.hasNext() && seen < 40; seen++) {
            collect(it.next(), out);
        }
    }

    /** Text-level damage: cut, a flipped byte, junk appended, or a key repeated. */
    byte[] damageText(byte[] text) {
        byte[] b = text.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                return java.util.Arrays.copyOf(b, random.nextInt(Math.max(1, b.length)));
            }
            case 1 -> {
                int i = random.nextInt(b.length);
                b[i] = (byte) random.nextInt(256);
                return b;
            }
            case 2 -> {
                byte[] junk = ("  " + (random.nextBoolean() ? "xyz" : "}{") ).getBytes(StandardCharsets.UTF_8);
                byte[] out = java.util.Arrays.copyOf(b, b.length + junk.length);
                System.arraycopy(junk, 0, out, b.length, junk.length);
                return out;
            }
            default -> {
                String s = new String(b, StandardCharsets.UTF_8);
                int brace = s.indexOf('{', 1);
                int comma = brace < 0 ? -1 : s.indexOf(',', brace);
                if (brace < 0 || comma < 0) {
                    return b;
                }
                // Repeat the first member after the opening brace: a duplicate key.
                String member = s.substring(1, Math.min(s.indexOf(',') < 0 ? 1 : s.indexOf(','), s.length()));
                return ("{" + member + "," + s.substring(1)).getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    /** {@code bytes} with 1 to 4 bytes overwritten in [from, to). */
    byte[] flipBytes(byte[] bytes, int from, int to) {
        byte[] b = bytes.clone();
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            b[from + random.nextInt(Math.max(1, to - from))] = (byte) random.nextInt(256);
        }
        return b;
    }
}
