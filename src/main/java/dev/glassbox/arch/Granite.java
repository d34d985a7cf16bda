package dev.glassbox.arch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Granite: Llama with four multipliers: embeddings × {@code embedding_multiplier}, each
 * sublayer's output × {@code residual_multiplier} before it joins the residual, q·k ×
 * {@code attention_multiplier} (instead of 1/√d), and logits ÷ {@code logits_scaling}.
 */
final class Granite extends Llama {

    Granite() {
        super("granite");
    }

    @Override
    public ModelConfig parseConfig(JsonNode c, String file) {
        ConfigReader r = ConfigReader.of(c, file);
        double big = 1e6;
        return base(r, file)
                .embeddingScale(r.number("embedding_multiplier", 1.0, 0, big))
                .residualMultiplier(r.number("residual_multiplier", 1.0, 0, big))
                .attentionScale(r.number("attention_multiplier", 1.0, 0, big))
                .logitsScaling(r.number("logits_scaling", 1.0, 0, big))
                .build();
    }
}
