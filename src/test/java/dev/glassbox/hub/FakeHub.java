package dev.glassbox.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-process HuggingFace hub on 127.0.0.1 with the hub's URL layout and headers, plus a second
 * server on another port playing the LFS CDN (a different origin, as in production):
 *
 * <ul>
 *   <li>{@code GET /api/models/{id}/revision/{rev}}: JSON with sha and siblings;
 *   <li>{@code HEAD|GET /{id}/resolve/{commit}/{file}}: small files served directly with the git
 *       blob sha1 as ETag; LFS files (*.safetensors, *.bin, *.msgpack, *.onnx) answered with a 302
 *       to the CDN, carrying ETag and X-Linked-Etag (the sha256, quoted) and X-Linked-Size;
 *   <li>CDN {@code GET /cdn/{sha256}}: the bytes, honouring {@code Range: bytes=N-} with 206.
 * </ul>
 *
 * Every request is recorded. Faults can be switched on for the CDN.
 */
final class FakeHub implements AutoCloseable {
    record Request(String server, String method, String path, String range, String authorization) {}

    /** A repository: commits with their files, and branches or tags pointing at commits. */
    static final class Repo {
        final Map<String, Map<String, byte[]>> commits = new LinkedHashMap<>();
        final Map<String, String> refs = new LinkedHashMap<>();
        int apiStatus = 200;
        int fileStatus = 200;
        String errorCode;

        Repo commit(String sha, Map<String, byte[]> files) {
            commits.put(sha, files);
            return this;
        }

        Repo ref(String name, String sha) {
            refs.put(name, sha);
            return this;
        }

        String commitOf(String rev) {
            return commits.containsKey(rev) ? rev : refs.get(rev);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern API = Pattern.compile("/api/models/(.+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> lfsBlobs = new ConcurrentHashMap<>();
    private final HttpServer hub;
    private final HttpServer cdn;

    /** Next CDN response announces the whole body, sends this many bytes, then drops the connection. */
    volatile int dropAfterBytes = -1;
    /** Next CDN response sends this many bytes, then stalls (until the hub is closed, at most 20 s). */
    volatile int stallAfterBytes = -1;
    private final CountDownLatch closing = new CountDownLatch(1);
    /** CDN flips a byte in every LFS body it sends (same length, wrong sha256). */
    volatile boolean corruptLfs;
    /** CDN ignores Range headers and always answers 200 with the whole body. */
    volatile boolean ignoreRange;
    /** Milliseconds the hub waits before answering each request (keeps concurrent clients in flight together). */
    volatile int delayMillis;
    /** The hub flips a byte in every small (non-LFS) body it sends, keeping the right ETag. */
    volatile boolean corruptSmall;
    /** The hub sends small files chunked (no Content-Length) and stops after half the body. */
    volatile boolean truncateSmall;

    FakeHub() throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(loopback, 0);
        cdn = HttpServer.create(loopback, 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        // A thread per request, as a real server answers concurrent clients concurrently.
        hub.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        cdn.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    Repo repo(String id) {
        return repos.computeIfAbsent(id, k -> new Repo());
    }

    List<Request> requestsTo(String server) {
        return requests.stream().filter(r -> r.server().equals(server)).toList();
    }

    /** Whether any request named this file (by any path). */
    boolean requested(String filename) {
        return requests.stream().anyMatch(r -> r.path().endsWith("/" + filename));
    }

    @Override
    public void close() {
        closing.countDown();
        hub.stop(0);
        cdn.stop(0);
    }

    static boolean isLfs(String filename) {
        return filename.endsWith(".safetensors") || filename.endsWith(".bin")
                || filename.endsWith(".msgpack") || filename.endsWith(".onnx");
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest("SHA-256", data));
    }

    /** The git blob id, which the hub sends as ETag for files stored in git (not LFS). */
    static String gitBlobSha1(byte[] data) {
        byte[] header = ("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[header.length + data.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(data, 0, all, header.length, data.length);
        return HexFormat.of().formatHex(digest("SHA-1", all));
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String server, HttpExchange ex) {
        Headers h = ex.getRequestHeaders();
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                h.getFirst("Range"), h.getFirst("Authorization")));
    }

    private void handleHub(HttpExchange ex) throws IOException {
        try (ex) {
            record("hub", ex);
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String path = ex.getRequestURI().getRawPath();
            Matcher api = API.matcher(path);
            Matcher resolve = RESOLVE.matcher(path);
            if (api.matches()) {
                serveApi(ex, api.group(1), URLDecoder.decode(api.group(2), StandardCharsets.UTF_8));
            } else if (resolve.matches()) {
                serveResolve(ex, resolve.group(1), resolve.group(2), URLDecoder.decode(resolve.group(3), StandardCharsets.UTF_8));
            } else {
                send(ex, 404, new byte[0]);
            }
        }
    }

    private void serveApi(HttpExchange ex, String repoId, String rev) throws IOException {
        Repo repo = repos.get(repoId);
        if (repo == null) {
            send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (repo.apiStatus != 200) {
            if (repo.errorCode != null) {
                ex.getResponseHeaders().set("X-Error-Code", repo.errorCode);
            }
            send(ex, repo.apiStatus, "{\"error\":\"no\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String commit = repo.commitOf(rev);
        if (commit == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "{\"error\":\"Invalid rev id\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("id", repoId);
        root.put("sha", commit);
        ArrayNode siblings = root.putArray("siblings");
        for (String file : repo.commits.get(commit).keySet()) {
            siblings.addObject().put("rfilename", file);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, JSON.writeValueAsBytes(root));
    }

    private void serveResolve(HttpExchange ex, String repoId, String rev, String file) throws IOException {
        Repo repo = repos.get(repoId);
        String commit = repo == null ? null : repo.commitOf(rev);
        byte[] data = commit == null ? null : repo.commits.get(commit).get(file);
        if (data == null) {
            ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
            send(ex, 404, new byte[0]);
            return;
        }
        if (repo.fileStatus != 200) {
            if (repo.errorCode != null) {
                ex.getResponseHeaders().set("X-Error-Code", repo.errorCode);
            }
            send(ex, repo.fileStatus, new byte[0]);
            return;
        }
        Headers out = ex.getResponseHeaders();
        out.set("X-Repo-Commit", commit);
        if (isLfs(file)) {
            String sha = sha256(data);
            lfsBlobs.put(sha, data);
            out.set("ETag", "\"" + sha + "\"");
            out.set("X-Linked-Etag", "\"" + sha + "\"");
            out.set("X-Linked-Size", Long.toString(data.length));
            out.set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/" + sha);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        out.set("ETag", "\"" + gitBlobSha1(data) + "\"");
        if (corruptSmall && !ex.getRequestMethod().equals("HEAD")) {
            data = data.clone();
            data[data.length / 2] ^= 0x5a;
        }
        if (truncateSmall && !ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, 0); // chunked: the client cannot tell the body is cut
            ex.getResponseBody().write(data, 0, data.length / 2);
            return;
        }
        send(ex, 200, data);
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        try (ex) {
            record("cdn", ex);
            String path = ex.getRequestURI().getRawPath();
            byte[] data = path.startsWith("/cdn/") ? lfsBlobs.get(path.substring(5)) : null;
            if (data == null) {
                send(ex, 404, new byte[0]);
                return;
            }
            if (corruptLfs) {
                data = data.clone();
                data[data.length / 2] ^= 0x5a;
            }
            int start = 0;
            Matcher range = RANGE.matcher(String.valueOf(ex.getRequestHeaders().getFirst("Range")));
            if (!ignoreRange && range.matches()) {
                start = Integer.parseInt(range.group(1));
                if (start >= data.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                    send(ex, 416, new byte[0]);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range",
                        "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
            }
            int status = start > 0 || (!ignoreRange && range.matches()) ? 206 : 200;
            int length = data.length - start;
            int drop = dropAfterBytes;
            if (drop >= 0) {
                dropAfterBytes = -1;
                ex.sendResponseHeaders(status, length);
                OutputStream body = ex.getResponseBody();
                body.write(data, start, Math.min(drop, length));
                body.flush();
                // Throwing out of the handler makes the server close the socket mid-body.
                throw new IOException("fake CDN drops the connection");
            }
            int stall = stallAfterBytes;
            if (stall >= 0) {
                stallAfterBytes = -1;
                ex.sendResponseHeaders(status, length);
                ex.getResponseBody().write(data, start, Math.min(stall, length));
                ex.getResponseBody().flush();
                try {
                    closing.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("fake CDN gives up");
            }
            ex.sendResponseHeaders(status, length);
            ex.getResponseBody().write(data, start, length);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD") || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }
}
