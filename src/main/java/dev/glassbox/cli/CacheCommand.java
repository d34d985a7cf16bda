package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Progress;
import dev.glassbox.export.ActivationExport;
import dev.glassbox.export.ActivationShardWriter;
import dev.glassbox.export.CorpusReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox cache}: exports activations of a corpus as safetensors shards with an index. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Export activations of every document of a JSONL corpus as safetensors shards with an index "
                + "(one row per position of each document; see README \"Exporting activations\").",
                "Memory stays bounded whatever the corpus size: each shard is written once it reaches --shard-size."})
public final class CacheCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Option(names = "--input", required = true, paramLabel = "FILE.jsonl",
            description = "One document per line: {\"prompt\": \"...\"} or {\"ids\": [...]}; other fields (such as \"id\") go to documents.jsonl.")
    Path input;

    @Option(names = "--hooks", required = true, split = ",", paramLabel = "NAME[,NAME...]",
            description = "Activation names to export, e.g. blocks.1.resid_post,blocks.1.attn.z (README \"Activation names (hooks)\").")
    List<String> hooks;

    @Option(names = "--positions", paramLabel = "all|last", defaultValue = "all",
            description = "Rows for every position of each document, or only its last (default: ${DEFAULT-VALUE}).")
    String positions;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Folder to create (or an empty one); written under DIR.partial and renamed when complete.")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
            description = "Documents per forward pass, left-padded; the export holds only real positions (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--shard-size", paramLabel = "MiB", defaultValue = "256",
            description = "Activation bytes per shard, in MiB (default: ${DEFAULT-VALUE}); a document never spans two shards.")
    double shardMiB;

    @Override
    public Integer call() {
        ActivationExport.Positions where = ActivationExport.Positions.parse(positions);
        if (!(shardMiB > 0)) {
            throw new GlassboxException("--shard-size must be positive, found " + shardMiB);
        }
        if (batchSize < 1) {
            throw new GlassboxException("--batch-size must be at least 1, found " + batchSize);
        }
        long shardBytes = Math.max(1, (long) (shardMiB * (1 << 20)));
        if (!Files.isRegularFile(input)) {
            throw new GlassboxException("--input " + input + ": no such file");
        }
        Path tmp = checkOut(out);
        try (LanguageModel model = modelOptions.load()) {
            Map<String, long[]> shapes = ActivationExport.rowShapes(model, hooks);
            long total = CorpusReader.countDocuments(input);
            ActivationExport.Summary s;
            createFolder(tmp);
            try (CorpusReader corpus = CorpusReader.open(input, model.tokenizer(), model.config().vocabSize(), model.config().maxPositions());
                    Progress bar = modelOptions.quiet ? Progress.NONE : Progress.start(Progress.Spec.of("cache", total))) {
                s = ActivationExport.run(model, corpus, shapes, where, tmp, shardBytes, batchSize, bar);
            } catch (RuntimeException e) {
                deleteTree(tmp);
                throw e;
            }
            moveIntoPlace(tmp, out);
            System.out.printf("wrote %d rows (%d documents, %d tokens) of %s to %s%n",
                    s.rows(), s.documents(), s.tokens(), String.join(", ", shapes.keySet()), out);
        }
        return 0;
    }

    /** Refuses a target that is a file or a non-empty folder; returns the temporary folder's path. */
    private static Path checkOut(Path out) {
        Path abs = out.toAbsolutePath();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new GlassboxException("--out " + out + ": is a file; give a folder to create");
        }
        if (Files.isDirectory(abs)) {
            try (Stream<Path> s = Files.list(abs)) {
                if (s.findAny().isPresent()) {
                    throw new GlassboxException("--out " + out + ": exists and is not empty; give a new folder");
                }
            } catch (IOException e) {
                throw new GlassboxException("--out " + out + ": cannot read: " + OutputFile.describe(e), e);
            }
        }
        Path tmp = abs.resolveSibling(abs.getFileName() + ".partial");
        if (Files.exists(tmp)) {
            throw new GlassboxException("--out " + out + ": " + tmp + " exists (left by an interrupted run?); remove it first");
        }
        return tmp;
    }

    private static void createFolder(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GlassboxException("--out: cannot create " + dir + ": " + OutputFile.describe(e), e);
        }
    }

    private static void moveIntoPlace(Path tmp, Path out) {
        try {
            Files.deleteIfExists(out.toAbsolutePath()); // an empty folder, checked before the run
            Files.move(tmp, out.toAbsolutePath(), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GlassboxException("--out " + out + ": cannot move " + tmp + " into place: " + OutputFile.describe(e), e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: only DIR.partial is left, never a half export under DIR
        }
    }
}
