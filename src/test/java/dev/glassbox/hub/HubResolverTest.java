package dev.glassbox.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60) // every test is bounded even if a request loop were not
class HubResolverTest {
    static final String C1 = "1111111111111111111111111111111111111111";
    static final String C0 = "0000000000000000000000000000000000000abc";
    static final String ID = "acme/tiny";

    @TempDir
    Path tmp;
    FakeHub hub;
    Path cache;

    byte[] config = utf8("{\"model_type\":\"gpt2\",\"n_layer\":2}");
    byte[] oldConfig = utf8("{\"model_type\":\"gpt2\",\"n_layer\":1}");
    byte[] tokenizer = utf8("{\"version\":\"1.0\"}");
    byte[] weights = randomBytes(300_000, 1);

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("hub-cache");
        Map<String, byte[]> current = new LinkedHashMap<>();
        current.put(".gitattributes", utf8("*.safetensors filter=lfs"));
        current.put("README.md", utf8("# tiny"));
        current.put("config.json", config);
        current.put("tokenizer.json", tokenizer);
        current.put("generation_config.json", utf8("{}"));
        current.put("model.safetensors", weights);
        current.put("pytorch_model.bin", randomBytes(1000, 2));
        current.put("flax_model.msgpack", randomBytes(1000, 3));
        current.put("onnx/model.onnx", randomBytes(1000, 4));
        Map<String, byte[]> old = new LinkedHashMap<>();
        old.put("config.json", oldConfig);
        old.put("model.safetensors", weights); // unchanged weights: the same blob serves both commits
        hub.repo(ID).commit(C1, current).commit(C0, old).ref("main", C1).ref("v1.0", C0);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubResolver.Builder settings() {
        return HubResolver.builder().cacheDir(cache).endpoint(hub.endpoint()).quiet(true)
                .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(5));
    }

    Path repoDir(String id) {
        return cache.resolve("models--" + id.replace("/", "--"));
    }

    @Test
    void firstResolveDownloadsOnlyNeededFilesAndBuildsTheCacheLayout() throws IOException {
        Path snapshot = settings().build().resolve(ID, null);

        Path repo = repoDir(ID);
        assertEquals(repo.resolve("snapshots").resolve(C1), snapshot);
        assertEquals(C1, Files.readString(repo.resolve("refs/main"))); // no newline, like huggingface_hub
        assertEquals(Set.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json"),
                listNames(snapshot));

        // Each snapshot entry is a relative symlink to its blob, named by etag.
        Map<String, String> expectedBlob = Map.of(
                "config.json", FakeHub.gitBlobSha1(config),
                "tokenizer.json", FakeHub.gitBlobSha1(tokenizer),
                "model.safetensors", FakeHub.sha256(weights));
        for (var e : expectedBlob.entrySet()) {
            Path link = snapshot.resolve(e.getKey());
            assertTrue(Files.isSymbolicLink(link), e.getKey());
            assertEquals(Path.of("../../blobs/" + e.getValue()), Files.readSymbolicLink(link));
        }
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertArrayEquals(config, Files.readAllBytes(snapshot.resolve("config.json")));
        Set<String> blobs = listNames(repo.resolve("blobs"));
        assertEquals(4, blobs.size(), blobs.toString());
        assertTrue(blobs.containsAll(expectedBlob.values()));
        assertTrue(blobs.stream().noneMatch(b -> b.endsWith(".incomplete")));

        for (String unwanted : List.of("README.md", "flax_model.msgpack", "pytorch_model.bin", "model.onnx", ".gitattributes")) {
            assertFalse(hub.requested(unwanted), unwanted + " must not be requested");
        }
        assertEquals(1, hub.requestsTo("cdn").size());
        assertEquals("/api/models/acme/tiny/revision/main", hub.requests.get(0).path());
    }

    @Test
    void secondResolveWorksOfflineFromTheCacheWithoutTheServer() {
        Path first = settings().build().resolve(ID, null);
        int before = hub.requests.size();

        // Online again: one API call, nothing re-downloaded.
        assertEquals(first, settings().build().resolve(ID, "main"));
        assertEquals(before + 1, hub.requests.size());

        hub.close();
        int after = hub.requests.size();
        assertEquals(first, settings().offline(true).build().resolve(ID, null));
        assertEquals(first, settings().offline(true).build().resolve(ID, C1)); // a commit needs no ref
        assertEquals(after, hub.requests.size());
    }

    @Test
    void offlineWithoutCacheNamesWhatIsMissing() throws IOException {
        HubResolver offline = settings().offline(true).endpoint("http://127.0.0.1:9").build();
        GlassboxException e = assertThrows(GlassboxException.class, () -> offline.resolve(ID, null));
        assertTrue(e.getMessage().contains(ID) && e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());

        // A snapshot Python left with config.json only: the missing weights are named.
        Path snapshot = repoDir(ID).resolve("snapshots").resolve(C1);
        Files.createDirectories(snapshot);
        Files.write(snapshot.resolve("config.json"), config);
        Files.createDirectories(repoDir(ID).resolve("refs"));
        Files.writeString(repoDir(ID).resolve("refs/main"), C1);
        e = assertThrows(GlassboxException.class, () -> offline.resolve(ID, null));
        assertTrue(e.getMessage().contains("lacks model weights"), e.getMessage());

        e = assertThrows(GlassboxException.class, () -> offline.resolve(ID, "dev"));
        assertTrue(e.getMessage().contains("refs/dev"), e.getMessage());
        assertTrue(hub.requests.isEmpty());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void reusesBlobsAndSnapshotsPythonAlreadyDownloaded() throws IOException {
        // What huggingface_hub leaves after downloading model.safetensors of commit C0.
        Path repo = repoDir(ID);
        String sha = FakeHub.sha256(weights);
        Files.createDirectories(repo.resolve("blobs"));
        Files.write(repo.resolve("blobs").resolve(sha), weights);

        Path snapshot = settings().build().resolve(ID, null);
        assertTrue(hub.requestsTo("cdn").isEmpty(), "the cached blob is reused, not downloaded");
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(snapshot.resolve("model.safetensors")));
    }

    @Test
    void shardedIndexDownloadsOnlyTheShardsItNames() throws IOException {
        byte[] shard1 = randomBytes(50_000, 5);
        byte[] shard2 = randomBytes(40_000, 6);
        String index = "{\"metadata\":{\"total_size\":90000},\"weight_map\":{"
                + "\"a.weight\":\"model-00001-of-00002.safetensors\","
                + "\"b.weight\":\"model-00002-of-00002.safetensors\","
                + "\"c.weight\":\"model-00001-of-00002.safetensors\"}}";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", config);
        files.put("model.safetensors.index.json", utf8(index));
        files.put("model-00001-of-00002.safetensors", shard1);
        files.put("model-00002-of-00002.safetensors", shard2);
        files.put("consolidated.safetensors", randomBytes(90_000, 7)); // a stale copy next to the shards
        hub.repo("acme/sharded").commit(C1, files).ref("main", C1);

        // With progress bars on, to exercise them (they draw on stderr).
        Path snapshot = settings().quiet(false).build().resolve("acme/sharded", null);

        assertEquals(Set.of("config.json", "model.safetensors.index.json",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), listNames(snapshot));
        assertArrayEquals(shard2, Files.readAllBytes(snapshot.resolve("model-00002-of-00002.safetensors")));
        assertFalse(hub.requested("consolidated.safetensors"));
        assertEquals(2, hub.requestsTo("cdn").size());
        assertTrue(CheckpointFiles.missingIn(snapshot).isEmpty());
    }

    @Test
    void pytorchBinIsFetchedOnlyWhenThereAreNoSafetensors() throws IOException {
        byte[] bin = randomBytes(20_000, 8);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", config);
        files.put("pytorch_model.bin", bin);
        files.put("tf_model.h5", randomBytes(100, 9));
        hub.repo("acme/old").commit(C1, files).ref("main", C1);

        Path snapshot = settings().build().resolve("acme/old", null);
        assertEquals(Set.of("config.json", "pytorch_model.bin"), listNames(snapshot));
        assertArrayEquals(bin, Files.readAllBytes(snapshot.resolve("pytorch_model.bin")));
        assertFalse(hub.requested("tf_model.h5"));
    }

    @Test
    void revisionPinningToACommitAndATag() throws IOException {
        Path pinned = settings().build().resolve(ID, C0);
        assertEquals(repoDir(ID).resolve("snapshots").resolve(C0), pinned);
        assertArrayEquals(oldConfig, Files.readAllBytes(pinned.resolve("config.json")));
        assertTrue(hub.requestsTo("hub").stream().allMatch(r -> r.path().contains(C0)), "only commit C0 is asked for");
        assertFalse(Files.exists(repoDir(ID).resolve("refs")), "a commit is not a ref");

        // A tag pointing at the same commit: same snapshot, refs/v1.0 recorded, blob not fetched again.
        assertEquals(pinned, settings().build().resolve(ID, "v1.0"));
        assertEquals(C0, Files.readString(repoDir(ID).resolve("refs/v1.0")));

        // main shares model.safetensors with C0: one blob, one CDN download in all.
        Path main = settings().build().resolve(ID, null);
        assertArrayEquals(config, Files.readAllBytes(main.resolve("config.json")));
        assertEquals(1, hub.requestsTo("cdn").size());

        GlassboxException e = assertThrows(GlassboxException.class, () -> settings().build().resolve(ID, "nope"));
        assertTrue(e.getMessage().contains("revision 'nope' not found in " + ID), e.getMessage());
    }

    @Test
    void notFoundAndUnauthorizedGiveClearErrors() {
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> settings().build().resolve("acme/missing", null));
        assertTrue(e.getMessage().contains("acme/missing") && e.getMessage().contains("not found"), e.getMessage());

        hub.repo("acme/private").commit(C1, Map.of("config.json", config)).apiStatus = 401;
        e = assertThrows(GlassboxException.class, () -> settings().build().resolve("acme/private", null));
        assertTrue(e.getMessage().contains("HF_TOKEN") && e.getMessage().contains("license")
                && e.getMessage().contains("acme/private"), e.getMessage());

        // Gated: the API answers, the file does not.
        FakeHub.Repo gated = hub.repo("acme/gated").commit(C1, Map.of("config.json", config)).ref("main", C1);
        gated.fileStatus = 403;
        gated.errorCode = "GatedRepo";
        e = assertThrows(GlassboxException.class, () -> settings().token("hf_x").build().resolve("acme/gated", null));
        assertTrue(e.getMessage().contains("gated") && e.getMessage().contains("HTTP 403"), e.getMessage());

        // The hub answers 401 + RepoNotFound for unknown repositories when no token is sent.
        FakeHub.Repo hidden = hub.repo("acme/hidden");
        hidden.apiStatus = 401;
        hidden.errorCode = "RepoNotFound";
        e = assertThrows(GlassboxException.class, () -> settings().build().resolve("acme/hidden", null));
        assertTrue(e.getMessage().startsWith("repository acme/hidden or its revision 'main' not found"), e.getMessage());
        assertFalse(Files.exists(repoDir("acme/private")));
    }

    @Test
    void wrongBodyForAnLfsEtagIsRefusedAndLeavesNoBlob() throws IOException {
        hub.corruptLfs = true;
        GlassboxException e = assertThrows(GlassboxException.class, () -> settings().build().resolve(ID, null));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("sha256"), e.getMessage());

        Path blobs = repoDir(ID).resolve("blobs");
        String sha = FakeHub.sha256(weights);
        assertFalse(Files.exists(blobs.resolve(sha)));
        assertFalse(Files.exists(blobs.resolve(sha + ".incomplete")));
        Path snapshot = repoDir(ID).resolve("snapshots").resolve(C1);
        assertFalse(Files.exists(snapshot.resolve("model.safetensors"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(repoDir(ID).resolve("refs/main")), "refs only name complete snapshots");

        hub.corruptLfs = false;
        assertArrayEquals(weights, Files.readAllBytes(settings().build().resolve(ID, null).resolve("model.safetensors")));
    }

    @Test
    void droppedConnectionKeepsIncompleteAndTheNextResolveResumesWithRange() throws IOException {
        hub.dropAfterBytes = 100_000;
        GlassboxException e = assertThrows(GlassboxException.class, () -> settings().build().resolve(ID, null));
        assertTrue(e.getMessage().contains("resumes"), e.getMessage());

        String sha = FakeHub.sha256(weights);
        Path blobs = repoDir(ID).resolve("blobs");
        Path partial = blobs.resolve(sha + ".incomplete");
        assertTrue(Files.exists(partial), "partial download kept");
        long have = Files.size(partial);
        assertTrue(have > 0 && have <= 100_000, "partial size " + have);
        assertFalse(Files.exists(blobs.resolve(sha)));

        Path snapshot = settings().build().resolve(ID, null);
        FakeHub.Request last = hub.requestsTo("cdn").get(hub.requestsTo("cdn").size() - 1);
        assertEquals("bytes=" + have + "-", last.range());
        byte[] got = Files.readAllBytes(snapshot.resolve("model.safetensors"));
        assertEquals(sha, FakeHub.sha256(got));
        assertFalse(Files.exists(partial));
    }

    @Test
    void serverIgnoringRangeRestartsFromZero() throws IOException {
        hub.dropAfterBytes = 120_000;
        assertThrows(GlassboxException.class, () -> settings().build().resolve(ID, null));
        hub.ignoreRange = true; // answers 200 with the whole file to our Range request
        Path snapshot = settings().build().resolve(ID, null);
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void stalledDownloadIsAbandonedAndKeptForResuming() throws IOException {
        hub.stallAfterBytes = 64_000;
        HubResolver impatient = settings().readTimeout(Duration.ofMillis(800)).build();
        GlassboxException e = assertThrows(GlassboxException.class, () -> impatient.resolve(ID, null));
        assertTrue(e.getMessage().contains("no data for 0.8 s") && e.getMessage().contains("resumes"), e.getMessage());
        Path partial = repoDir(ID).resolve("blobs").resolve(FakeHub.sha256(weights) + ".incomplete");
        assertTrue(Files.size(partial) > 0 && Files.size(partial) <= 64_000);
    }

    @Test
    void interruptedDownloadKeepsThePartialFile() throws Exception {
        hub.stallAfterBytes = 64_000;
        Path partial = repoDir(ID).resolve("blobs").resolve(FakeHub.sha256(weights) + ".incomplete");
        var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        Thread t = new Thread(() -> {
            try {
                settings().build().resolve(ID, null);
            } catch (Throwable x) {
                failure.set(x);
            }
        });
        t.start();
        for (int i = 0; i < 200 && !(Files.exists(partial) && Files.size(partial) > 0); i++) {
            Thread.sleep(25);
        }
        t.interrupt();
        t.join(10_000);
        assertFalse(t.isAlive());
        assertTrue(failure.get() instanceof GlassboxException, String.valueOf(failure.get()));
        assertTrue(failure.get().getMessage().contains("interrupted"), failure.get().getMessage());
        assertTrue(Files.size(partial) > 0);
    }

    @Test
    void writeErrorGivesAClearErrorAndNoBlob() throws IOException {
        // A directory where the partial file must go makes every write fail, as a full disk would.
        Path blobs = repoDir(ID).resolve("blobs");
        String sha = FakeHub.sha256(weights);
        Files.createDirectories(blobs.resolve(sha + ".incomplete").resolve("x"));
        GlassboxException e = assertThrows(GlassboxException.class, () -> settings().build().resolve(ID, null));
        assertTrue(e.getMessage().startsWith("cannot write ") && e.getMessage().contains(sha + ".incomplete"), e.getMessage());
        assertFalse(Files.exists(blobs.resolve(sha)));
        assertFalse(Files.exists(repoDir(ID).resolve("snapshots").resolve(C1).resolve("model.safetensors"),
                java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void concurrentResolvesDownloadEachBlobOnce() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<Path>>();
            for (int i = 0; i < 3; i++) {
                futures.add(pool.submit(() -> settings().build().resolve(ID, null)));
            }
            for (var f : futures) {
                assertArrayEquals(weights, Files.readAllBytes(f.get(30, java.util.concurrent.TimeUnit.SECONDS)
                        .resolve("model.safetensors")));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, hub.requestsTo("cdn").size());
    }

    @Test
    void connectionRefusedGivesTheNetworkErrorUnlessTheCacheHasIt() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        HubResolver unreachable = settings().endpoint("http://127.0.0.1:" + closedPort).build();
        GlassboxException e = assertThrows(GlassboxException.class, () -> unreachable.resolve(ID, null));
        assertTrue(e.getMessage().startsWith("cannot reach http://127.0.0.1:" + closedPort), e.getMessage());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE=1"), e.getMessage());

        // With a complete snapshot cached, an unreachable hub falls back to it (as huggingface_hub does).
        Path cached = settings().build().resolve(ID, null);
        assertEquals(cached, unreachable.resolve(ID, null));
    }

    @Test
    void tokenIsSentAsBearerToTheHubButNotToTheCdn() {
        settings().token("hf_secret").build().resolve(ID, null);
        assertFalse(hub.requestsTo("hub").isEmpty());
        assertTrue(hub.requestsTo("hub").stream().allMatch(r -> "Bearer hf_secret".equals(r.authorization())));
        assertFalse(hub.requestsTo("cdn").isEmpty());
        hub.requestsTo("cdn").forEach(r -> assertNull(r.authorization()));
    }

    @Test
    void withoutTokenNoAuthorizationIsSent() {
        settings().build().resolve(ID, null);
        hub.requests.forEach(r -> assertNull(r.authorization()));
    }

    @Test
    void settingsFromEnvironmentFollowHuggingfaceHub() throws IOException {
        Path hfHome = tmp.resolve("hf-home");
        Files.createDirectories(hfHome);
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");

        HubResolver r = HubResolver.builderFromEnvironment(Map.of("HF_HOME", hfHome.toString())).build();
        assertEquals(hfHome.resolve("hub").toAbsolutePath(), r.cacheDir());
        assertEquals("hf_from_file", r.token());
        assertEquals(HubResolver.DEFAULT_ENDPOINT, r.endpoint());
        assertFalse(r.isOffline());

        r = HubResolver.builderFromEnvironment(Map.of("HF_HOME", hfHome.toString(), "HF_HUB_CACHE", "/x/cache",
                "HF_TOKEN", "hf_env", "HF_ENDPOINT", "https://hf-mirror.com/", "HF_HUB_OFFLINE", "true",
                "HF_HUB_DISABLE_PROGRESS_BARS", "1", "HF_HUB_DOWNLOAD_TIMEOUT", "30")).build();
        assertEquals(Path.of("/x/cache"), r.cacheDir());
        assertEquals("hf_env", r.token());
        assertEquals("https://hf-mirror.com", r.endpoint());
        assertTrue(r.isOffline());
        assertTrue(r.isQuiet());
        assertEquals(Duration.ofSeconds(30), r.readTimeout());

        r = HubResolver.builderFromEnvironment(Map.of("HOME", "/home/u", "XDG_CACHE_HOME", "~/xdg")).build();
        assertEquals(Path.of("/home/u/xdg/huggingface/hub"), r.cacheDir());
        assertNull(r.token());

        r = HubResolver.builderFromEnvironment(Map.of("HOME", "/home/u", "HF_HUB_OFFLINE", "0")).build();
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), r.cacheDir());
        assertFalse(r.isOffline());

        GlassboxException e = assertThrows(GlassboxException.class,
                () -> HubResolver.builderFromEnvironment(Map.of("HF_ENDPOINT", "hf-mirror.com")));
        assertTrue(e.getMessage().contains("HF_ENDPOINT"), e.getMessage());
    }

    @Test
    void looksLikeModelId() throws IOException {
        assertTrue(HubResolver.looksLikeModelId("openai-community/gpt2"));
        assertTrue(HubResolver.looksLikeModelId("Qwen/Qwen2.5-0.5B-Instruct"));
        assertTrue(HubResolver.looksLikeModelId("meta-llama/Llama-3.2-1B"));
        assertFalse(HubResolver.looksLikeModelId("gpt2"));
        assertFalse(HubResolver.looksLikeModelId("a/b/c"));
        assertFalse(HubResolver.looksLikeModelId("/abs/path"));
        assertFalse(HubResolver.looksLikeModelId("./model"));
        assertFalse(HubResolver.looksLikeModelId("org/-name"));
        assertFalse(HubResolver.looksLikeModelId("org/na..me"));
        assertFalse(HubResolver.looksLikeModelId("org--x/name"));
        assertFalse(HubResolver.looksLikeModelId(""));
        assertFalse(HubResolver.looksLikeModelId(null));
        // An existing relative folder shaped like an id is a local path.
        Path local = Path.of("target", "hubtest-local", "model");
        Files.createDirectories(local);
        try {
            assertFalse(HubResolver.looksLikeModelId("target/hubtest-local"));
        } finally {
            Files.deleteIfExists(local);
            Files.deleteIfExists(local.getParent());
        }
        assertThrows(GlassboxException.class, () -> settings().build().resolve("not a model", null));
    }

    @Test
    void etagsAreNormalizedLikeHuggingfaceHub() {
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
        assertNull(HubClient.normalizeEtag("\"\""));
        assertFalse(HubClient.isSafeBlobName("../x"));
        assertEquals("refs%2Fpr%2F1", HubClient.encodeSegment("refs/pr/1"));
    }

    static Set<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
