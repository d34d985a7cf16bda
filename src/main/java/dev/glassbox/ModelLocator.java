package dev.glassbox;

import dev.glassbox.hub.HubResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Turns what a user wrote after {@code --model} into a checkpoint folder: a folder as is, a
 * HuggingFace model id through the HuggingFace cache (downloading what is missing), or nothing
 * for the bundled default model in {@code model-zoo/}.
 */
public final class ModelLocator {

    /** The bundled model's folder name under model-zoo/. */
    public static final String DEFAULT_MODEL = "kjv-gpt2";

    private ModelLocator() {}

    public static Path resolve(String model, String revision, boolean quiet) {
        if (model == null || model.isBlank()) {
            return defaultModel();
        }
        Path p = Paths.get(model);
        if (Files.isDirectory(p)) {
            return p;
        }
        if (Files.exists(p)) {
            throw new GlassboxException(model + ": is a file; --model wants a checkpoint folder or a model id");
        }
        Path zoo = modelZoo().resolve(model);
        if (!model.contains("/") && Files.isDirectory(zoo)) {
            return zoo;
        }
        if (HubResolver.looksLikeModelId(model)) {
            // through the HuggingFace cache, honouring HF_HOME, HF_HUB_OFFLINE, HF_TOKEN, HF_ENDPOINT
            HubResolver.Builder hub = HubResolver.builderFromEnvironment(System.getenv());
            if (quiet) {
                hub.quiet(true);
            }
            return hub.build().resolve(model, revision);
        }
        String suggestion = suggestModelId(model);
        if (suggestion != null) {
            throw new GlassboxException(model + ": no such checkpoint folder or bundled model; HuggingFace model ids are "
                    + "org/name now: did you mean --model " + suggestion + "?");
        }
        throw new GlassboxException(model + ": no such checkpoint folder, bundled model or HuggingFace model id"
                + (model.contains("/") ? "" : " (model ids have the form org/name)"));
    }

    /**
     * Where the hub moved the short names transformers users still type (the hub redirects them
     * for Python, but glassbox resolves org/name ids only); null when {@code name} is not one.
     */
    static String suggestModelId(String name) {
        String n = name.trim();
        String lower = n.toLowerCase(java.util.Locale.ROOT);
        if (lower.matches("gpt2(-medium|-large|-xl)?")) {
            return "openai-community/" + lower;
        }
        if (lower.equals("distilgpt2")) {
            return "distilbert/distilgpt2";
        }
        String[][] orgs = {
            {"pythia-", "EleutherAI"}, {"gpt-neox-", "EleutherAI"}, {"smollm", "HuggingFaceTB"}, {"qwen", "Qwen"},
            {"tinyllama-", "TinyLlama"}, {"gemma-", "google"}, {"phi-3", "microsoft"}, {"mistral-", "mistralai"},
            {"llama-", "meta-llama"}, {"meta-llama-", "meta-llama"}};
        for (String[] o : orgs) {
            if (!n.contains("/") && lower.startsWith(o[0])) {
                return o[1] + "/" + n;
            }
        }
        return null;
    }

    /** The project's model-zoo/ folder: beside the jar's project, or as -Dglassbox.home says. */
    public static Path modelZoo() {
        String home = System.getProperty("glassbox.home");
        if (home != null) {
            return Paths.get(home, "model-zoo");
        }
        return Paths.get("model-zoo");
    }

    public static Path defaultModel() {
        Path p = modelZoo().resolve(DEFAULT_MODEL);
        if (!Files.isDirectory(p)) {
            throw new GlassboxException(
                    "no --model given and the bundled model is missing at " + p.toAbsolutePath() + " (give --model DIR)");
        }
        return p;
    }
}
