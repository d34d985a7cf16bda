package dev.glassbox.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.Reference;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's JSON is a contract: field names and values as in reference.json. */
class CliTest {

    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, String.join(" ", args));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void scoreJsonMatchesReferenceFieldByField() throws Exception {
        String dir = "fixtures/gemma-tiny";
        JsonNode ref = Reference.reference(dir).get("results").get(0);
        String ids = ref.get("input_ids").toString().replaceAll("[\\[\\] ]", "");
        JsonNode got = new ObjectMapper().readTree(run("score", "--model", Reference.model(dir).toString(),
                "--ids", ids, "--json", "--hidden", "--attn", "--show-top", "5", "--quiet"));
        assertEquals(ref.get("input_ids"), got.get("input_ids"));
        close(ref.get("last_logits"), got.get("last_logits"), 1e-4);
        close(ref.get("next_token_logprobs"), got.get("next_token_logprobs"), 1e-4);
        assertEquals(ref.get("perplexity").asDouble(), got.get("perplexity").asDouble(), 1e-4 * ref.get("perplexity").asDouble());
        for (int i = 0; i < ref.get("positions").size(); i++) {
            close(ref.get("positions").get(i).get("topk_logprobs"), got.get("positions").get(i).get("topk_logprobs"), 1e-4);
            assertEquals(ref.get("positions").get(i).get("topk_ids").get(0), got.get("positions").get(i).get("topk_ids").get(0));
        }
        for (int l = 0; l < ref.get("hidden_states_last").size(); l++) {
            close(ref.get("hidden_states_last").get(l), got.get("hidden_states_last").get(l), 1e-4);
        }
        for (int h = 0; h < ref.get("last_layer_attentions").size(); h++) {
            for (int q = 0; q < ref.get("last_layer_attentions").get(h).size(); q++) {
                close(ref.get("last_layer_attentions").get(h).get(q), got.get("last_layer_attentions").get(h).get(q), 1e-4);
            }
        }
    }

    @Test
    void generateJsonHasTheContractFields() throws Exception {
        JsonNode r = Reference.reference("models/tiny-gpt2-random").get("results").get(0);
        String ids = r.get("input_ids").toString().replaceAll("[\\[\\] ]", "");
        JsonNode got = new ObjectMapper().readTree(run("generate", "--model", Reference.model("models/tiny-gpt2-random").toString(),
                "--ids", ids, "--greedy", "--no-eos", "--max-new-tokens", "24", "--json", "--quiet"));
        assertEquals(r.get("input_ids"), got.get("input_ids"));
        assertEquals(r.get("generate").get("ids"), got.get("ids"));
        assertTrue(got.get("text").isTextual());
        assertEquals(24, got.get("tokens").size());
    }

    @Test
    void samplingWithASeedReproducesAndInitWritesALoadableCheckpoint(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("tiny");
        run("init", "--arch", "gpt2", "--n-layer", "2", "--n-embd", "32", "--n-head", "4", "--vocab-size", "100", "--n-positions", "64", "--out", out.toString());
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        String[] args = {"generate", "--model", out.toString(), "--ids", "1,2,3", "--temperature", "1.3", "--top-k", "20", "--seed", "9", "--max-new-tokens", "12", "--json", "--quiet"};
        JsonNode a = new ObjectMapper().readTree(run(args));
        JsonNode b = new ObjectMapper().readTree(run(args));
        assertEquals(a.get("ids"), b.get("ids"));
        assertEquals(12, a.get("ids").size());
        Path llama = tmp.resolve("llama");
        run("init", "--arch", "llama", "--n-layer", "2", "--n-embd", "32", "--n-head", "4", "--n-kv-head", "2", "--n-inner", "64", "--vocab-size", "100", "--n-positions", "64", "--out", llama.toString());
        JsonNode s = new ObjectMapper().readTree(run("score", "--model", llama.toString(), "--ids", "1,2,3,4", "--json", "--quiet"));
        assertEquals(3, s.get("next_token_logprobs").size());
    }

    static void close(JsonNode expected, JsonNode actual, double tol) {
        float[] e = Reference.floats(expected);
        float[] a = Reference.floats(actual);
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "index " + i);
        }
    }
}
