package dev.glassbox.explore;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * {@code glassbox explore}'s web server: the JDK's {@link HttpServer} bound to 127.0.0.1 only, a
 * small bounded pool of request threads, the page (plain HTML, CSS and JavaScript from this
 * package's resources; nothing is fetched from elsewhere) and the JSON API of {@link ExplorerApi}.
 *
 * <p>Model work is serialised: one request runs the model at a time (the others wait up to
 * {@link #MODEL_WAIT_SECONDS}, then get 503), so concurrent requests are safe. Every refusal is a
 * JSON error with a 4xx status ({@link ApiError}); an unexpected failure is a 500 JSON error; the
 * server keeps serving either way. Requests whose {@code Host} is not this loopback address are
 * refused, so a web page elsewhere cannot reach the explorer through DNS rebinding.
 */
public final class ExplorerServer implements AutoCloseable {

    /** The largest request body read, in bytes; larger ones get 413. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** How much of a refused body is read and dropped after the 413 reply (see drainRequest). */
    private static final long DRAIN_LIMIT = 16L * MAX_BODY_BYTES;
    /** Ends a drain that waits too long (one daemon thread for every server). */
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "glassbox-explore-drain-watchdog");
                t.setDaemon(true);
                return t;
            });
    /** How long a request waits for the model before it gets 503. */
    public static final int MODEL_WAIT_SECONDS = 120;

    private static final String RESOURCES = "/dev/glassbox/explore/";
    private static final Map<String, String> PAGES = Map.of(
            "/", "index.html", "/index.html", "index.html", "/explore.css", "explore.css", "/explore.js", "explore.js");
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final ExplorerApi api;
    private final HttpServer server;
    private final ThreadPoolExecutor pool;
    private final ReentrantLock modelLock = new ReentrantLock(true);
    private final Map<String, Function<byte[], Object>> endpoints = new LinkedHashMap<>();
    private final int port;

    private ExplorerServer(ExplorerApi api, HttpServer server, ThreadPoolExecutor pool) {
        this.api = api;
        this.server = server;
        this.pool = pool;
        this.port = server.getAddress().getPort();
        post("/api/tokens", ApiRequests.Tokens.class, api::tokens);
        post("/api/distribution", ApiRequests.Distribution.class, api::distribution);
        post("/api/attention", ApiRequests.Attention.class, api::attention);
        post("/api/lens", ApiRequests.Lens.class, api::lens);
        post("/api/attribution", ApiRequests.Attribution.class, api::attribution);
        post("/api/journey", ApiRequests.Journey.class, api::journey);
        post("/api/patch", ApiRequests.Patch.class, api::patch);
        server.createContext("/", this::handle);
    }

    /**
     * Starts serving {@code api} on 127.0.0.1:{@code port} (0: any free port).
     *
     * @throws GlassboxException if the port is taken or cannot be bound
     */
    public static ExplorerServer start(ExplorerApi api, int port) {
        if (port < 0 || port > 65535) {
            throw new GlassboxException("--port must be in 0..65535 (0: any free port), found " + port);
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        } catch (IOException e) {
            throw portTaken(port, e);
        }
        // A few threads and a bounded queue; when both are full the accepting thread runs the
        // request itself, which slows the acceptance of new ones instead of dropping them.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "glassbox-explore");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
        server.setExecutor(pool);
        ExplorerServer s = new ExplorerServer(api, server, pool);
        server.start();
        return s;
    }

    /**
     * Fails with the message {@link #start} would give if {@code port} cannot be bound now, so a
     * command can say so before it loads a model. Port 0 always passes.
     */
    public static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new GlassboxException("--port must be in 0..65535 (0: any free port), found " + port);
        }
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw portTaken(port, e);
        }
    }

    private static GlassboxException portTaken(int port, IOException e) {
        if (e instanceof BindException) {
            return new GlassboxException("port " + port + " on 127.0.0.1 is in use (" + e.getMessage()
                    + "); pick another with --port P, or --port 0 for any free port");
        }
        return new GlassboxException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    /** The page's address. */
    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** Adds an endpoint: a POST whose JSON body reads as {@code type}, answered by {@code call} under the model lock. */
    public <T> void post(String path, Class<T> type, Function<T, Object> call) {
        endpoints.put(path, body -> {
            T req = ApiJson.read(body, type);
            return withModel(() -> call.apply(req));
        });
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private Object withModel(java.util.function.Supplier<Object> work) {
        try {
            if (!modelLock.tryLock(MODEL_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new ApiError(503, "busy", "the model has been busy for " + MODEL_WAIT_SECONDS + " s; try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "busy", "interrupted while waiting for the model");
        }
        try {
            return work.get();
        } finally {
            modelLock.unlock();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            try {
                checkHost(ex.getRequestHeaders());
                if (path.startsWith("/api/")) {
                    // libtorch's grad mode is per thread and starts on in a new one: off, as on the
                    // thread that loaded the model, so a request computes exactly what the library
                    // computes there (the same kernels) and records no autograd graph
                    dev.glassbox.djl.PyTorchInternals.setGradMode(false);
                    api(ex, path, method);
                } else {
                    page(ex, path, method);
                }
            } catch (ApiError e) {
                send(ex, e.status(), "application/json; charset=utf-8", ApiJson.error(e));
            } catch (GlassboxException | IllegalArgumentException e) {
                send(ex, 400, "application/json; charset=utf-8", ApiJson.error(ApiError.badRequest("bad_input", e.getMessage())));
            } catch (RuntimeException | OutOfMemoryError e) {
                String what = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                System.err.println("glassbox: explore: internal error on " + method + " " + path + ": " + what);
                send(ex, 500, "application/json; charset=utf-8", ApiJson.error(new ApiError(500, "internal", what)));
            }
        }
    }

    private void api(HttpExchange ex, String path, String method) throws IOException {
        if (path.equals("/api/model") || path.equals("/api")) {
            requireMethod(method, "GET");
            List<String> names = new ArrayList<>(List.of("GET /api/model"));
            endpoints.keySet().forEach(p -> names.add("POST " + p));
            sendJson(ex, api.describe(names, MAX_BODY_BYTES));
            return;
        }
        Function<byte[], Object> endpoint = endpoints.get(path);
        if (endpoint == null) {
            throw new ApiError(404, "not_found", "no endpoint " + path + " (GET /api/model lists them)");
        }
        requireMethod(method, "POST");
        sendJson(ex, endpoint.apply(body(ex)));
    }

    private void page(HttpExchange ex, String path, String method) throws IOException {
        String name = PAGES.get(path);
        if (name == null) {
            throw new ApiError(404, "not_found", "no page " + path + " (the explorer is at /)");
        }
        requireMethod(method, "GET", "HEAD");
        byte[] bytes;
        try (InputStream in = ExplorerServer.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCES + name + " is missing from the jar");
            }
            bytes = in.readAllBytes();
        }
        String type = name.endsWith(".html") ? "text/html" : name.endsWith(".css") ? "text/css" : "text/javascript";
        ex.getResponseHeaders().set("Content-Security-Policy", CSP);
        send(ex, 200, type + "; charset=utf-8", method.equals("HEAD") ? null : bytes);
    }

    private static void requireMethod(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw new ApiError(405, "method_not_allowed", method + " is not allowed here; use " + String.join(" or ", allowed));
    }

    /** Only this machine's loopback names: a browser sends the name it resolved, which rebinding cannot change. */
    private void checkHost(Headers headers) {
        String host = headers.getFirst("Host");
        if (host == null) {
            return; // HTTP/1.0 clients on this machine
        }
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (!(h.equals("127.0.0.1:" + port) || h.equals("localhost:" + port) || h.equals("[::1]:" + port))) {
            throw new ApiError(403, "forbidden_host", "Host '" + host + "' is not this explorer (127.0.0.1:" + port + ")");
        }
    }

    private static byte[] body(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) {
                    throw tooLarge(Long.parseLong(length.trim()));
                }
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("bad_request", "Content-Length '" + length + "' is not a number");
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw tooLarge(-1);
            }
            return bytes;
        }
    }

    private static ApiError tooLarge(long length) {
        return new ApiError(413, "body_too_large", "the request body " + (length >= 0 ? "has " + length + " bytes" : "is larger")
                + "; the explorer reads at most " + MAX_BODY_BYTES);
    }

    private static void sendJson(HttpExchange ex, Object value) throws IOException {
        byte[] bytes = value instanceof ApiResponses.RawJson raw ? raw.json().getBytes(StandardCharsets.UTF_8) : ApiJson.write(value);
        send(ex, 200, "application/json; charset=utf-8", bytes);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        if (status == 413) {
            h.set("Connection", "close"); // the rest of the body is not read
        }
        ex.sendResponseHeaders(status, body == null ? -1 : body.length);
        if (body != null) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
                if (status == 413) {
                    out.flush();
                    drainRequest(ex);
                }
            }
        }
    }

    /**
     * After a 413 reply, reads and drops what the client still sends of the refused body (at most
     * {@link #DRAIN_LIMIT} bytes, for at most a second) before the connection closes: closing a
     * socket with unread input makes the kernel reset the connection, and a reset can destroy the
     * reply in the client's buffer before it is read. A client that only declared a length and
     * waits gets the reply at once; the second's watchdog ends the wait for the rest.
     */
    private static void drainRequest(HttpExchange ex) {
        java.util.concurrent.ScheduledFuture<?> stop = WATCHDOG.schedule(() -> {
            try {
                ex.getRequestBody().close();
            } catch (IOException ignored) {
                // the connection is going anyway
            }
        }, 1, java.util.concurrent.TimeUnit.SECONDS);
        try {
            InputStream in = ex.getRequestBody();
            byte[] buf = new byte[8192];
            long left = DRAIN_LIMIT;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException ignored) {
            // the client closed or the watchdog did: nothing left to drain
        } finally {
            stop.cancel(false);
        }
    }
}
