package dev.glassbox.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An SAE's {@code cfg.json} in SAELens's layout: input and dictionary widths, the TransformerLens
 * hook it reads, the architecture (standard, jumprelu, topk with k), whether b_dec is subtracted
 * from the input, and how activations are normalised ("none", "constant_norm_rescale",
 * "layer_norm"; "expected_average_only_in" needs a scaling factor SAELens keeps outside the
 * folder, so it is refused). Written in the flat pre-6.0 layout, which every SAELens version loads.
 */
public record SaeConfig(
        int dIn, int dSae, String hookName, Architecture architecture, int k, boolean applyBDecToInput,
        String normalizeActivations, String modelName, Integer contextSize, String datasetPath) {

    /** SAELens's SAE classes. */
    public enum Architecture {
        STANDARD, JUMPRELU, TOPK;

        public String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The normalisations {@link SparseAutoencoder} computes exactly as SAELens does. */
    public static final List<String> NORMALIZATIONS = List.of("none", "constant_norm_rescale", "layer_norm");

    public static final String FILE = "cfg.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public SaeConfig {
        if (dIn < 1 || dSae < 1) {
            throw new GlassboxException("an SAE needs d_in ≥ 1 and d_sae ≥ 1, found d_in " + dIn + ", d_sae " + dSae);
        }
        if (architecture == Architecture.TOPK && (k < 1 || k > dSae)) {
            throw new GlassboxException("a topk SAE needs 1 ≤ k ≤ d_sae (" + dSae + "), found k " + k);
        }
        if (!NORMALIZATIONS.contains(normalizeActivations)) {
            throw new GlassboxException("normalize_activations '" + normalizeActivations + "' is not supported (supported: "
                    + String.join(", ", NORMALIZATIONS) + ")");
        }
    }

    /** Reads {@code dir/cfg.json}; a clear error naming the file and key for anything missing or wrong. */
    public static SaeConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new GlassboxException(dir + ": no " + FILE + " (an SAE folder in SAELens's layout has cfg.json and sae_weights.safetensors)");
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new GlassboxException(file + ": not valid JSON (" + String.valueOf(e.getMessage()).replace('\n', ' ') + ")");
        }
        if (n == null || !n.isObject()) {
            throw new GlassboxException(file + ": expected a JSON object");
        }
        String arch = n.path("architecture").asText("standard");
        Architecture a;
        try {
            a = Architecture.valueOf(arch.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new GlassboxException(file + ": architecture '" + arch + "' is not supported (supported: standard, jumprelu, topk)");
        }
        String hook = n.hasNonNull("hook_name") ? n.get("hook_name").asText()
                : n.path("metadata").path("hook_name").asText(n.path("meta").path("hook_name").asText(null));
        if (hook == null) {
            throw new GlassboxException(file + ": no hook_name");
        }
        int k = 0;
        if (a == Architecture.TOPK) {
            if (!n.path("k").canConvertToInt()) {
                throw new GlassboxException(file + ": a topk SAE needs an integer k");
            }
            k = n.get("k").asInt();
        }
        if (n.path("rescale_acts_by_decoder_norm").asBoolean(false)) {
            throw new GlassboxException(file + ": rescale_acts_by_decoder_norm is not supported");
        }
        String norm = n.path("normalize_activations").isBoolean()
                ? (n.get("normalize_activations").asBoolean() ? "expected_average_only_in" : "none") // SAELens's old boolean
                : n.path("normalize_activations").asText("none");
        try {
            return new SaeConfig(intField(n, "d_in", file), intField(n, "d_sae", file), hook, a, k,
                    n.path("apply_b_dec_to_input").asBoolean(true), norm,
                    n.path("model_name").asText(null), n.hasNonNull("context_size") ? n.get("context_size").asInt() : null,
                    n.path("dataset_path").asText(null));
        } catch (GlassboxException e) {
            throw new GlassboxException(file + ": " + e.getMessage());
        }
    }

    private static int intField(JsonNode n, String key, Path file) {
        if (!n.path(key).canConvertToInt()) {
            throw new GlassboxException(file + ": no integer " + key);
        }
        return n.get(key).asInt();
    }

    /** Writes {@code dir/cfg.json} with the fields SAELens reads. */
    public void write(Path dir) {
        ObjectNode o = JSON.createObjectNode();
        o.put("architecture", architecture.jsonName());
        o.put("d_in", dIn);
        o.put("d_sae", dSae);
        if (architecture == Architecture.TOPK) {
            o.put("k", k);
        }
        o.put("dtype", "float32");
        o.put("device", "cpu");
        o.put("apply_b_dec_to_input", applyBDecToInput);
        o.put("normalize_activations", normalizeActivations);
        o.put("activation_fn", "relu");
        o.put("hook_name", hookName);
        Integer layer = TransformerLensHooks.layerOf(hookName);
        if (layer != null) {
            o.put("hook_layer", layer);
        }
        o.putNull("hook_head_index");
        o.put("reshape_activations", hookName.endsWith("hook_z") ? "hook_z" : "none");
        o.put("model_name", modelName);
        if (contextSize != null) {
            o.put("context_size", contextSize);
        }
        o.put("prepend_bos", true);
        o.put("dataset_path", datasetPath);
        try {
            Files.createDirectories(dir);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(FILE).toFile(), o);
        } catch (IOException e) {
            throw new GlassboxException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }
}
