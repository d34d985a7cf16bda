package dev.glassbox.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.SafetensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training a tiny GPT-2 on a few chapters of Genesis: the loss falls, saving and resuming are exact. */
class TrainerTest {

    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    static Path resource(String name) {
        try {
            return Path.of(TrainerTest.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path sharedPath(String relative) {
        return Path.of(System.getProperty("glassbox.shared", "../shared")).resolve(relative);
    }

    /** 2 layers, 32 wide, a 300-token BPE: about 60k parameters. */
    static TrainConfig tiny(int steps) {
        TrainConfig c = new TrainConfig();
        c.arch = "gpt2";
        c.nLayer = 2;
        c.nEmbd = 32;
        c.nHead = 2;
        c.nPositions = 64;
        c.corpus = resource("genesis-1-6.txt").toString();
        c.vocabSize = 300;
        c.steps = steps;
        c.batchSize = 8;
        c.seqLen = 32;
        c.lr = 3e-3;
        c.minLr = 3e-4;
        c.warmup = 5;
        c.evalEvery = 20;
        c.evalWindows = 16;
        c.saveEvery = 1000;
        c.logEvery = 5;
        c.evalFraction = 0.1;
        c.seed = 7;
        return c;
    }

    @Test
    void lossFallsAndTheCheckpointReloadsToTheSameLogits(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Map<String, float[]> before = new HashMap<>();
        try (Trainer t = Trainer.start(tiny(60), out, QUIET).progress(false)) {
            int vocab = t.model().config().vocabSize();
            for (AdamW.Slot s : t.optimizerSlots()) {
                before.put(s.name(), s.parameter().getArray().toFloatArray());
            }
            Trainer.Result r = t.train();
            assertEquals(0, r.firstStep());
            assertEquals(60, r.lastStep());
            assertEquals(60, r.steps().size());

            // At initialisation the predictions are nearly uniform: loss ≈ ln(vocabulary).
            Trainer.Eval initial = r.evals().get(0);
            assertEquals(0, initial.step());
            assertEquals(Math.log(vocab), initial.heldOutLoss(), 0.15);
            double firstSteps = r.steps().subList(0, 5).stream().mapToDouble(Trainer.StepStats::loss).average().orElseThrow();
            double lastSteps = r.steps().subList(50, 60).stream().mapToDouble(Trainer.StepStats::loss).average().orElseThrow();
            assertTrue(lastSteps < firstSteps - 1.0, "training loss " + firstSteps + " -> " + lastSteps);
            assertNotNull(r.last());
            assertTrue(r.last().heldOutLoss() < initial.heldOutLoss() - 1.0,
                    "held-out loss " + initial.heldOutLoss() + " -> " + r.last().heldOutLoss());
            assertTrue(r.last().heldOutWindows() > 0);

            // Every parameter was trained (gradients reach the Conv1D weights, biases, norms, embeddings).
            for (AdamW.Slot s : t.optimizerSlots()) {
                float[] now = s.parameter().getArray().toFloatArray();
                float[] was = before.get(s.name());
                double moved = 0;
                for (int i = 0; i < now.length; i++) {
                    moved = Math.max(moved, Math.abs(now[i] - was[i]));
                }
                assertTrue(moved > 1e-4, s.name() + " did not change");
            }

            // The checkpoint on disk is the in-memory model.
            long[] ids = t.tokenizer().encode("And God said, Let there be light: and there was light.", false);
            float[][] mem = t.logits(ids);
            try (LanguageModel m = LanguageModel.load(out)) {
                float[][] disk = m.logits(ids);
                for (int p = 0; p < ids.length; p++) {
                    for (int v = 0; v < vocab; v++) {
                        assertEquals(mem[p][v], disk[p][v], 1e-5, "position " + p + " token " + v);
                    }
                }
                assertNotNull(m.tokenizer());
                assertEquals("And God said", m.tokenizer().decode(m.tokenizer().encode("And God said", false)));
                assertEquals(vocab, m.tokenizer().vocabSize());
            }
        }
        // The files transformers reads, with its names and keys.
        ObjectMapper json = new ObjectMapper();
        JsonNode cfg = json.readTree(out.resolve("config.json").toFile());
        assertEquals("gpt2", cfg.get("model_type").asText());
        assertEquals("GPT2LMHeadModel", cfg.get("architectures").get(0).asText());
        assertEquals(32, cfg.get("n_embd").asInt());
        assertEquals(2, cfg.get("n_layer").asInt());
        assertEquals(2, cfg.get("n_head").asInt());
        assertEquals(64, cfg.get("n_positions").asInt());
        assertEquals(300, cfg.get("vocab_size").asInt());
        assertEquals(299, cfg.get("eos_token_id").asInt()); // <|endoftext|> is the last id
        assertEquals(299, json.readTree(out.resolve("generation_config.json").toFile()).get("eos_token_id").asInt());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertEquals(List.of(32L, 96L), toList(f.entries().get("transformer.h.0.attn.c_attn.weight").shape()));
            assertEquals(List.of(300L, 32L), toList(f.entries().get("transformer.wte.weight").shape()));
            assertEquals(List.of(64L, 32L), toList(f.entries().get("transformer.wpe.weight").shape()));
            assertFalse(f.names().contains("lm_head.weight")); // tied, as transformers saves GPT-2
            assertEquals(2 + 2 + 2 * 12, f.names().size());
        }
        JsonNode args = json.readTree(out.resolve(Trainer.ARGS_FILE).toFile());
        assertEquals(0.1, args.get("weight_decay").asDouble());
        assertEquals(7, args.get("seed").asLong());
        assertTrue(args.get("run").get("train_tokens").asLong() > 0);
        JsonNode results = json.readTree(out.resolve(Trainer.RESULTS_FILE).toFile());
        assertEquals(60, results.get("step").asInt());
        assertTrue(Files.readString(out.resolve(Trainer.LOG_FILE)).lines().count() >= 12);
    }

    @Test
    void resumingContinuesFromTheSavedStepAndMatchesAStraightRun(@TempDir Path tmp) throws Exception {
        // Verse-aligned windows: ~150 starts, so the 24·8 windows cross into a second epoch after
        // the resume point (step 12) and the resumed run must continue the same shuffled order.
        TrainConfig cfg = tiny(24);
        cfg.windowStart = "line";
        Path straight = tmp.resolve("straight");
        try (Trainer t = Trainer.start(cfg, straight, QUIET).progress(false)) {
            t.train();
        }
        Path split = tmp.resolve("split");
        try (Trainer t = Trainer.start(cfg, split, QUIET).progress(false)) {
            Trainer.Result r = t.train(12);
            assertEquals(12, r.lastStep());
            assertNull(r.last());
        }
        JsonNode state = new ObjectMapper().readTree(split.resolve("training_state/state.json").toFile());
        assertEquals(12, state.get("step").asInt());
        assertEquals(12 * 8, state.get("windows_drawn").asInt());
        assertTrue(state.get("epochs").asDouble() < 1);
        assertFalse(Files.exists(split.resolve(Trainer.RESULTS_FILE)));
        try (Trainer t = Trainer.resume(split, null, QUIET).progress(false)) {
            assertEquals(12, t.step());
            Trainer.Result r = t.train();
            assertEquals(12, r.firstStep());
            assertEquals(24, r.lastStep());
            assertEquals(12, r.steps().size());
            assertEquals(13, r.steps().get(0).step());
        }
        try (SafetensorsFile a = SafetensorsFile.open(straight.resolve("model.safetensors"));
                SafetensorsFile b = SafetensorsFile.open(split.resolve("model.safetensors"))) {
            assertEquals(a.names(), b.names());
            for (String name : a.names()) {
                float[] x = floats(a.get(name));
                float[] y = floats(b.get(name));
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], 1e-5, name + "[" + i + "]");
                }
            }
            assertEquals("24", b.metadata().get("glassbox_step"));
        }
        // A finished run can be extended; a fresh start refuses to overwrite it.
        assertThrows(GlassboxException.class, () -> Trainer.start(tiny(24), split, QUIET));
        assertThrows(GlassboxException.class, () -> Trainer.resume(split, 24, QUIET));
        JsonNode done = new ObjectMapper().readTree(split.resolve("training_state/state.json").toFile());
        assertTrue(done.get("epochs").asDouble() > 1, "the test should cross an epoch: " + done);
        // A state without the window position (older glassbox) is refused, not resumed with other batches.
        ((com.fasterxml.jackson.databind.node.ObjectNode) done).remove("windows_drawn");
        new ObjectMapper().writeValue(split.resolve("training_state/state.json").toFile(), done);
        GlassboxException old = assertThrows(GlassboxException.class, () -> Trainer.resume(split, 30, QUIET));
        assertTrue(old.getMessage().contains("windows_drawn"), old.getMessage());
    }

    @Test
    void llamaFromScratchTrainsAndReloads(@TempDir Path tmp) {
        TrainConfig c = tiny(30);
        c.arch = "llama";
        c.nKvHead = 1; // grouped-query attention, rotary positions, RMSNorm, SwiGLU
        c.nInner = 64;
        Path out = tmp.resolve("llama");
        try (Trainer t = Trainer.start(c, out, QUIET).progress(false)) {
            Trainer.Result r = t.train();
            double first = r.steps().subList(0, 5).stream().mapToDouble(Trainer.StepStats::loss).average().orElseThrow();
            double last = r.steps().subList(25, 30).stream().mapToDouble(Trainer.StepStats::loss).average().orElseThrow();
            assertTrue(last < first - 0.5, "training loss " + first + " -> " + last);
            long[] ids = t.tokenizer().encode("And God saw the light, that it was good", false);
            float[][] mem = t.logits(ids);
            try (LanguageModel m = LanguageModel.load(out)) {
                assertEquals("llama", m.config().modelType());
                float[][] disk = m.logits(ids);
                for (int p = 0; p < ids.length; p++) {
                    for (int v = 0; v < mem[p].length; v++) {
                        assertEquals(mem[p][v], disk[p][v], 1e-5);
                    }
                }
            }
        }
    }

    /**
     * DJL wraps arrays made from Java values (a scalar factor, a rotary table) around Java buffers
     * that the garbage collector may free while autograd still holds them; the blocks give autograd
     * engine-owned operands instead. With a collection every millisecond, losses must not change.
     */
    @Test
    void gradientsDoNotDependOnGarbageCollection(@TempDir Path tmp) throws Exception {
        double[] calm = losses(tmp.resolve("calm"), false);
        double[] stormy = losses(tmp.resolve("stormy"), true);
        for (int i = 0; i < calm.length; i++) {
            assertTrue(Double.isFinite(stormy[i]));
            assertEquals(calm[i], stormy[i], 1e-6, "step " + (i + 1));
        }
    }

    private static double[] losses(Path out, boolean gcStorm) throws Exception {
        Thread storm = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        storm.setDaemon(true);
        TrainConfig c = tiny(10);
        c.arch = "llama"; // exercises the rotary tables as well as the scalar factors
        try (Trainer t = Trainer.start(c, out, QUIET).progress(false)) {
            if (gcStorm) {
                storm.start();
            }
            return t.train().steps().stream().mapToDouble(Trainer.StepStats::loss).toArray();
        } finally {
            storm.interrupt();
            storm.join();
        }
    }

    static float[] floats(RawTensor t) {
        FloatBuffer fb = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    static List<Long> toList(long[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }
}
