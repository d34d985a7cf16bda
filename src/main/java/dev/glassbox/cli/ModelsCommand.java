package dev.glassbox.cli;

import dev.glassbox.ModelLocator;
import dev.glassbox.arch.Architecture;
import dev.glassbox.djl.GlassboxModelZoo;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code glassbox models}: the bundled models and the architectures glassbox loads. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the bundled models (model-zoo/, also a DJL model zoo) and the architectures glassbox can load.")
public final class ModelsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println("Bundled models (" + ModelLocator.modelZoo().toAbsolutePath().normalize() + "):");
        var entries = GlassboxModelZoo.entries(ModelLocator.modelZoo());
        if (entries.isEmpty()) {
            System.out.println("  (none)");
        }
        for (var e : entries) {
            String mark = e.name().equals(ModelLocator.DEFAULT_MODEL) ? " (default)" : "";
            String missing = Files.isDirectory(e.dir()) ? "" : "  [missing]";
            System.out.printf("  %-14s %-8s %s%s%s%n", e.name(), e.architecture(), e.description(), mark, missing);
        }
        System.out.println("  DJL: Criteria.builder().optGroupId(\"" + GlassboxModelZoo.GROUP_ID + "\").optArtifactId(NAME)");
        System.out.println();
        System.out.println("Architectures (config.json model_type): " + String.join(", ", Architecture.supported()));
        System.out.println("Weights: model.safetensors, sharded safetensors with an index, pytorch_model.bin (never executed)");
        System.out.println("Also: any HuggingFace model id (org/name) of those architectures, through the HuggingFace cache");
        return 0;
    }
}
