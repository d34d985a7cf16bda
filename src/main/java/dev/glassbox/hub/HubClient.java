package dev.glassbox.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The few HTTP calls the resolver makes against a hub endpoint, and the translation of every
 * failure into a one-line {@link GlassboxException}. Redirects are followed by hand because the
 * hub's own headers (ETag, X-Linked-Etag) sit on the redirect to the CDN, and because the token
 * must not travel to the CDN host.
 */
final class HubClient {
    static final int MAX_REDIRECTS = 10;
    static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER_AGENT =
            "glassbox/0.1; java/" + System.getProperty("java.version");

    /** What the revision endpoint says: the commit a revision points at and the files it holds. */
    record RepoInfo(String commit, Set<String> files) {}

    /** What a HEAD on a file says: the blob name (etag, sha256 for LFS files) and its size or -1. */
    record FileMeta(String etag, long size) {}

    private final HttpClient http;
    private final String endpoint;
    private final URI endpointUri;
    private final String token;
    private final Duration metadataTimeout;

    HubClient(String endpoint, String token, Duration connectTimeout, Duration metadataTimeout) {
        this.endpoint = endpoint;
        this.endpointUri = URI.create(endpoint);
        this.token = token;
        this.metadataTimeout = metadataTimeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER) // see class comment
                .version(HttpClient.Version.HTTP_1_1) // plain and predictable with mirrors and CDNs
                .build();
    }

    HttpClient http() {
        return http;
    }

    String endpoint() {
        return endpoint;
    }

    boolean hasToken() {
        return token != null;
    }

    /** {@code GET /api/models/{id}/revision/{rev}}: the commit and the file list. */
    RepoInfo repoInfo(String repoId, String revision) {
        URI uri = URI.create(endpoint + "/api/models/" + repoId + "/revision/" + encodeSegment(revision));
        String what = repoId + " at revision '" + revision + "'";
        HttpResponse<byte[]> response = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(uri).GET().timeout(metadataTimeout)
                    .header("Accept", "application/json").build();
            response = sendMetadata(request, HttpResponse.BodyHandlers.ofByteArray(), what);
            if (!isRedirect(response.statusCode())) {
                break;
            }
            uri = redirectTarget(response, what); // renamed repositories answer with a redirect
        }
        if (isRedirect(response.statusCode())) {
            throw new GlassboxException("too many redirects from " + endpoint + " for " + what);
        }
        if (response.statusCode() != 200) {
            throw httpError(response, repoId, revision, null);
        }
        try {
            JsonNode root = JSON.readTree(response.body());
            String sha = root.path("sha").asText("");
            if (!COMMIT.matcher(sha).matches()) {
                throw new GlassboxException(endpoint + " answered without a commit sha for " + what);
            }
            Set<String> files = new LinkedHashSet<>();
            for (JsonNode sibling : root.path("siblings")) {
                String name = sibling.path("rfilename").asText("");
                if (!name.isEmpty()) {
                    files.add(name);
                }
            }
            return new RepoInfo(sha, files);
        } catch (IOException e) {
            throw new GlassboxException(endpoint + " answered with invalid JSON for " + what, e);
        }
    }

    /**
     * HEAD on a file, following only same-host redirects like huggingface_hub does: the hub's answer
     * (200 for a small file, 302 to the CDN for an LFS file) carries the ETag that names the blob.
     */
    FileMeta fileMeta(String repoId, String commit, String filename) {
        URI uri = resolveUri(repoId, commit, filename);
        String what = filename + " of " + repoId;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(uri)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .timeout(metadataTimeout).build();
            HttpResponse<Void> response =
                    sendMetadata(request, HttpResponse.BodyHandlers.discarding(), what);
            int status = response.statusCode();
            if (isRedirect(status)) {
                URI next = redirectTarget(response, what);
                if (sameOrigin(next, uri)) {
                    uri = next;
                    continue;
                }
            } else if (status != 200) {
                throw httpError(response, repoId, commit, filename);
            }
            HttpHeaders h = response.headers();
            String etag = normalizeEtag(h.firstValue("X-Linked-Etag").orElse(h.firstValue("ETag").orElse(null)));
            if (etag == null || !isSafeBlobName(etag)) {
                throw new GlassboxException(endpoint + " sent no usable ETag for " + what
                        + "; is HF_ENDPOINT a HuggingFace hub or mirror?");
            }
            long size = h.firstValueAsLong("X-Linked-Size").orElse(-1);
            if (size < 0) {
                // A HEAD's Content-Length is only a hint (some servers send 0); -1 means "unknown".
                size = h.firstValueAsLong("Content-Length").orElse(-1);
                size = size > 0 ? size : -1;
            }
            return new FileMeta(etag, size);
        }
        throw new GlassboxException("too many redirects from " + endpoint + " for " + what);
    }

    /** {@code {endpoint}/{id}/resolve/{commit}/{filename}}: where a file's bytes are served. */
    URI resolveUri(String repoId, String commit, String filename) {
        StringBuilder path = new StringBuilder();
        for (String part : filename.split("/")) {
            path.append('/').append(encodeSegment(part));
        }
        return URI.create(endpoint + "/" + repoId + "/resolve/" + commit + path);
    }

    /** A request with our User-Agent, and the token only when it goes to the hub itself. */
    HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", USER_AGENT);
        if (token != null && sameOrigin(uri, endpointUri)) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    URI redirectTarget(HttpResponse<?> response, String what) {
        String location = response.headers().firstValue("Location").orElse(null);
        if (location == null) {
            throw new GlassboxException(endpoint + " sent a redirect without Location for " + what);
        }
        try {
            return response.request().uri().resolve(location);
        } catch (IllegalArgumentException e) {
            throw new GlassboxException(endpoint + " sent a malformed redirect for " + what + ": " + location);
        }
    }

    private <T> HttpResponse<T> sendMetadata(
            HttpRequest request, HttpResponse.BodyHandler<T> handler, String what) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw unreachable(request.uri(), what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GlassboxException("interrupted while asking " + endpoint + " about " + what);
        }
    }

    /** The network failed before any answer: say so, and point at offline mode for cached models. */
    HubUnavailableException unreachable(URI uri, String what, IOException e) {
        String host = uri.getScheme() + "://" + uri.getAuthority();
        String why = e instanceof HttpTimeoutException ? "timed out" : describe(e);
        return new HubUnavailableException("cannot reach " + host + " to fetch " + what + " (" + why
                + "); check the network or proxy, or set HF_HUB_OFFLINE=1 to use models already in the cache", e);
    }

    /** Maps a non-success answer to a one-line error; the hub's X-Error-Code says what went wrong. */
    GlassboxException httpError(HttpResponse<?> response, String repoId, String revision, String filename) {
        int status = response.statusCode();
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        String what = filename == null
                ? repoId + " at revision '" + revision + "'"
                : filename + " of " + repoId + " at revision '" + revision + "'";
        if (code.equals("GatedRepo") || ((status == 401 || status == 403) && !code.equals("RepoNotFound"))) {
            String page = endpoint + "/" + repoId;
            return new GlassboxException(hasToken()
                    ? "access to " + repoId + " denied (HTTP " + status + ") with the configured token: the model is"
                            + " gated or private; accept its license at " + page + " with the token's account,"
                            + " or check that HF_TOKEN is valid"
                    : "access to " + repoId + " denied (HTTP " + status + "): the model is gated or private;"
                            + " accept its license at " + page + " and set HF_TOKEN to an access token");
        }
        if (code.equals("RevisionNotFound")) {
            return new GlassboxException("revision '" + revision + "' not found in " + repoId + " on " + endpoint
                    + "; use a branch, tag or commit that exists");
        }
        if (code.equals("RepoNotFound") || (status == 404 && filename == null)) {
            return new GlassboxException("repository " + repoId + " or its revision '" + revision
                    + "' not found on " + endpoint + "; check the model id"
                    + (hasToken() ? "" : " (a private repository also needs HF_TOKEN)"));
        }
        if (status == 404) {
            return new GlassboxException(what + " not found on " + endpoint);
        }
        if (status == 429) {
            return new GlassboxException("rate-limited by " + endpoint + " (HTTP 429) while fetching " + what
                    + "; wait and retry, or set HF_TOKEN");
        }
        if (status >= 500) {
            return new HubUnavailableException(endpoint + " answered HTTP " + status + " for " + what
                    + "; try again later, or set HF_HUB_OFFLINE=1 to use models already in the cache", null);
        }
        return new GlassboxException("unexpected HTTP " + status + " from " + response.request().uri()
                + " for " + what);
    }

    static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme())
                && Objects.equals(a.getHost(), b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** huggingface_hub's _normalize_etag: drop a weak marker and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        e = e.replace("\"", "");
        return e.isEmpty() ? null : e;
    }

    /** The etag becomes a file name under blobs/, so it must not be able to escape that folder. */
    static boolean isSafeBlobName(String etag) {
        return etag.matches("[A-Za-z0-9_\\-][A-Za-z0-9._\\-]{0,199}") && !etag.endsWith(".incomplete");
    }

    /** Percent-encodes one path segment (RFC 3986 unreserved characters stay). */
    static String encodeSegment(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    /** The most telling message in a cause chain ("Connection refused"), or the exception's name. */
    static String describe(Throwable e) {
        // The JDK client often throws these without a message; name what they mean.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "unknown host";
            }
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof ConnectException && (t.getMessage() == null || t.getMessage().isBlank())) {
                return "connection refused";
            }
            if (t instanceof FileSystemException f && f.getReason() != null) {
                return f.getReason(); // its message repeats the path, which the caller already names
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage().strip();
            }
        }
        return e.getClass().getSimpleName();
    }
}
