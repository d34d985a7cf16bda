package dev.glassbox.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.arch.Architecture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes randomly initialised checkpoints in the HuggingFace layout (what {@code glassbox init}
 * does), initialised as transformers initialises them: weights N(0, 0.02), residual projections
 * scaled by 1/√(2·layers) for GPT-2, biases 0, norm gains 1. For benchmarks of real model sizes
 * without a download, and as the starting point of training from scratch.
 */
public final class RandomCheckpoint {

    /** The shape of a GPT-2 model. */
    public record Gpt2Shape(int nLayer, int nEmbd, int nHead, int vocabSize, int nPositions) {

        public static Gpt2Shape preset(String name) {
            switch (name.toLowerCase(Locale.ROOT)) {
                case "gpt2":
                    return new Gpt2Shape(12, 768, 12, 50257, 1024);
                case "gpt2-medium":
                    return new Gpt2Shape(24, 1024, 16, 50257, 1024);
                case "gpt2-large":
                    return new Gpt2Shape(36, 1280, 20, 50257, 1024);
                default:
                    throw new GlassboxException("unknown gpt2 preset '" + name + "' (known: gpt2, gpt2-medium, gpt2-large)");
            }
        }
    }

    /** The shape of a Llama model. */
    public record LlamaShape(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocabSize, int maxPositions, boolean tied) {

        public static LlamaShape preset(String name) {
            switch (name.toLowerCase(Locale.ROOT)) {
                case "smollm-135m":
                    return new LlamaShape(30, 576, 9, 3, 1536, 49152, 2048, true);
                case "tinyllama-1.1b":
                    return new LlamaShape(22, 2048, 32, 4, 5632, 32000, 2048, false);
                default:
                    throw new GlassboxException("unknown llama preset '" + name + "' (known: smollm-135m, tinyllama-1.1b)");
            }
        }
    }

    private RandomCheckpoint() {}

    public static void writeGpt2(Gpt2Shape s, long seed, Path out) {
        if (s.nEmbd() % s.nHead() != 0) {
            throw new GlassboxException("n_embd " + s.nEmbd() + " must be divisible by n_head " + s.nHead());
        }
        ObjectNode cfg = new ObjectMapper().createObjectNode();
        cfg.putArray("architectures").add("GPT2LMHeadModel");
        cfg.put("model_type", "gpt2");
        cfg.put("activation_function", "gelu_new");
        cfg.put("n_embd", s.nEmbd());
        cfg.put("n_layer", s.nLayer());
        cfg.put("n_head", s.nHead());
        cfg.putNull("n_inner");
        cfg.put("n_positions", s.nPositions());
        cfg.put("n_ctx", s.nPositions());
        cfg.put("vocab_size", s.vocabSize());
        cfg.put("layer_norm_epsilon", 1e-5);
        cfg.put("initializer_range", 0.02);
        cfg.put("bos_token_id", s.vocabSize() - 1);
        cfg.put("eos_token_id", s.vocabSize() - 1);
        cfg.put("tie_word_embeddings", true);
        cfg.put("scale_attn_weights", true);
        cfg.put("torch_dtype", "float32");

        SplittableRandom rng = new SplittableRandom(seed);
        int d = s.nEmbd();
        double resid = 0.02 / Math.sqrt(2.0 * s.nLayer());
        List<SafetensorsWriter.Spec> t = new ArrayList<>();
        t.add(normal("transformer.wte.weight", rng, 0.02, s.vocabSize(), d));
        t.add(normal("transformer.wpe.weight", rng, 0.01, s.nPositions(), d));
        for (int l = 0; l < s.nLayer(); l++) {
            String h = "transformer.h." + l + ".";
            t.add(constant(h + "ln_1.weight", 1f, d));
            t.add(constant(h + "ln_1.bias", 0f, d));
            t.add(normal(h + "attn.c_attn.weight", rng, 0.02, d, 3L * d));
            t.add(constant(h + "attn.c_attn.bias", 0f, 3L * d));
            t.add(normal(h + "attn.c_proj.weight", rng, resid, d, d));
            t.add(constant(h + "attn.c_proj.bias", 0f, d));
            t.add(constant(h + "ln_2.weight", 1f, d));
            t.add(constant(h + "ln_2.bias", 0f, d));
            t.add(normal(h + "mlp.c_fc.weight", rng, 0.02, d, 4L * d));
            t.add(constant(h + "mlp.c_fc.bias", 0f, 4L * d));
            t.add(normal(h + "mlp.c_proj.weight", rng, resid, 4L * d, d));
            t.add(constant(h + "mlp.c_proj.bias", 0f, d));
        }
        t.add(constant("transformer.ln_f.weight", 1f, d));
        t.add(constant("transformer.ln_f.bias", 0f, d));
        writeAll(out, cfg, s.vocabSize() - 1, t);
    }

    public static void writeLlama(LlamaShape s, long seed, Path out) {
        if (s.hidden() % s.heads() != 0 || s.heads() % s.kvHeads() != 0) {
            throw new GlassboxException("hidden " + s.hidden() + " / heads " + s.heads() + " / kv heads " + s.kvHeads() + " do not divide");
        }
        ObjectNode cfg = new ObjectMapper().createObjectNode();
        cfg.putArray("architectures").add("LlamaForCausalLM");
        cfg.put("model_type", "llama");
        cfg.put("hidden_act", "silu");
        cfg.put("hidden_size", s.hidden());
        cfg.put("intermediate_size", s.intermediate());
        cfg.put("num_hidden_layers", s.layers());
        cfg.put("num_attention_heads", s.heads());
        cfg.put("num_key_value_heads", s.kvHeads());
        cfg.put("max_position_embeddings", s.maxPositions());
        cfg.put("rms_norm_eps", 1e-5);
        cfg.put("rope_theta", 10000.0);
        cfg.put("vocab_size", s.vocabSize());
        cfg.put("tie_word_embeddings", s.tied());
        cfg.put("bos_token_id", 1);
        cfg.put("eos_token_id", 2);
        cfg.put("torch_dtype", "float32");
        SplittableRandom rng = new SplittableRandom(seed);
        int d = s.hidden();
        int hd = d / s.heads();
        List<SafetensorsWriter.Spec> t = new ArrayList<>();
        t.add(normal("model.embed_tokens.weight", rng, 0.02, s.vocabSize(), d));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            t.add(constant(p + "input_layernorm.weight", 1f, d));
            t.add(normal(p + "self_attn.q_proj.weight", rng, 0.02, (long) s.heads() * hd, d));
            t.add(normal(p + "self_attn.k_proj.weight", rng, 0.02, (long) s.kvHeads() * hd, d));
            t.add(normal(p + "self_attn.v_proj.weight", rng, 0.02, (long) s.kvHeads() * hd, d));
            t.add(normal(p + "self_attn.o_proj.weight", rng, 0.02, d, (long) s.heads() * hd));
            t.add(constant(p + "post_attention_layernorm.weight", 1f, d));
            t.add(normal(p + "mlp.gate_proj.weight", rng, 0.02, s.intermediate(), d));
            t.add(normal(p + "mlp.up_proj.weight", rng, 0.02, s.intermediate(), d));
            t.add(normal(p + "mlp.down_proj.weight", rng, 0.02, d, s.intermediate()));
        }
        t.add(constant("model.norm.weight", 1f, d));
        if (!s.tied()) {
            t.add(normal("lm_head.weight", rng, 0.02, s.vocabSize(), d));
        }
        writeAll(out, cfg, 2, t);
    }

    private static void writeAll(Path out, ObjectNode cfg, long eos, List<SafetensorsWriter.Spec> tensors) {
        try {
            Files.createDirectories(out);
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            Architecture.writeConfig(out, cfg);
            ObjectNode gen = json.createObjectNode();
            gen.put("bos_token_id", cfg.get("bos_token_id").asLong());
            gen.put("eos_token_id", eos);
            json.writeValue(out.resolve("generation_config.json").toFile(), gen);
        } catch (IOException e) {
            throw new GlassboxException(out + ": cannot write checkpoint: " + e.getMessage(), e);
        }
        SafetensorsWriter.write(out.resolve("model.safetensors"), tensors, Map.of());
    }

    private static SafetensorsWriter.Spec normal(String name, SplittableRandom parent, double std, long... shape) {
        // Each tensor gets its own stream, split in a fixed order, so values do not depend on
        // the order the writer fills tensors in.
        SplittableRandom rng = parent.split();
        return new SafetensorsWriter.Spec(name, DType.F32, shape, (ByteBuffer buf) -> {
            while (buf.hasRemaining()) {
                buf.putFloat((float) (gaussian(rng) * std));
            }
        });
    }

    private static SafetensorsWriter.Spec constant(String name, float value, long... shape) {
        return new SafetensorsWriter.Spec(name, DType.F32, shape, (ByteBuffer buf) -> {
            while (buf.hasRemaining()) {
                buf.putFloat(value);
            }
        });
    }

    /** Box–Muller; SplittableRandom has no nextGaussian on Java 17. */
    private static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
