package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * SmolLM3: Llama with no rotary embedding on the layers whose {@code no_rope_layers} entry is 0
 * (by default every {@code no_rope_layer_interval}-th), a tied head by default, and, with
 * {@code use_sliding_window}, windows on the layers {@code layer_types} names (by default the
 * NoPE ones).
 */
final class SmolLm3 extends Llama {

    SmolLm3() {
        super("smollm3");
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        ModelConfig.Builder b = base(r, file).tieWordEmbeddings(r.bool("tie_word_embeddings", true));
        ModelConfig partial = b.build();
        int n = partial.numLayers();
        List<Double> flags = r.has("no_rope_layers") ? r.numbers("no_rope_layers", n, -1, 1) : null;
        if (flags != null && flags.stream().anyMatch(f -> f != 0 && f != 1)) {
            throw r.invalid("no_rope_layers", r.node().get("no_rope_layers"), "a list of " + n + " 0s and 1s");
        }
        int interval = r.size("no_rope_layer_interval", 4);
        java.util.function.IntPredicate hasRope = i -> flags != null ? flags.get(i) == 1 : (i + 1) % interval != 0;
        // the mask follows layer_types and sliding_window (use_sliding_window only shapes the default layer_types)
        Integer window = r.optSize("sliding_window");
        boolean use = r.bool("use_sliding_window", false);
        b.slidingWindow(window);
        return b.layers(layerSpecs(r, partial, window, i -> use && window != null && !hasRope.test(i),
                i -> hasRope.test(i) ? partial.rope() : null)).build();
    }
}
