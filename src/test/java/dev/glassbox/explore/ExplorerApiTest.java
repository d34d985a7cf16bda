package dev.glassbox.explore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.cli.CliRun;
import dev.glassbox.generate.GenerationDefaults;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.inspect.AttentionAnalysis;
import dev.glassbox.inspect.DecodingView;
import dev.glassbox.inspect.Journey;
import dev.glassbox.inspect.JourneyJson;
import dev.glassbox.inspect.LogitAttribution;
import dev.glassbox.inspect.LogitLens;
import dev.glassbox.inspect.TokenLabels;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The explorer's JSON API over real HTTP: each endpoint gives the library's own analyses for the
 * same input (and the distribution and the attribution also match values computed here in plain
 * doubles), and bad requests get a JSON error with a 4xx status while the server keeps serving.
 */
class ExplorerApiTest {

    static final String PROMPT = "Once upon a time, there was a little";
    static final ObjectMapper JSON = new ObjectMapper();
    static LanguageModel model;
    static ExplorerServer server;
    static HttpClient http;
    static long[] ids;
    static float[] next; // raw next-token logits at the last position

    @BeforeAll
    static void start() {
        model = LanguageModel.load(Reference.model("models/stories260K"));
        server = ExplorerServer.start(new ExplorerApi(model), 0);
        http = HttpClient.newHttpClient();
        ids = model.toTokens(PROMPT);
        float[][] all = model.logits(ids);
        next = all[ids.length - 1];
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    record Reply(int status, JsonNode json) {}

    static Reply post(String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), path + ": " + r.body());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    static Reply get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")
                ? JSON.readTree(r.body()) : null);
    }

    static JsonNode ok(String path, String body) throws Exception {
        Reply r = post(path, body);
        assertEquals(200, r.status(), path + " " + body + ": " + r.json());
        return r.json();
    }

    static String prompt(String extra) {
        return "{\"prompt\": \"" + PROMPT + "\"" + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    /** Token ids by raw logit, largest first, lower id first on ties: computed here, not by the library. */
    static Integer[] byLogit() {
        Integer[] order = IntStream.range(0, next.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -next[i]).thenComparingInt(i -> i));
        return order;
    }

    /** softmax(next / t) in doubles over the given ids only. */
    static double[] softmaxOver(List<Integer> kept, double t) {
        double max = kept.stream().mapToDouble(i -> next[i] / t).max().orElseThrow();
        double[] w = kept.stream().mapToDouble(i -> Math.exp(next[i] / t - max)).toArray();
        double z = Arrays.stream(w).sum();
        return Arrays.stream(w).map(x -> x / z).toArray();
    }

    @Test
    void modelDescribesTheCheckpointAndTheLimits() throws Exception {
        Reply r = get("/api/model");
        assertEquals(200, r.status());
        assertEquals(model.config().numLayers(), r.json().get("model").get("layers").asInt());
        assertEquals(model.config().numHeads(), r.json().get("model").get("heads").asInt());
        assertEquals(Math.min(256, model.config().maxPositions()), r.json().get("max_prompt_tokens").asInt());
        assertTrue(r.json().get("sampling_defaults").get("greedy").asBoolean(), "stories260K's generation_config is greedy");
        assertTrue(r.json().get("endpoints").toString().contains("POST /api/distribution"));
    }

    @Test
    void tokensAreTheTokenizersIds() throws Exception {
        JsonNode r = ok("/api/tokens", prompt(""));
        assertArrayEquals(ids, longs(r.get("input_ids")));
        List<String> texts = model.toStrTokens(ids);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(i, r.get("tokens").get(i).get("position").asInt());
            assertEquals(texts.get(i), r.get("tokens").get(i).get("text").asText());
        }
        assertArrayEquals(new long[] {1, 2, 3}, longs(ok("/api/tokens", "{\"ids\": [1, 2, 3]}").get("input_ids")));
    }

    @Test
    void topKAndTemperatureKeepTheKMostLikelyWithRenormalisedProbabilities() throws Exception {
        JsonNode r = ok("/api/distribution", prompt("\"temperature\": 0.7, \"top_k\": 5, \"show_top\": 12"));
        Integer[] order = byLogit();
        List<Integer> kept = Arrays.asList(order).subList(0, 5);
        double[] expected = softmaxOver(kept, 0.7);
        JsonNode survivors = r.get("decoding").get("survivors");
        assertEquals(5, r.get("decoding").get("kept_count").asInt());
        assertEquals(5, survivors.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(kept.get(i).longValue(), survivors.get(i).get("id").asLong());
            assertEquals(expected[i], survivors.get(i).get("prob").asDouble(), 1e-6);
        }
        // the raw list: twelve most likely at temperature 1, the first five marked as survivors
        double z = IntStream.range(0, next.length).mapToDouble(i -> Math.exp(next[i] - next[order[0]])).sum();
        JsonNode top = r.get("top");
        assertEquals(12, top.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(order[i].longValue(), top.get(i).get("id").asLong());
            assertEquals(Math.exp(next[order[i]] - next[order[0]]) / z, top.get(i).get("prob").asDouble(), 1e-6);
            assertEquals(i < 5, top.get(i).get("survives").asBoolean(), "survives at rank " + (i + 1));
            assertEquals(i < 5, top.get(i).get("survivor_prob").isNumber());
        }
        assertEquals(order[0].longValue(), r.get("decoding").get("greedy_id").asLong());
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() throws Exception {
        JsonNode r = ok("/api/distribution", prompt("\"top_p\": 0.5"));
        Integer[] order = byLogit();
        List<Integer> all = Arrays.asList(order);
        double[] p = softmaxOver(all, 1.0);
        int n = 0;
        double mass = 0;
        while (mass < 0.5) {
            mass += p[n++];
        }
        assertEquals(n, r.get("decoding").get("kept_count").asInt());
        assertEquals(n, countSurvivors(r.get("top")));
    }

    static int countSurvivors(JsonNode top) {
        int n = 0;
        for (JsonNode t : top) {
            n += t.get("survives").asBoolean() ? 1 : 0;
        }
        return n;
    }

    @Test
    void distributionIsTheDecodingViewOfGeneration() throws Exception {
        // the model's own defaults (greedy here) when nothing is given, as glassbox generate resolves them
        JsonNode greedy = ok("/api/distribution", prompt(""));
        assertTrue(greedy.get("sampling").get("greedy").asBoolean());
        assertEquals(model.config().vocabSize(), greedy.get("decoding").get("kept_count").asInt());
        // a seeded draw equals the library's decoding view with the same resolved settings
        JsonNode r = ok("/api/distribution", prompt("\"temperature\": 1.3, \"top_p\": 0.9, \"min_p\": 0.01, \"seed\": 7, \"repetition_penalty\": 1.2"));
        SamplingConfig cfg = GenerationDefaults.resolve(model.generationDefaults(), SamplingConfig.builder()
                .temperature(1.3).topP(0.9).minP(0.01).seed(7L).repetitionPenalty(1.2).build());
        DecodingView.Result lib = DecodingView.explain(cfg, next, ids, 20, new TokenLabels(model.tokenizer()));
        assertEquals(tree(lib), r.get("decoding"));
        assertEquals(7, r.get("decoding").get("seed").asLong());
    }

    @Test
    void attentionIsTheLibrarysPattern() throws Exception {
        AttentionAnalysis.Result lib = AttentionAnalysis.run(model, ids);
        int layers = model.config().numLayers();
        int heads = model.config().numHeads();
        JsonNode layer = ok("/api/attention", prompt("\"layer\": " + (layers - 1)));
        assertEquals(heads, layer.get("patterns").size());
        JsonNode one = ok("/api/attention", prompt("\"layer\": 1, \"head\": 3"));
        assertEquals(1, one.get("patterns").size());
        JsonNode pattern = one.get("patterns").get(0).get("pattern");
        float[][] expected = lib.pattern(1, 3);
        for (int q = 0; q < ids.length; q++) {
            double rowSum = 0;
            for (int k = 0; k < ids.length; k++) {
                float v = (float) pattern.get(q).get(k).asDouble();
                assertEquals(expected[q][k], v, 0f);
                rowSum += v;
                if (k > q) {
                    assertEquals(0f, v, "causal: query " + q + " cannot read key " + k);
                }
            }
            assertEquals(1.0, rowSum, 1e-5);
        }
        assertEquals(tree(lib.pattern(layers - 1, 0)), layer.get("patterns").get(0).get("pattern"));
        assertEquals(ids.length, one.get("tokens").size());
    }

    /** A library value as the API's mapper writes it, read back as a tree (numbers compare as parsed). */
    static JsonNode tree(Object value) throws IOException {
        return JSON.readTree(ApiJson.MAPPER.writeValueAsString(value));
    }

    @Test
    void lensIsTheLibrarysLensAndEndsAtTheModelsPrediction() throws Exception {
        JsonNode r = ok("/api/lens", prompt(""));
        long argmax = byLogit()[0];
        assertEquals(argmax, r.get("target_id").asLong());
        LogitLens.Result lib = LogitLens.run(model, ids, 3, argmax);
        assertEquals(tree(lib.cells()), r.get("cells"));
        int stages = model.config().numLayers() + 1;
        assertEquals(stages, r.get("stages").size());
        assertEquals("embed", r.get("stages").get(0).asText());
        // the last stage is what the model outputs
        assertEquals(argmax, r.get("cells").get(stages - 1).get(ids.length - 1).get("top").get(0).get("id").asLong());
        JsonNode chosen = ok("/api/lens", prompt("\"target_id\": 42"));
        assertEquals(tree(LogitLens.run(model, ids, 3, 42).targetProbs(ids.length - 1)), chosen.get("target_probs"));
    }

    @Test
    void attributionIsTheLibrarysAndAddsUpToTheLogit() throws Exception {
        JsonNode r = ok("/api/attribution", prompt("\"target_id\": 42, \"position\": 3"));
        LogitAttribution.Result lib = LogitAttribution.attribute(model, ids, 3, 42);
        assertEquals(tree(lib.terms()), r.get("terms"));
        float logit = model.logits(ids)[3][42];
        assertEquals(logit, r.get("logit").floatValue(), 0f);
        assertEquals(logit, r.get("sum").asDouble(), 1e-3);
        double layerSum = r.get("embedding").asDouble();
        for (JsonNode l : r.get("layers")) {
            double heads = 0;
            for (JsonNode h : l.get("heads")) {
                heads += h.asDouble();
            }
            assertEquals(l.get("attention").asDouble(), heads, 1e-4, "heads add up to the layer's attention");
            layerSum += l.get("attention").asDouble() + l.get("mlp").asDouble();
        }
        assertEquals(logit, layerSum, 1e-3);
        // without a target: the most likely token at the last position
        assertEquals((long) byLogit()[0], ok("/api/attribution", prompt("")).get("target_id").asLong());
    }

    @Test
    void journeyIsTheJourneyJson() throws Exception {
        JsonNode r = ok("/api/journey", prompt("\"steps\": 2"));
        String lib = JourneyJson.render(Journey.run(model, ids, PROMPT, Journey.Options.defaults().withSteps(2)
                .withSampling(GenerationDefaults.resolve(model.generationDefaults(), null))), false);
        assertEquals(JSON.readTree(lib), r);
    }

    @Test
    void patchIsTheLibrarysSweepLaidOutAsGlassboxPatch() throws Exception {
        String clean = "Once upon a time, there was a little girl. The little";
        String corrupt = "Once upon a time, there was a little boy. The little";
        long[] c = model.toTokens(clean);
        long[] k = model.toTokens(corrupt);
        // by default the target is the clean run's most likely next token, the baseline the corrupt run's
        long target = argmax(model.logits(c)[c.length - 1]);
        long baseline = argmax(model.logits(k)[k.length - 1]);
        JsonNode r = ok("/api/patch", "{\"clean\": \"" + clean + "\", \"corrupt\": \"" + corrupt + "\"}");
        assertEquals(target, r.get("target_id").asLong());
        assertEquals(baseline, r.get("baseline_id").asLong());
        dev.glassbox.patching.PatchResult lib = dev.glassbox.patching.ActivationPatching.sweep(model,
                dev.glassbox.patching.PatchSpec.of(c, k, target, baseline));
        assertEquals(lib.cleanMetric(), r.get("clean_metric").asDouble(), 0.0);
        assertEquals(lib.corruptMetric(), r.get("corrupt_metric").asDouble(), 0.0);
        // the metric is logit(target) - logit(baseline) at the last position of each run
        float[] cl = model.logits(c)[c.length - 1];
        assertEquals(cl[(int) target] - cl[(int) baseline], r.get("clean_metric").asDouble(), 1e-5);
        for (dev.glassbox.patching.PatchGrid g : dev.glassbox.patching.PatchGrid.values()) {
            Object raw = g.perHead() ? lib.headGrid() : lib.grid2d(g);
            assertEquals(tree(raw), r.get("raw").get(g.jsonName()), g.jsonName());
        }
        float[][] resid = lib.grid2d(dev.glassbox.patching.PatchGrid.RESID_PRE);
        for (int l = 0; l < resid.length; l++) {
            for (int p = 0; p < resid[l].length; p++) {
                assertEquals(lib.normalize(resid[l][p]), r.get("normalized").get("resid_pre").get(l).get(p).asDouble(), 1e-12);
            }
        }
        // before layer 0 the residual stream is the token's embedding: where the two inputs share the token,
        // patching it changes nothing
        for (int p = 0; p < c.length; p++) {
            if (c[p] == k[p]) {
                assertEquals(0.0, r.get("normalized").get("resid_pre").get(0).get(p).asDouble(), 1e-4, "position " + p);
            }
        }
        assertEquals(model.config().numLayers(), r.get("layers").asInt());
        assertEquals(c.length, r.get("positions").size());
        JsonNode only = ok("/api/patch", "{\"clean_ids\": " + Arrays.toString(c) + ", \"corrupt_ids\": " + Arrays.toString(k)
                + ", \"target_id\": " + target + ", \"baseline_id\": " + baseline + ", \"what\": [\"resid_pre\"]}");
        assertEquals(1, only.get("raw").size());
        assertEquals(r.get("raw").get("resid_pre"), only.get("raw").get("resid_pre"));
        Reply unequal = post("/api/patch", "{\"clean\": \"Once upon a time\", \"corrupt\": \"Once upon\"}");
        assertEquals(400, unequal.status());
        assertTrue(unequal.json().get("error").get("message").asText().contains("same number of tokens"));
        assertEquals("bad_field", post("/api/patch", "{\"clean\": \"a b\", \"corrupt\": \"a c\", \"what\": [\"nope\"]}")
                .json().get("error").get("code").asText());
        assertEquals("missing_field", post("/api/patch", "{\"clean\": \"a b\"}").json().get("error").get("code").asText());
    }

    static long argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    @Test
    void badRequestsGetAJsonErrorAndTheServerKeepsServing() throws Exception {
        String longText = "x".repeat(ExplorerApi.MAX_PROMPT_CHARS + 1);
        String manyTokens = "Once upon a time ".repeat(80);
        Object[][] cases = {
            {"/api/distribution", "{\"prompt\": ", 400, "bad_json"},
            {"/api/distribution", "[1, 2]", 400, "bad_json"},
            {"/api/distribution", "{\"prompt\": \"a\"} {}", 400, "bad_json"},
            {"/api/distribution", "{\"prompt\": \"a\", \"top_kk\": 3}", 400, "unknown_field"},
            {"/api/distribution", "{\"prompt\": \"a\", \"top_k\": \"3\"}", 400, "bad_field"},
            {"/api/distribution", "{\"prompt\": \"a\", \"top_k\": 2.5}", 400, "bad_field"},
            {"/api/distribution", "{\"prompt\": \"a\", \"temperature\": -1}", 400, "bad_field"},
            {"/api/distribution", "{\"prompt\": \"a\", \"greedy\": true, \"top_k\": 3}", 400, "bad_field"},
            {"/api/distribution", "{}", 400, "missing_field"},
            {"/api/distribution", "{\"prompt\": \"a\", \"ids\": [1]}", 400, "bad_field"},
            {"/api/distribution", "{\"ids\": [1, 99999]}", 400, "bad_field"},
            {"/api/distribution", "{\"ids\": []}", 400, "empty_prompt"},
            {"/api/distribution", "{\"prompt\": \"" + longText + "\"}", 400, "prompt_too_long"},
            {"/api/distribution", "{\"prompt\": \"" + manyTokens + "\"}", 400, "prompt_too_long"},
            {"/api/attention", "{\"prompt\": \"a\"}", 400, "missing_field"},
            {"/api/attention", "{\"prompt\": \"a\", \"layer\": 99}", 400, "unknown_layer"},
            {"/api/attention", "{\"prompt\": \"a\", \"layer\": 0, \"head\": 99}", 400, "unknown_head"},
            {"/api/attention", "{\"prompt\": \"a\", \"layer\": -1}", 400, "unknown_layer"},
            {"/api/lens", "{\"prompt\": \"a\", \"target\": \"Once upon\"}", 400, "bad_field"},
            {"/api/attribution", "{\"prompt\": \"a\", \"position\": 50}", 400, "bad_field"},
            {"/api/attribution", "{\"prompt\": \"a\", \"target_id\": -3}", 400, "bad_field"},
            {"/api/journey", "{\"prompt\": \"a\", \"steps\": 100}", 400, "bad_field"},
            {"/api/nothing", "{}", 404, "not_found"},
            {"/api/distribution", "{\"prompt\": \"" + "y".repeat(ExplorerServer.MAX_BODY_BYTES) + "\"}", 413, "body_too_large"},
        };
        for (Object[] c : cases) {
            Reply r = post((String) c[0], (String) c[1]);
            String what = c[0] + " " + ((String) c[1]).substring(0, Math.min(60, ((String) c[1]).length()));
            assertEquals(c[2], r.status(), what + ": " + r.json());
            JsonNode e = r.json().get("error");
            assertEquals(c[3], e.get("code").asText(), what + ": " + r.json());
            assertEquals((int) c[2], e.get("status").asInt());
            assertFalse(e.get("message").asText().isBlank());
            assertEquals(200, get("/api/model").status(), "still serving after " + what);
        }
        assertTrue(post("/api/distribution", "{\"prompt\": \"a\", \"top_kk\": 3}").json().toString().contains("top_kk"));
        assertEquals(405, get("/api/distribution").json().get("error").get("status").asInt());
        assertEquals(404, get("/secret.txt").status());
    }

    @Test
    void foreignHostsAndBrokenLengthsAreRefused() throws Exception {
        assertTrue(raw("GET /api/model HTTP/1.1\r\nHost: evil.example:" + server.port() + "\r\n\r\n").startsWith("HTTP/1.1 403"));
        assertTrue(raw("POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nContent-Length: 99999999\r\n\r\n{}").startsWith("HTTP/1.1 413"));
        assertTrue(raw("GET /api/model HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\n\r\n").startsWith("HTTP/1.1 200"));
        assertEquals(200, get("/api/model").status());
    }

    static String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = in.readNBytes(head, 0, head.length);
            return new String(head, 0, n, StandardCharsets.US_ASCII);
        }
    }

    @Test
    void concurrentRequestsGetWhatSequentialOnesGet() throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            bodies.add("{\"prompt\": \"Once upon a time " + "there ".repeat(i) + "\", \"top_k\": " + (i + 1) + ", \"temperature\": 0.9, \"seed\": " + i + "}");
        }
        List<JsonNode> sequential = new ArrayList<>();
        for (String b : bodies) {
            sequential.add(ok("/api/distribution", b));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<JsonNode>> parallel = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (String b : bodies) {
                    parallel.add(pool.submit(() -> ok("/api/distribution", b)));
                    parallel.add(pool.submit(() -> ok("/api/attention", "{\"prompt\": \"Once upon\", \"layer\": 0}")));
                }
            }
            for (int i = 0; i < parallel.size(); i += 2) {
                assertEquals(sequential.get((i / 2) % bodies.size()), parallel.get(i).get());
                assertEquals(model.config().numHeads(), parallel.get(i + 1).get().get("patterns").size());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nativeMemoryDoesNotGrowWithRequests() throws Exception {
        ok("/api/lens", prompt(""));
        int before = model.manager().getManagedArrays().size();
        for (int i = 0; i < 5; i++) {
            ok("/api/distribution", "{\"prompt\": \"Once upon a time " + i + "\", \"top_k\": 3}");
            ok("/api/attention", prompt("\"layer\": 0"));
            ok("/api/lens", prompt(""));
            ok("/api/attribution", prompt(""));
        }
        assertEquals(before, model.manager().getManagedArrays().size(), "NDArrays left behind by requests");
    }

    @Test
    void aTakenPortIsOneClearLine() {
        GlassboxException e = assertThrows(GlassboxException.class, () -> ExplorerServer.checkPort(server.port()));
        assertTrue(e.getMessage().contains("port " + server.port() + " on 127.0.0.1 is in use") && e.getMessage().contains("--port 0"),
                e.getMessage());
        CliRun run = CliRun.of("explore", "--model", Reference.model("models/stories260K").toString(), "--port", String.valueOf(server.port()));
        assertEquals(2, run.code());
        assertTrue(run.err().startsWith("glassbox: error: port " + server.port()), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        CliRun bad = CliRun.of("explore", "--port", "70000");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--port must be in 0..65535"), bad.err());
    }
}
