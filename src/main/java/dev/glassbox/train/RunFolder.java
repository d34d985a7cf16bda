package dev.glassbox.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.arch.Architecture;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.SafetensorsWriter;
import dev.glassbox.checkpoint.WeightLoader;
import dev.glassbox.djl.PyTorchInternals;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training run's folder on disk: the HuggingFace checkpoint, {@code training_args.json},
 * {@code training_log.jsonl}, {@code train_results.json} and the {@code training_state/} a
 * {@link Trainer#resume resume} reads back. Every JSON file is written whole to a {@code .partial}
 * sibling and moved into place, so an interrupted save never leaves half a file.
 */
final class RunFolder {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "token_mappings.json");

    private final Path out;

    RunFolder(Path out) {
        this.out = out;
    }

    /**
     * Writes training_state/ for {@code step} (AdamW moments, step, windows drawn), after the
     * checkpoint of that step; state.json goes last, as it vouches for the files before it.
     */
    void saveState(AdamW optimizer, TrainConfig cfg, TokenData data, ObjectNode runInfo, int step, double trainSeconds) {
        Path stateDir = out.resolve(Trainer.STATE_DIR);
        createDirectories(stateDir);
        optimizer.save(stateDir.resolve(Trainer.OPTIMIZER_FILE), Map.of(Trainer.STEP_KEY, String.valueOf(step)));
        ObjectNode state = JSON.createObjectNode();
        state.put("step", step);
        state.put("updates", optimizer.updates());
        state.put("seed", cfg.seed);
        state.put("sampling", "windows without replacement, shuffled per epoch by (seed, epoch)");
        long windowsDrawn = (long) step * cfg.batchSize;
        state.put("windows_drawn", windowsDrawn);
        state.put("epochs", (double) windowsDrawn / data.windowStarts());
        state.put("tokens_seen", (long) step * cfg.batchSize * cfg.seqLen);
        state.put("train_seconds", trainSeconds);
        state.put("corpus_sha256", runInfo.path("corpus_sha256").asText());
        state.put("saved_at", Instant.now().toString());
        writeJsonAtomically(stateDir.resolve(Trainer.STATE_FILE), state); // last: it vouches for the files above
    }

    /** Writes config.json, generation_config.json and model.safetensors into {@code dir}. */
    static void writeModel(Path dir, TransformerLM model, ObjectNode modelConfig, ObjectNode generationConfig,
            Map<String, String> metadata) {
        createDirectories(dir);
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        for (WeightLoader.Slot s : WeightLoader.slots(model)) {
            NDArray a = s.parameter().getArray();
            specs.add(SafetensorsWriter.f32(s.parameter().getName(), a.getShape().getShape(), a.toFloatArray()));
        }
        try {
            Architecture.writeConfig(dir, modelConfig);
        } catch (IOException e) {
            throw new GlassboxException(dir.resolve(Architecture.CONFIG_FILE) + ": cannot write: " + e.getMessage(), e);
        }
        writeJsonAtomically(dir.resolve("generation_config.json"), generationConfig);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), specs, metadata);
    }

    /** Writes training_args.json: every hyper-parameter, and under "run" what the run is made of. */
    void writeArgs(TrainConfig cfg, ObjectNode runInfo, AdamW optimizer, TokenData data, PrintStream log) {
        ObjectNode args = TrainConfig.json().valueToTree(cfg);
        ObjectNode run = runInfo.deepCopy();
        run.put("engine", "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " (DJL " + Engine.getDjlVersion() + ")");
        run.put("threads", PyTorchInternals.numThreads());
        run.put("optimizer", "AdamW (decoupled weight decay; no decay on biases, norm weights and embeddings)");
        run.put("schedule", "linear warm-up to lr, cosine decay to min_lr at the last step");
        run.put("sampling", "every window start once per epoch, in an order shuffled by (seed, epoch)");
        run.put("epochs", (double) cfg.steps * cfg.batchSize / data.windowStarts());
        run.put("decayed_parameters", optimizer.slots().stream().filter(AdamW.Slot::decays).count());
        args.set("run", run);
        writeJsonAtomically(out.resolve(Trainer.ARGS_FILE), args);
        log.println("hyper-parameters: " + args.toString());
    }

    /** Writes train_results.json: the final numbers of the run. */
    void writeResults(TrainConfig cfg, int step, long parameterCount, Trainer.Eval last, double seconds, double tps) {
        ObjectNode r = JSON.createObjectNode();
        r.put("step", step);
        r.put("tokens_seen", (long) step * cfg.batchSize * cfg.seqLen);
        r.put("train_seconds", seconds);
        r.put("tokens_per_second", tps);
        r.put("parameters", parameterCount);
        if (last != null) {
            r.put("train_loss", last.trainLoss());
            r.put("train_perplexity", last.trainPerplexity());
            r.put("eval_loss", last.heldOutLoss());
            r.put("eval_perplexity", last.heldOutPerplexity());
            r.put("eval_windows", last.heldOutWindows());
            r.put("eval_tokens", (long) last.heldOutWindows() * cfg.seqLen);
        }
        writeJsonAtomically(out.resolve(Trainer.RESULTS_FILE), r);
    }

    /** Appends one line to training_log.jsonl. */
    void appendLog(ObjectNode line) {
        try {
            Files.writeString(out.resolve(Trainer.LOG_FILE), line.toString() + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new GlassboxException(out.resolve(Trainer.LOG_FILE) + ": cannot write: " + e.getMessage(), e);
        }
    }

    // ---- files -------------------------------------------------------------------------------

    static void copyTokenizer(Path from, Path to) {
        if (from == null) {
            throw new GlassboxException("no tokenizer: give --tokenizer DIR or --vocab-size V");
        }
        TextTokenizer.load(from).close(); // a clear error now if it cannot be used
        for (String name : TOKENIZER_FILES) {
            Path f = from.resolve(name);
            if (Files.isRegularFile(f)) {
                try {
                    Files.copy(f, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new GlassboxException("cannot copy " + f + ": " + e.getMessage(), e);
                }
            }
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static void writeJsonAtomically(Path file, JsonNode node) {
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try {
            JSON.writeValue(tmp.toFile(), node);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GlassboxException(dir + ": cannot create: " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a leftover temporary folder is harmless
        }
    }
}
