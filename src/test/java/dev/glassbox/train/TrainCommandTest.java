package dev.glassbox.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code glassbox train} from the command line: a run, a refused resume, a resumed run, bad options. */
class TrainCommandTest {

    private static int run(ByteArrayOutputStream err, String... args) {
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void trainsResumesAndRefusesBadOptions(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("cli");
        String corpus = TrainerTest.resource("genesis-1-6.txt").toString();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = run(err, "train", "--out", out.toString(), "--arch", "gpt2", "--n-layer", "1", "--n-embd", "16", "--n-head", "2",
                "--n-positions", "32", "--corpus", corpus, "--vocab-size", "280", "--steps", "4", "--batch-size", "2",
                "--seq-len", "16", "--eval-every", "2", "--eval-windows", "4", "--seed", "3", "--window-start", "line", "--quiet");
        String log = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, log);
        assertTrue(log.contains("hyper-parameters: {"), log);
        assertTrue(log.contains("held-out loss"), log);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json",
            Trainer.ARGS_FILE, Trainer.LOG_FILE, Trainer.RESULTS_FILE, "training_state/state.json", "training_state/optimizer.safetensors"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        var args = new ObjectMapper().readTree(out.resolve(Trainer.ARGS_FILE).toFile());
        assertEquals(3, args.get("seed").asInt());
        assertEquals("line", args.get("window_start").asText());
        assertTrue(args.path("run").path("window_starts").asInt() > 10, args.toString()); // one per verse line of Genesis 1–6

        ByteArrayOutputStream refused = new ByteArrayOutputStream();
        assertEquals(2, run(refused, "train", "--out", out.toString(), "--resume", "--steps", "6", "--lr", "1"));
        assertTrue(refused.toString(StandardCharsets.UTF_8).contains("--lr"));

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        assertEquals(2, run(again, "train", "--out", out.toString(), "--arch", "gpt2", "--corpus", corpus, "--vocab-size", "280"));
        assertTrue(again.toString(StandardCharsets.UTF_8).contains("--resume"));

        ByteArrayOutputStream resumed = new ByteArrayOutputStream();
        assertEquals(0, run(resumed, "train", "--out", out.toString(), "--resume", "--steps", "6", "--quiet"),
                resumed.toString(StandardCharsets.UTF_8));
        assertTrue(resumed.toString(StandardCharsets.UTF_8).contains("resuming"));
        assertEquals(6, new ObjectMapper().readTree(out.resolve("training_state/state.json").toFile()).get("step").asInt());

        ByteArrayOutputStream badStart = new ByteArrayOutputStream();
        assertEquals(2, run(badStart, "train", "--out", tmp.resolve("y").toString(), "--arch", "gpt2", "--corpus", corpus,
                "--vocab-size", "280", "--window-start", "verse"));
        assertTrue(badStart.toString(StandardCharsets.UTF_8).contains("--window-start must be any or line"));

        ByteArrayOutputStream noTokenizer = new ByteArrayOutputStream();
        assertEquals(2, run(noTokenizer, "train", "--out", tmp.resolve("x").toString(), "--arch", "gpt2", "--corpus", corpus));
        assertTrue(noTokenizer.toString(StandardCharsets.UTF_8).contains("--vocab-size"));
    }
}
