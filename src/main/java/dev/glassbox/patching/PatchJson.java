package dev.glassbox.patching;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON of a patching sweep (the contract of {@code glassbox patch --json}): {@code clean_metric},
 * {@code corrupt_metric}, {@code raw} and {@code normalized} (each with {@code resid_pre},
 * {@code attn_out}, {@code mlp_out} as [layer][position] and {@code attn_head_out_by_pos} as
 * [layer][head][position], for the grids computed), {@code layers} and {@code positions}.
 */
public final class PatchJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private PatchJson() {}

    public static ObjectNode toJson(PatchResult r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("method", r.method());
        o.put("clean_metric", r.cleanMetric());
        // JSON has no NaN: a metric that is not finite (NaN logits) is written as null
        o.put("corrupt_metric", r.corruptMetric());
        ObjectNode raw = o.putObject("raw");
        ObjectNode normalized = o.putObject("normalized");
        for (PatchGrid g : r.grids().keySet()) {
            float[][][] v = r.grids().get(g);
            raw.set(g.jsonName(), grid(v, g.perHead(), x -> x));
            normalized.set(g.jsonName(), grid(v, g.perHead(), r::normalize));
        }
        ArrayNode layers = o.putArray("layers");
        for (int l = 0; l < r.layers(); l++) {
            layers.add(l);
        }
        ArrayNode positions = o.putArray("positions");
        r.positions().forEach(positions::add);
        return o;
    }

    private static ArrayNode grid(float[][][] v, boolean perHead, java.util.function.DoubleUnaryOperator f) {
        ArrayNode layers = MAPPER.createArrayNode();
        for (float[][] layer : v) {
            ArrayNode l = layers.addArray();
            for (float[] row : layer) {
                ArrayNode target = perHead ? l.addArray() : l;
                for (float x : row) {
                    double y = f.applyAsDouble(x);
                    if (Double.isFinite(y)) {
                        target.add((float) y);
                    } else {
                        target.addNull(); // clean_metric == corrupt_metric: nothing to normalise by
                    }
                }
            }
        }
        return layers;
    }
}
