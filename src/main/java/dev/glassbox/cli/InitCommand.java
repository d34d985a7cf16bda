package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.RandomCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code glassbox init}: a randomly initialised checkpoint in the HuggingFace layout. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised checkpoint (HuggingFace layout) for benchmarks of real model sizes without a download.")
public final class InitCommand implements Callable<Integer> {

    @Option(names = "--arch", required = true, paramLabel = "gpt2|llama", description = "Architecture.")
    String arch;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "gpt2: gpt2, gpt2-medium, gpt2-large; llama: smollm-135m, tinyllama-1.1b.")
    String preset;

    @Option(names = "--n-layer", paramLabel = "N", description = "Layers.")
    Integer nLayer;

    @Option(names = "--n-embd", paramLabel = "D", description = "Hidden size.")
    Integer nEmbd;

    @Option(names = "--n-head", paramLabel = "H", description = "Attention heads.")
    Integer nHead;

    @Option(names = "--n-kv-head", paramLabel = "K", description = "Key/value heads (llama).")
    Integer nKvHead;

    @Option(names = "--n-inner", paramLabel = "I", description = "MLP width (llama; gpt2 uses 4×D).")
    Integer nInner;

    @Option(names = "--vocab-size", paramLabel = "V", description = "Vocabulary size.")
    Integer vocabSize;

    @Option(names = "--n-positions", paramLabel = "P", description = "Context length.")
    Integer nPositions;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (created; must be empty or absent).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out.resolve("model.safetensors"))) {
            throw new GlassboxException(out + ": already holds a checkpoint; choose another --out");
        }
        switch (arch) {
            case "gpt2": {
                RandomCheckpoint.Gpt2Shape base = preset != null ? RandomCheckpoint.Gpt2Shape.preset(preset)
                        : new RandomCheckpoint.Gpt2Shape(12, 768, 12, 50257, 1024);
                RandomCheckpoint.Gpt2Shape s = new RandomCheckpoint.Gpt2Shape(
                        pos(nLayer, base.nLayer(), "--n-layer"), pos(nEmbd, base.nEmbd(), "--n-embd"),
                        pos(nHead, base.nHead(), "--n-head"), pos(vocabSize, base.vocabSize(), "--vocab-size"),
                        pos(nPositions, base.nPositions(), "--n-positions"));
                RandomCheckpoint.writeGpt2(s, seed, out);
                System.err.printf("wrote %s: gpt2, %d layers, %d wide, %d heads, vocabulary %d, context %d%n",
                        out, s.nLayer(), s.nEmbd(), s.nHead(), s.vocabSize(), s.nPositions());
                break;
            }
            case "llama": {
                RandomCheckpoint.LlamaShape base = RandomCheckpoint.LlamaShape.preset(preset == null ? "smollm-135m" : preset);
                RandomCheckpoint.LlamaShape s = new RandomCheckpoint.LlamaShape(
                        pos(nLayer, base.layers(), "--n-layer"), pos(nEmbd, base.hidden(), "--n-embd"),
                        pos(nHead, base.heads(), "--n-head"), pos(nKvHead, base.kvHeads(), "--n-kv-head"),
                        pos(nInner, base.intermediate(), "--n-inner"), pos(vocabSize, base.vocabSize(), "--vocab-size"),
                        pos(nPositions, base.maxPositions(), "--n-positions"), base.tied());
                RandomCheckpoint.writeLlama(s, seed, out);
                System.err.printf("wrote %s: llama, %d layers, %d wide, %d/%d heads, vocabulary %d%n",
                        out, s.layers(), s.hidden(), s.heads(), s.kvHeads(), s.vocabSize());
                break;
            }
            default:
                throw new GlassboxException("--arch must be gpt2 or llama, found '" + arch + "'");
        }
        return 0;
    }

    private static int pos(Integer given, int fallback, String name) {
        int v = given == null ? fallback : given;
        if (v <= 0) {
            throw new GlassboxException(name + " must be positive, found " + v);
        }
        return v;
    }
}
