package dev.glassbox.tokenizer;

import java.nio.file.Path;

/** Test data under the shared folder (surefire sets glassbox.shared). */
final class Shared {
    private Shared() {}

    static Path path(String relative) {
        return Path.of(System.getProperty("glassbox.shared", "../shared")).resolve(relative);
    }

    static final Path TINY_GPT2 = path("models/tiny-gpt2-random");
    static final Path STORIES = path("models/stories260K");
    static final Path CAPP = path("models/capp-gpt2-tiny");
    static final Path GPT2_TINY_FIXTURE = path("fixtures/gpt2-tiny");
    static final Path LLAMA_GQA = path("fixtures/llama-gqa");
}
