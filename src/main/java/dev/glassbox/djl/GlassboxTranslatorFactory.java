package dev.glassbox.djl;

import ai.djl.Model;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import dev.glassbox.generate.GenerationResult;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;

/**
 * The translators glassbox offers DJL: {@code GenerationRequest → GenerationResult} and, for the
 * simplest use, {@code String → String} (the continuation of a prompt with the checkpoint's
 * generation defaults: greedy unless its generation_config.json says {@code do_sample}). The
 * argument {@code maxNewTokens} replaces the checkpoint's default length.
 */
public final class GlassboxTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> SUPPORTED = Set.of(
            new Pair<>(GenerationRequest.class, GenerationResult.class),
            new Pair<>(String.class, String.class));

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return SUPPORTED;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments) {
        Integer maxNew = arguments.containsKey("maxNewTokens") ? Integer.valueOf(arguments.get("maxNewTokens").toString()) : null;
        TextGenerationTranslator t = new TextGenerationTranslator(maxNew);
        if (input == GenerationRequest.class && output == GenerationResult.class) {
            return (Translator<I, O>) t;
        }
        if (input == String.class && output == String.class) {
            return (Translator<I, O>) new TextTranslator(t);
        }
        throw new IllegalArgumentException("glassbox translates GenerationRequest → GenerationResult or String → String, not "
                + input.getSimpleName() + " → " + output.getSimpleName());
    }

    /** String → String: the continuation's text. */
    private static final class TextTranslator implements NoBatchifyTranslator<String, String> {
        private final TextGenerationTranslator inner;

        TextTranslator(TextGenerationTranslator inner) {
            this.inner = inner;
        }

        @Override
        public void prepare(TranslatorContext ctx) {
            inner.prepare(ctx);
        }

        @Override
        public ai.djl.ndarray.NDList processInput(TranslatorContext ctx, String prompt) {
            return inner.processInput(ctx, GenerationRequest.of(prompt, null));
        }

        @Override
        public String processOutput(TranslatorContext ctx, ai.djl.ndarray.NDList list) {
            return inner.processOutput(ctx, list).text();
        }
    }
}
