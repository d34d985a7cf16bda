package dev.glassbox.hub;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a HuggingFace model id ({@code openai-community/gpt2}) into a local snapshot folder
 * holding its config, tokenizer and weight files, through the same cache huggingface_hub uses, so
 * Python and glassbox share downloads both ways.
 *
 * <p>Online, it asks {@code {endpoint}/api/models/{id}/revision/{rev}} for the commit and file
 * list, then fetches only the files a transformer checkpoint needs (see {@link #NEEDED_FILES}).
 * Offline, it reads {@code refs/{rev}} and checks the cached snapshot is complete.
 *
 * <pre>{@code
 * Path dir = HubResolver.fromEnvironment().resolve("openai-community/gpt2", null);
 * }</pre>
 */
public final class HubResolver {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String DEFAULT_REVISION = "main";
    /** Fetched when present; weights are chosen separately (safetensors index, safetensors, or .bin). */
    public static final List<String> NEEDED_FILES = CheckpointFiles.METADATA;

    private static final Logger LOG = LoggerFactory.getLogger(HubResolver.class);
    private static final String OFFLINE_HINT = "; unset HF_HUB_OFFLINE and run once with network access,"
            + " or point HF_HUB_CACHE at a cache that has it";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10); // huggingface_hub's defaults
    // huggingface_hub's validate_repo_id: [\w.-] names of at most 96 characters, optional owner.
    private static final String NAME = "[A-Za-z0-9_](?:[A-Za-z0-9_.\\-]{0,94}[A-Za-z0-9_])?";
    private static final Pattern ORG_AND_NAME = Pattern.compile(NAME + "/" + NAME);
    private static final Pattern REPO_ID = Pattern.compile("(?:" + NAME + "/)?" + NAME);

    private final Path cacheDir;
    private final String endpoint;
    private final String token;
    private final boolean offline;
    private final boolean quiet;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private HubClient client; // created on first online use: offline resolvers never open a socket

    private HubResolver(Builder b) {
        this.cacheDir = b.cacheDir.toAbsolutePath().normalize();
        this.endpoint = b.endpoint;
        this.token = b.token;
        this.offline = b.offline;
        this.quiet = b.quiet;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
    }

    /** Settings as huggingface_hub reads them from the environment; see {@link #builderFromEnvironment}. */
    public static HubResolver fromEnvironment() {
        return builderFromEnvironment(System.getenv()).build();
    }

    /** Plain defaults: ~/.cache/huggingface/hub, https://huggingface.co, no token, online, progress bars. */
    public static Builder builder() {
        return new Builder(defaultHfHome(Map.of()).resolve("hub"));
    }

    /**
     * Defaults taken from {@code env} the way huggingface_hub does, to be adjusted further:
     *
     * <ul>
     *   <li>cache: {@code HF_HUB_CACHE} (legacy {@code HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub}; HF_HOME
     *       defaults to {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface};
     *   <li>{@code HF_ENDPOINT}: hub or mirror URL;
     *   <li>token: {@code HF_TOKEN} (legacy {@code HUGGING_FACE_HUB_TOKEN}), else the file {@code HF_TOKEN_PATH},
     *       else {@code $HF_HOME/token} (written by {@code huggingface-cli login});
     *   <li>{@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) = 1/true/yes/on: cache only;
     *   <li>{@code HF_HUB_DISABLE_PROGRESS_BARS}: quiet;
     *   <li>{@code HF_HUB_ETAG_TIMEOUT}: seconds for connecting and metadata requests;
     *       {@code HF_HUB_DOWNLOAD_TIMEOUT}: seconds a download may go without data.
     * </ul>
     */
    public static Builder builderFromEnvironment(Map<String, String> env) {
        Path hfHome = defaultHfHome(env);
        String cache = firstNonBlank(env.get("HF_HUB_CACHE"), env.get("HUGGINGFACE_HUB_CACHE"));
        Builder b = new Builder(cache != null ? expandHome(cache, env) : hfHome.resolve("hub"));
        String endpoint = firstNonBlank(env.get("HF_ENDPOINT"));
        if (endpoint != null) {
            b.endpoint(endpoint);
        }
        String token = firstNonBlank(env.get("HF_TOKEN"), env.get("HUGGING_FACE_HUB_TOKEN"));
        if (token == null) {
            String tokenPath = firstNonBlank(env.get("HF_TOKEN_PATH"));
            token = readTokenFile(tokenPath != null ? expandHome(tokenPath, env) : hfHome.resolve("token"));
        }
        b.token(token);
        b.offline(isTrue(firstNonBlank(env.get("HF_HUB_OFFLINE"), env.get("TRANSFORMERS_OFFLINE"))));
        b.quiet(isTrue(env.get("HF_HUB_DISABLE_PROGRESS_BARS")));
        Duration etagTimeout = seconds(env, "HF_HUB_ETAG_TIMEOUT");
        if (etagTimeout != null) {
            b.connectTimeout(etagTimeout);
        }
        Duration downloadTimeout = seconds(env, "HF_HUB_DOWNLOAD_TIMEOUT");
        if (downloadTimeout != null) {
            b.readTimeout(downloadTimeout);
        }
        return b;
    }

    /**
     * Whether {@code s} reads as a hub id ({@code org/name}) rather than a local path: it matches
     * the hub's naming rules and nothing exists at that path. Bare names ({@code gpt2}) say no,
     * as they are too easily a local folder; {@link #resolve} still accepts them.
     */
    public static boolean looksLikeModelId(String s) {
        if (s == null || !ORG_AND_NAME.matcher(s).matches() || s.contains("--") || s.contains("..")) {
            return false;
        }
        try {
            return !Files.exists(Path.of(s));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** {@link #resolve(String, String)} at {@code main}. */
    public Path resolve(String modelId) {
        return resolve(modelId, null);
    }

    /**
     * The snapshot folder {@code {cache}/models--{org}--{name}/snapshots/{commit}/} holding the
     * model's config, tokenizer and weight files, downloading what is missing.
     *
     * @param revision branch, tag or full commit hash; null or blank means {@code main}
     * @throws GlassboxException with a one-line message when the model cannot be had
     */
    public Path resolve(String modelId, String revision) {
        String repoId = checkRepoId(modelId);
        String rev = revision == null || revision.isBlank() ? DEFAULT_REVISION : revision.strip();
        if (!CheckpointFiles.isSafeRelativeName(rev)) {
            throw new GlassboxException("invalid revision '" + rev + "' for " + repoId);
        }
        RepoCache cache = new RepoCache(cacheDir, repoId);
        if (offline) {
            return fromCache(cache, rev, "offline mode", OFFLINE_HINT);
        }
        HubClient.RepoInfo info;
        try {
            info = client().repoInfo(repoId, rev);
        } catch (HubUnavailableException e) {
            // Like huggingface_hub: when the hub cannot be asked, a complete cached snapshot will do.
            Path cached;
            try {
                cached = fromCache(cache, rev, "hub unreachable", "");
            } catch (GlassboxException notCached) {
                throw e;
            }
            LOG.warn("{}; using cached snapshot {}", e.getMessage(), cached);
            return cached;
        }
        return download(cache, rev, info);
    }

    public Path cacheDir() {
        return cacheDir;
    }

    public String endpoint() {
        return endpoint;
    }

    public boolean isOffline() {
        return offline;
    }

    public boolean isQuiet() {
        return quiet;
    }

    public boolean hasToken() {
        return token != null;
    }

    String token() {
        return token;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration readTimeout() {
        return readTimeout;
    }

    /** Fetches what the snapshot lacks, then records the branch or tag in refs/. */
    private Path download(RepoCache cache, String rev, HubClient.RepoInfo info) {
        String repoId = cache.repoId();
        String commit = info.commit();
        Set<String> files = info.files();
        String what = repoId + " at revision '" + rev + "'";
        if (!files.contains("config.json")) {
            throw new GlassboxException(what + " has no config.json; it is not a transformers checkpoint");
        }
        BlobDownloader downloader = new BlobDownloader(client(), quiet, readTimeout);
        for (String file : CheckpointFiles.metadataIn(files)) {
            fetch(cache, commit, file, downloader);
        }
        List<String> weights = CheckpointFiles.weightsIn(files, what, index -> fetch(cache, commit, index, downloader));
        for (String file : weights) {
            fetch(cache, commit, file, downloader);
        }
        if (!rev.equals(commit)) {
            cache.writeRef(rev, commit); // only once everything is there: refs never name a partial snapshot
        }
        return cache.snapshot(commit);
    }

    /** Makes snapshots/{commit}/{filename} present, reusing any blob already cached (by us or Python). */
    private Path fetch(RepoCache cache, String commit, String filename, BlobDownloader downloader) {
        Path pointer = cache.pointer(commit, filename);
        Optional<Path> linked = cache.linkedBlob(pointer);
        if (Files.exists(pointer) && (linked.isEmpty() || BlobDownloader.blobMatchesName(linked.get()))) {
            return pointer; // follows the link: a dangling one does not count
        }
        // Missing, or a blob that no longer matches its hash (stored by an older client, or damaged):
        // fetch it again; the new blob replaces the bad one atomically.
        HubClient.FileMeta meta = client().fileMeta(cache.repoId(), commit, filename);
        Path blob = cache.blob(meta.etag());
        if (!Files.exists(blob) || !BlobDownloader.blobMatchesName(blob)) {
            try (BlobLock lock = BlobLock.acquire(cache.lockFile(meta.etag()))) {
                // Another process may have finished (or repaired) it while we waited.
                if (!Files.exists(blob) || !BlobDownloader.blobMatchesName(blob)) {
                    downloader.download(cache.repoId(), commit, filename, meta, blob);
                }
            } catch (IOException e) {
                throw RepoCache.writeError(cache.lockFile(meta.etag()), e);
            }
        }
        cache.link(blob, pointer);
        return pointer;
    }

    /** The cached snapshot for {@code rev}, or an error naming exactly what is missing. */
    private Path fromCache(RepoCache cache, String rev, String why, String hint) {
        String repoId = cache.repoId();
        if (!Files.isDirectory(cache.repoDir())) {
            throw new GlassboxException(repoId + " is not in the HuggingFace cache (" + why + "): "
                    + cache.repoDir() + " does not exist" + hint);
        }
        String commit;
        if (HubClient.COMMIT.matcher(rev).matches()) {
            commit = rev;
        } else {
            commit = cache.readRef(rev).orElseThrow(() -> new GlassboxException("revision '" + rev + "' of "
                    + repoId + " is not in the HuggingFace cache (" + why + "): " + cache.ref(rev)
                    + " does not exist" + hint));
        }
        Path snapshot = cache.snapshot(commit);
        if (!Files.isDirectory(snapshot)) {
            throw new GlassboxException("snapshot " + commit + " of " + repoId + " is not in the HuggingFace cache ("
                    + why + "): " + snapshot + " does not exist" + hint);
        }
        List<String> missing = CheckpointFiles.missingIn(snapshot);
        if (!missing.isEmpty()) {
            throw new GlassboxException("cached snapshot " + snapshot + " of " + repoId + " lacks "
                    + String.join(", ", missing) + " (" + why + ")" + hint);
        }
        return snapshot;
    }

    private synchronized HubClient client() {
        if (client == null) {
            client = new HubClient(endpoint, token, connectTimeout, connectTimeout);
        }
        return client;
    }

    private static String checkRepoId(String modelId) {
        String id = modelId == null ? "" : modelId.strip();
        if (!REPO_ID.matcher(id).matches() || id.contains("--") || id.contains("..")) {
            throw new GlassboxException("'" + modelId + "' is not a HuggingFace model id (expected org/name,"
                    + " e.g. openai-community/gpt2)");
        }
        return id;
    }

    private static Path defaultHfHome(Map<String, String> env) {
        String hfHome = firstNonBlank(env.get("HF_HOME"));
        if (hfHome != null) {
            return expandHome(hfHome, env);
        }
        String xdg = firstNonBlank(env.get("XDG_CACHE_HOME"));
        Path cacheRoot = xdg != null ? expandHome(xdg, env) : home(env).resolve(".cache");
        return cacheRoot.resolve("huggingface");
    }

    private static Path home(Map<String, String> env) {
        String home = firstNonBlank(env.get("HOME"));
        return Path.of(home != null ? home : System.getProperty("user.home"));
    }

    /** os.path.expanduser, as huggingface_hub applies it to every path setting. */
    private static Path expandHome(String path, Map<String, String> env) {
        if (path.equals("~")) {
            return home(env);
        }
        if (path.startsWith("~/")) {
            return home(env).resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private static String readTokenFile(Path file) {
        try {
            return Files.isRegularFile(file) ? firstNonBlank(Files.readString(file, StandardCharsets.UTF_8)) : null;
        } catch (IOException e) {
            return null; // an unreadable token file is as good as none; anonymous access still works
        }
    }

    private static Duration seconds(Map<String, String> env, String name) {
        String value = firstNonBlank(env.get(name));
        if (value == null) {
            return null;
        }
        try {
            double s = Double.parseDouble(value);
            if (s > 0 && s < 1e6) {
                return Duration.ofMillis((long) (s * 1000));
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new GlassboxException(name + " must be a positive number of seconds, got '" + value + "'");
    }

    private static boolean isTrue(String value) {
        return value != null && Set.of("1", "ON", "YES", "TRUE").contains(value.strip().toUpperCase(Locale.ROOT));
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    /** Settings for a {@link HubResolver}; every one has a default. */
    public static final class Builder {
        private Path cacheDir;
        private String endpoint = DEFAULT_ENDPOINT;
        private String token;
        private boolean offline;
        private boolean quiet;
        private Duration connectTimeout = DEFAULT_TIMEOUT;
        private Duration readTimeout = DEFAULT_TIMEOUT;

        private Builder(Path cacheDir) {
            this.cacheDir = cacheDir;
        }

        /** The hub cache folder (the one holding models--* folders), like HF_HUB_CACHE. */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /** Hub or mirror base URL, like HF_ENDPOINT. */
        public Builder endpoint(String endpoint) {
            String e = Objects.requireNonNull(endpoint, "endpoint").strip();
            while (e.endsWith("/")) {
                e = e.substring(0, e.length() - 1);
            }
            URI uri;
            try {
                uri = URI.create(e);
            } catch (IllegalArgumentException ex) {
                throw new GlassboxException("invalid hub endpoint '" + endpoint + "' (HF_ENDPOINT)");
            }
            if (uri.getHost() == null || !List.of("http", "https").contains(String.valueOf(uri.getScheme()))) {
                throw new GlassboxException("invalid hub endpoint '" + endpoint + "' (HF_ENDPOINT): expected an"
                        + " http(s) URL such as " + DEFAULT_ENDPOINT);
            }
            this.endpoint = e;
            return this;
        }

        /** Access token sent as {@code Authorization: Bearer} to the endpoint (never to CDN hosts); null for none. */
        public Builder token(String token) {
            this.token = token == null || token.isBlank() ? null : token.strip();
            return this;
        }

        /** Resolve only from the cache, never touching the network, like HF_HUB_OFFLINE=1. */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** No progress bars on stderr. */
        public Builder quiet(boolean quiet) {
            this.quiet = quiet;
            return this;
        }

        /** Limit for connecting and for metadata requests. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long a download may go without receiving data before it is abandoned (and kept for resuming). */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        public HubResolver build() {
            return new HubResolver(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("cache=" + cacheDir);
        parts.add("endpoint=" + endpoint);
        parts.add(offline ? "offline" : "online");
        if (token != null) {
            parts.add("token=set");
        }
        return "HubResolver[" + String.join(", ", parts) + "]";
    }
}
