package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Logits and next-token log-probs equal what HuggingFace transformers computed (reference.json). */
class LogitsParityTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {
        "fixtures/gpt2-tiny", "models/tiny-gpt2-random", "models/capp-gpt2-tiny",
        "models/stories260K", "fixtures/llama-gqa", "fixtures/llama-tied", "fixtures/llama31-rope",
        "fixtures/llama-bf16", "fixtures/llama-sharded", "fixtures/llama-pickle-bin", "fixtures/mistral-tiny", "fixtures/qwen2-tiny",
        "fixtures/phi3-tiny", "fixtures/gemma-tiny",
        "fixtures/qwen3-tiny", "fixtures/gemma2-tiny", "fixtures/gemma3-tiny", "fixtures/phi3-longrope-tiny",
        "fixtures/olmo2-tiny", "fixtures/llama-yarn-tiny", "fixtures/llama-bias-tiny", "fixtures/granite-tiny",
        "fixtures/smollm3-tiny", "glassbox-fixtures/gptneox-tiny", "glassbox-fixtures/gptneox-seq-tiny", "fixtures/mixtral-tiny",
        "fixtures/qwen2-moe-tiny", "glassbox-fixtures/mixtral-top1-window-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny"
    })
    void lastLogitsAndLogprobsMatchTransformers(String dir) {
        JsonNode ref = Reference.reference(dir);
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            for (JsonNode r : ref.get("results")) {
                long[] ids = Reference.longs(r.get("input_ids"));
                float[][] logits = model.logits(ids);
                float[] expected = Reference.floats(r.get("last_logits"));
                float[] last = logits[ids.length - 1];
                assertEquals(expected.length, last.length);
                double worst = 0;
                for (int v = 0; v < expected.length; v++) {
                    double err = Math.abs(expected[v] - last[v]) / Math.max(1.0, Math.abs(expected[v]));
                    worst = Math.max(worst, err);
                }
                assertTrue(worst < TOL, dir + " len " + ids.length + ": worst logit error " + worst);
                float[] nll = Reference.floats(r.get("next_token_logprobs"));
                for (int i = 0; i + 1 < ids.length; i++) {
                    double lp = logSoftmax(logits[i], (int) ids[i + 1]);
                    assertEquals(nll[i], lp, TOL * Math.max(1, Math.abs(nll[i])), dir + " position " + i);
                }
            }
        }
    }

    static double logSoftmax(float[] logits, int id) {
        double max = Double.NEGATIVE_INFINITY;
        for (float f : logits) {
            max = Math.max(max, f);
        }
        double sum = 0;
        for (float f : logits) {
            sum += Math.exp(f - max);
        }
        return logits[id] - max - Math.log(sum);
    }
}
