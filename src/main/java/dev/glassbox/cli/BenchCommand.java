package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.LanguageModel;
import dev.glassbox.bench.Benchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code glassbox bench}: load time, prefill and decode speed, and peak memory. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Prefill time for 128 and 512 tokens, decode tokens/s for 64 new tokens after a 16-token prompt "
                + "(median of 5 after 10 warm-up runs), load time and peak memory; --dtype and --quantize choose how the weights are held.")
public final class BenchCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs per figure (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "" + Benchmark.DEFAULT_WARMUP,
            description = "Untimed runs before each figure (default: ${DEFAULT-VALUE}; the JIT compiles during the first prompts).")
    int warmup;

    @Option(names = "--json", description = "JSON: prefill_ms_128, prefill_ms_512, decode_tokens_per_s, peak_rss_mb, dtype, load_ms, quantize, int8_kernel, linear_kernel.")
    boolean json;

    @Option(names = "--throughput", description = "Batch throughput instead: scoring tokens/s at batch 1, 4, 16 (128-token prompts), "
            + "generation tokens/s at batch 1 and 8.")
    boolean throughput;

    @Override
    public Integer call() {
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, found " + runs);
        }
        long t0 = System.nanoTime();
        if (throughput) {
            return throughput();
        }
        try (LanguageModel model = modelOptions.load()) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            Benchmark.Result r = new Benchmark(model, warmup).run(runs);
            String quantize = modelOptions.quantization().cliName();
            boolean kernel = modelOptions.quantization() != dev.glassbox.quant.Quantization.NONE && dev.glassbox.quant.Gemv.available();
            int threads = dev.glassbox.djl.PyTorchInternals.numThreads();
            // which product ran the float32 linear layers: OpenBLAS is loaded only by a layer that uses it
            String linear = dev.glassbox.kernels.OpenBlas.loaded() ? "openblas" : "pytorch";
            if (json) {
                ObjectNode o = Json.object();
                o.put("prefill_ms_128", r.prefillMs128());
                putNullable(o, "prefill_ms_512", r.prefillMs512());
                o.put("decode_tokens_per_s", r.decodeTokensPerS());
                o.put("peak_rss_mb", r.peakRssMb());
                o.put("prefill_full_logits_ms_128", r.prefillFullLogitsMs128());
                putNullable(o, "prefill_full_logits_ms_512", r.prefillFullLogitsMs512());
                o.put("runs", r.runs());
                o.put("warmup", r.warmup());
                o.put("threads", threads);
                o.put("model", model.dir().toString());
                o.put("model_type", model.config().modelType());
                o.put("dtype", heldName(model));
                o.put("load_ms", loadMs);
                o.put("quantize", quantize);
                o.put("int8_kernel", kernel);
                o.put("linear_kernel", linear);
                Json.print(System.out, o, false);
            } else {
                System.out.printf("model            %s (%s, %d layers, %d wide)%n", model.dir(), model.config().modelType(),
                        model.config().numLayers(), model.config().hiddenSize());
                System.out.printf("threads          %d%n", threads);
                System.out.printf("dtype            %s (--dtype %s)%n", heldName(model), modelOptions.precision().cliName());
                System.out.printf("quantize         %s%s%n", quantize,
                        quantize.equals("none") ? "" : kernel ? " (Vector API kernel)" : " (no Vector API: dequantized weights through PyTorch)");
                System.out.printf("linear layers    %s%s%n", linear, dev.glassbox.kernels.OpenBlas.problem() == null ? "" : " (" + dev.glassbox.kernels.OpenBlas.problem() + ")");
                System.out.printf("load             %.0f ms%n", loadMs);
                System.out.printf("prefill 128      %.1f ms   (all-position logits: %.1f ms)%n", r.prefillMs128(), r.prefillFullLogitsMs128());
                if (r.prefillMs512() != null) {
                    System.out.printf("prefill 512      %.1f ms   (all-position logits: %.1f ms)%n", r.prefillMs512(), r.prefillFullLogitsMs512());
                } else {
                    System.out.printf("prefill 512      n/a (context %d)%n", model.config().maxPositions());
                }
                System.out.printf("decode           %.1f tokens/s (64 new tokens after 16)%n", r.decodeTokensPerS());
                System.out.printf("peak RSS         %.0f MB%n", r.peakRssMb());
            }
        }
        return 0;
    }

    /** {@code --throughput}: batch figures (see {@link dev.glassbox.bench.Throughput}). */
    private Integer throughput() {
        try (LanguageModel model = modelOptions.load()) {
            dev.glassbox.bench.Throughput.Result r = new dev.glassbox.bench.Throughput(model).run(runs);
            if (json) {
                ObjectNode o = Json.object();
                o.put("score_tokens_per_s_batch_1", r.score1());
                o.put("score_tokens_per_s_batch_4", r.score4());
                o.put("score_tokens_per_s_batch_16", r.score16());
                o.put("generate_tokens_per_s_batch_1", r.generate1());
                o.put("generate_tokens_per_s_batch_8", r.generate8());
                o.put("runs", r.runs());
                Json.print(System.out, o, false);
            } else {
                System.out.printf("score    batch 1  %8.1f tokens/s%n", r.score1());
                System.out.printf("score    batch 4  %8.1f tokens/s%n", r.score4());
                System.out.printf("score    batch 16 %8.1f tokens/s  (%.2fx batch 1)%n", r.score16(), r.score16() / r.score1());
                System.out.printf("generate batch 1  %8.1f tokens/s%n", r.generate1());
                System.out.printf("generate batch 8  %8.1f tokens/s  (%.2fx batch 1)%n", r.generate8(), r.generate8() / r.generate1());
            }
        }
        return 0;
    }

    /** What the weights are held in, as transformers names it: float32 or float16. */
    private static String heldName(LanguageModel model) {
        return model.dtype() == ai.djl.ndarray.types.DataType.FLOAT16 ? "float16" : "float32";
    }

    private static void putNullable(ObjectNode o, String key, Double v) {
        if (v == null) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }
}
