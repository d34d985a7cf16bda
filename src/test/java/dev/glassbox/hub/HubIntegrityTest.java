package dev.glassbox.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.ChildJvm;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache stores only verified blobs (non-LFS files against their git blob sha1 ETag, as
 * huggingface_hub names them), repairs a bad one on the next online run, and stays consistent when
 * several processes download the same model into one cache at once.
 */
@Timeout(120)
class HubIntegrityTest {
    static final String C1 = "1111111111111111111111111111111111111111";
    static final String ID = "acme/tiny";

    @TempDir
    Path tmp;
    FakeHub hub;
    Path cache;
    final byte[] config = "{\"model_type\":\"gpt2\",\"n_layer\":2,\"padding\":\"0123456789abcdef\"}".getBytes(StandardCharsets.UTF_8);
    final byte[] tokenizer = "{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\"}}".getBytes(StandardCharsets.UTF_8);
    final byte[] weights = random(200_000);

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("hub-cache");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", config);
        files.put("tokenizer.json", tokenizer);
        files.put("model.safetensors", weights);
        hub.repo(ID).commit(C1, files).ref("main", C1);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubResolver resolver() {
        return HubResolver.builder().cacheDir(cache).endpoint(hub.endpoint()).quiet(true)
                .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(5)).build();
    }

    Path blobs() {
        return cache.resolve("models--acme--tiny").resolve("blobs");
    }

    List<String> blobNames() throws IOException {
        if (!Files.isDirectory(blobs())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(blobs())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWrongSmallFileBodyIsRefusedAndNotStored() throws IOException {
        hub.corruptSmall = true;
        GlassboxException e = assertThrows(GlassboxException.class, () -> resolver().resolve(ID, null));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("git blob sha1"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertFalse(blobNames().contains(FakeHub.gitBlobSha1(config)), blobNames().toString());

        hub.corruptSmall = false; // healthy again: the next run gets the right bytes
        Path snapshot = resolver().resolve(ID, null);
        assertArrayEquals(config, Files.readAllBytes(snapshot.resolve("config.json")));
    }

    @Test
    void aSmallFileCutShortWithoutContentLengthIsRefused() throws IOException {
        hub.truncateSmall = true;
        GlassboxException e = assertThrows(GlassboxException.class, () -> resolver().resolve(ID, null));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("corrupt"), e.getMessage());
        assertTrue(blobNames().stream().noneMatch(n -> n.equals(FakeHub.gitBlobSha1(config))), blobNames().toString());
        hub.truncateSmall = false;
        assertArrayEquals(tokenizer, Files.readAllBytes(resolver().resolve(ID, null).resolve("tokenizer.json")));
    }

    @Test
    void aBadBlobInTheCacheIsRepairedOnTheNextOnlineRun() throws IOException {
        Path snapshot = resolver().resolve(ID, null);
        Path blob = blobs().resolve(FakeHub.gitBlobSha1(tokenizer));
        Files.writeString(blob, "{\"version\":"); // what an older client stored from a cut body
        int before = hub.requests.size();

        Path again = resolver().resolve(ID, null);
        assertEquals(snapshot, again);
        assertArrayEquals(tokenizer, Files.readAllBytes(again.resolve("tokenizer.json")));
        assertArrayEquals(tokenizer, Files.readAllBytes(blob));
        assertTrue(hub.requests.size() > before + 1, "the bad file was fetched again");
        assertArrayEquals(config, Files.readAllBytes(again.resolve("config.json")));
        assertTrue(blobNames().stream().noneMatch(n -> n.endsWith(".incomplete") || n.endsWith(".tmp")), blobNames().toString());
    }

    /** Child JVMs resolving the same model into one cache at the same moment all get a complete snapshot. */
    @Test
    void concurrentProcessesSharingOneCacheAllSucceed() throws Exception {
        int n = 4;
        hub.delayMillis = 200; // every client's requests overlap the others'
        Path go = tmp.resolve("go");
        Path logs = tmp.resolve("logs");
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            children.add(ChildJvm.start(HubChild.class, logs, "child" + i,
                    List.of(hub.endpoint(), cache.toString(), ID, go.toString(), tmp.resolve("ready" + i).toString(),
                            Integer.toString(150 * i))));
        }
        // Release them together once every JVM is up, so their downloads and links overlap.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (int i = 0; i < n; i++) {
            while (!Files.exists(tmp.resolve("ready" + i)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        Files.writeString(go, "go");
        for (int i = 0; i < n; i++) {
            ChildJvm.Result r = ChildJvm.finish(children.get(i), logs, "child" + i, 90);
            assertEquals(0, r.exit(), "child " + i + ": " + r.out() + r.err());
            assertTrue(r.out().contains("complete"), r.out());
        }
        Path snapshot = cache.resolve("models--acme--tiny").resolve("snapshots").resolve(C1);
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertArrayEquals(config, Files.readAllBytes(snapshot.resolve("config.json")));
        assertEquals(3, blobNames().size(), blobNames().toString());
        try (Stream<Path> s = Files.list(snapshot)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(5).nextBytes(b);
        return b;
    }
}
