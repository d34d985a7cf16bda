package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Direct logit attribution: the terms add up to the logit. */
class LogitAttributionTest {

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/gpt2-tiny", "models/tiny-gpt2-random", "models/stories260K", "fixtures/llama-gqa", "fixtures/gemma-tiny",
        "glassbox-fixtures/gptneox-tiny", "fixtures/qwen3-tiny", "fixtures/gemma3-tiny", "fixtures/olmo2-tiny",
        "fixtures/granite-tiny", "fixtures/smollm3-tiny", "fixtures/llama-bias-tiny"})
    void termsSumToTheLogit(String dir) {
        JsonNode r = Reference.reference(dir).get("results").get(1);
        long[] ids = Reference.longs(r.get("input_ids"));
        int last = ids.length - 1;
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            int layers = model.config().numLayers();
            int heads = model.config().numHeads();
            // the reference's most likely next token at the last position, and the actual next
            // token at a middle position
            long top = Reference.longs(r.get("positions").get(last).get("topk_ids"))[0];
            float[] refLast = Reference.floats(r.get("last_logits"));
            int mid = ids.length / 2;
            long[][] cases = {{last, top}, {mid, ids[mid + 1]}, {0, ids[1]}};
            for (long[] c : cases) {
                LogitAttribution.Result a = LogitAttribution.attribute(model, ids, (int) c[0], c[1]);
                String what = dir + " position " + c[0] + " target " + c[1];
                if (c[0] == last) {
                    assertEquals(refLast[(int) top], a.logit(), 1e-4 * Math.max(1, Math.abs(refLast[(int) top])), what);
                }
                assertEquals(a.logit(), a.sum(), 1e-3 * Math.max(1, Math.abs(a.logit())), what + " sum of terms");
                assertTrue(a.scale() > 0);
                int expectedTerms = 1 + (model.config().learnedPositions() ? 1 : 0) + layers * (heads + 1)
                        + (model.block().layers().get(0).attention().o().bias() != null ? layers : 0)
                        + (model.block().finalNorm().bias() != null ? 1 : 0);
                assertEquals(expectedTerms, a.terms().size(), what);
                for (int l = 0; l < layers; l++) {
                    double heads_ = 0;
                    for (double h : a.heads(l)) {
                        heads_ += h;
                    }
                    final int layer = l;
                    double bias = a.terms().stream()
                            .filter(t -> t.kind() == LogitAttribution.Kind.ATTN_BIAS && t.layer() == layer)
                            .mapToDouble(LogitAttribution.Term::value).sum();
                    assertEquals(a.attention()[l], heads_ + bias, 1e-4 * Math.max(1, Math.abs(a.attention()[l])), what + " layer " + l);
                    assertEquals(heads, a.heads(l).length);
                }
            }
        }
    }

    /**
     * Gemma 2 caps its logits: the terms sum to the logit before the cap, and c·tanh(logit / c) is
     * what transformers outputs.
     */
    @org.junit.jupiter.api.Test
    void withFinalSoftcappingTheTermsSumToThePreCapLogit() {
        String dir = "fixtures/gemma2-tiny";
        JsonNode r = Reference.reference(dir).get("results").get(2); // 60 tokens: past the window of 40
        long[] ids = Reference.longs(r.get("input_ids"));
        int last = ids.length - 1;
        float[] refLast = Reference.floats(r.get("last_logits"));
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            double cap = model.config().finalLogitSoftcap();
            assertEquals(15.0, cap);
            for (long target : Reference.longs(r.get("positions").get(last).get("topk_ids"))) {
                LogitAttribution.Result a = LogitAttribution.attribute(model, ids, last, target);
                String what = "target " + target;
                assertEquals(refLast[(int) target], cap * Math.tanh(a.logit() / cap), 1e-4 * Math.max(1, Math.abs(refLast[(int) target])), what);
                assertTrue(Math.abs(a.logit()) > Math.abs(refLast[(int) target]), what + ": the cap shrinks the logit");
                assertEquals(a.logit(), a.sum(), 1e-3 * Math.max(1, Math.abs(a.logit())), what + " sum of terms");
            }
        }
    }
}
