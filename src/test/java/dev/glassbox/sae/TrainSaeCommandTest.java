package dev.glassbox.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.Engines;
import dev.glassbox.ModelLocator;
import dev.glassbox.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short train-sae run on the bundled model: SAELens's layout written, reloadable, and the fit improving. */
class TrainSaeCommandTest {

    static final Path DIR = Path.of("model-zoo", ModelLocator.DEFAULT_MODEL);

    @Test
    void shortRunWritesAnSaeThatReloadsAndLearns(@TempDir Path dir) throws Exception {
        String verses = "In the beginning God created the heaven and the earth.\n"
                + "And the earth was without form, and void; and darkness was upon the face of the deep.\n"
                + "And the Spirit of God moved upon the face of the waters.\n"
                + "And God said, Let there be light: and there was light.\n"
                + "And God saw the light, that it was good: and God divided the light from the darkness.\n";
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, verses.repeat(20));
        Path out = dir.resolve("sae");
        CliRun r = CliRun.of("train-sae", "--model", DIR.toString(), "--hook", "blocks.1.hook_resid_post", "--d-sae", "128",
                "--k", "8", "--input", corpus.toString(), "--out", out.toString(), "--steps", "40", "--batch-size", "128",
                "--lr", "3e-3", "--context-size", "16", "--log-every", "10", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode cfg = new ObjectMapper().readTree(Files.readString(out.resolve("cfg.json")));
        assertEquals("topk", cfg.get("architecture").asText());
        assertEquals(8, cfg.get("k").asInt());
        assertEquals(256, cfg.get("d_in").asInt());
        assertEquals(128, cfg.get("d_sae").asInt());
        assertEquals("blocks.1.hook_resid_post", cfg.get("hook_name").asText());
        List<String> log = Files.readAllLines(out.resolve("training_log.jsonl"));
        assertEquals(4, log.size());
        ObjectMapper json = new ObjectMapper();
        double first = json.readTree(log.get(0)).get("explained_variance").asDouble();
        double last = json.readTree(log.get(3)).get("explained_variance").asDouble();
        assertTrue(last > first + 0.05 && last > 0.3, "explained variance should improve: " + first + " -> " + last);
        JsonNode res = json.readTree(Files.readString(out.resolve("train_results.json")));
        assertEquals(8.0, res.get("held_out").get("mean_l0").asDouble(), 0.5);
        Engines.init();
        try (NDManager m = NDManager.newBaseManager("PyTorch"); SparseAutoencoder sae = SparseAutoencoder.load(out, m)) {
            assertEquals(SaeConfig.Architecture.TOPK, sae.config().architecture());
            assertEquals(128, sae.config().dSae());
        }
    }
}
