package dev.glassbox.generate;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Why a generation ended. {@link #jsonName()} is the name the CLI's JSON ({@code stop_reason}) and
 * text output print; {@link #toString()} returns it too, so {@code "stop: " + r.stopReason()} reads
 * the same as the JSON.
 */
public enum StopReason {
    /** The model chose an end-of-sequence id (and stopping at EOS was on). */
    EOS("eos"),
    /** The text reached one of the stop strings; the text is cut before it. */
    STOP_STRING("stop_string"),
    /** As many tokens as asked for were made ({@code max_new_tokens}, or what {@code max_length} leaves). */
    MAX_NEW_TOKENS("max_new_tokens"),
    /** The cache holds as many positions as the model's context allows. */
    CONTEXT_FULL("context_full");

    private final String jsonName;

    StopReason(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name in JSON and text output: "eos", "stop_string", "max_new_tokens" or "context_full". */
    @JsonValue
    public String jsonName() {
        return jsonName;
    }

    @Override
    public String toString() {
        return jsonName;
    }
}
