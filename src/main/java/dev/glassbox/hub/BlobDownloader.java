package dev.glassbox.hub;

import dev.glassbox.GlassboxException;
import dev.glassbox.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams one file into {@code blobs/{etag}.incomplete}, resuming it with a Range request, checks
 * it (size; sha256 for LFS files, the git blob sha1 for others, as their etag names them; a file
 * with neither a hash nor a length is not stored), then renames it to {@code blobs/{etag}}. So the
 * final blob name only ever holds a complete, verified file:
 *
 * <ul>
 *   <li>network failure or interruption: the .incomplete file stays, the next resolve resumes it;
 *   <li>write failure (disk full): the .incomplete file is deleted, its tail may be torn;
 *   <li>wrong content (sha256 or size): the .incomplete file is deleted.
 * </ul>
 *
 * The caller holds the blob's {@link BlobLock}.
 */
final class BlobDownloader {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern GIT_SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final long POLL_MILLIS = 100;

    private final HubClient client;
    private final boolean quiet;
    private final Duration stallTimeout;

    BlobDownloader(HubClient client, boolean quiet, Duration stallTimeout) {
        this.client = client;
        this.quiet = quiet;
        this.stallTimeout = stallTimeout;
    }

    static Path partialOf(Path blob) {
        return blob.resolveSibling(blob.getFileName() + ".incomplete");
    }

    static boolean isSha256(String etag) {
        return SHA256.matcher(etag).matches();
    }

    /** A file stored in git (not LFS) has its git blob sha1 as ETag, 40 hex digits. */
    static boolean isGitSha1(String etag) {
        return GIT_SHA1.matcher(etag).matches();
    }

    /** git's blob id: sha1 of "blob {size}\0" followed by the content, as the hub's ETag names it. */
    static String gitBlobSha1(Path file) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + Files.size(file) + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha1.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha1.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-1", e);
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + file + ": " + HubClient.describe(e), e);
        }
    }

    /**
     * Whether a cached blob still matches its name: the git sha1 of a non-LFS blob is checked in
     * full (such files are small); an LFS blob was checked against its sha256 when stored.
     */
    static boolean blobMatchesName(Path blob) {
        String etag = blob.getFileName().toString();
        return !isGitSha1(etag) || gitBlobSha1(blob).equals(etag);
    }

    /** Downloads {@code filename} at {@code commit} into {@code blob}, which does not exist yet. */
    void download(String repoId, String commit, String filename, HubClient.FileMeta meta, Path blob) {
        Path partial = partialOf(blob);
        String what = filename + " of " + repoId;
        boolean verify = isSha256(meta.etag());
        try {
            Files.createDirectories(blob.getParent());
        } catch (IOException e) {
            throw RepoCache.writeError(blob.getParent(), e);
        }
        // Two rounds at most: the second only after the server refused our Range (416, or a
        // different range than asked), starting from zero.
        for (int round = 0; round < 2; round++) {
            long have = sizeOf(partial);
            if (meta.size() >= 0 && have > meta.size()) {
                delete(partial); // longer than the file: not a prefix of it
                have = 0;
            }
            Fetched fetched;
            if (have > 0 && have == meta.size()) {
                fetched = new Fetched(verify ? hashPrefix(partial, have) : null, have); // all there already
            } else {
                fetched = fetch(repoId, commit, filename, what, partial, have, verify, meta.size());
                if (fetched == null) {
                    delete(partial);
                    continue;
                }
            }
            long expected = meta.size() >= 0 ? meta.size() : fetched.total();
            complete(partial, blob, what, verify ? meta.etag() : null, fetched.digest(), expected, meta.etag());
            return;
        }
        throw new GlassboxException(client.endpoint() + " refused to serve " + what + " from the start");
    }

    /** Digest of everything in the partial file (null when not verifying) and the announced size. */
    private record Fetched(MessageDigest digest, long total) {}

    /**
     * One GET, following redirects (the hub sends LFS files to a CDN). Returns null when the server
     * would not resume at {@code have}, so the caller starts over.
     */
    private Fetched fetch(String repoId, String commit, String filename, String what,
            Path partial, long have, boolean verify, long expectedSize) {
        // Resumed bytes count toward the sha256 too; hash them before the new ones arrive.
        MessageDigest digest = verify ? hashPrefix(partial, have) : null;
        URI uri = client.resolveUri(repoId, commit, filename);
        for (int hop = 0; hop <= HubClient.MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = client.request(uri).GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            AtomicReference<FileSink> sinkRef = new AtomicReference<>();
            HttpResponse.BodyHandler<Void> handler = info -> {
                int status = info.statusCode();
                boolean resumed = status == 206 && have > 0 && rangeStart(info.headers()) == have;
                if (status != 200 && !resumed) {
                    return HttpResponse.BodySubscribers.replacing(null); // redirect or error: no body wanted
                }
                // 200 despite a Range header: the server sends the whole file, so start from zero.
                long start = resumed ? have : 0;
                if (digest != null && !resumed) {
                    digest.reset();
                }
                long total = resumed ? rangeTotal(info.headers()) : info.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (total < 0) {
                    total = expectedSize;
                }
                FileSink sink = FileSink.open(partial, resumed, digest, start, total, progressBar(filename, start, total));
                sinkRef.set(sink);
                return sink;
            };
            HttpResponse<Void> response = await(client.http().sendAsync(request.build(), handler), sinkRef, uri, what, partial);
            FileSink sink = sinkRef.get();
            if (sink != null) {
                try {
                    sink.finish();
                } catch (IOException e) {
                    delete(partial);
                    throw writeFailed(partial, e);
                }
                return new Fetched(digest, sink.total);
            }
            int status = response.statusCode();
            if (HubClient.isRedirect(status)) {
                uri = client.redirectTarget(response, what);
                continue;
            }
            if (status == 416 || status == 206) {
                return null;
            }
            throw client.httpError(response, repoId, commit, filename);
        }
        throw new GlassboxException("too many redirects from " + client.endpoint() + " for " + what);
    }

    /**
     * Waits for a response while watching for stalls: the JDK client has no read timeout, so a
     * connection that stops sending bytes is cancelled here after {@code stallTimeout}.
     */
    private HttpResponse<Void> await(CompletableFuture<HttpResponse<Void>> future,
            AtomicReference<FileSink> sinkRef, URI uri, String what, Path partial) {
        long lastBytes = -1;
        long lastChange = System.nanoTime();
        try {
            while (true) {
                try {
                    return future.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    FileSink sink = sinkRef.get();
                    long bytes = sink == null ? -1 : sink.written.get();
                    long now = System.nanoTime();
                    if (bytes != lastBytes) {
                        lastBytes = bytes;
                        lastChange = now;
                    } else if (now - lastChange > stallTimeout.toNanos()) {
                        cancel(future, sink);
                        String why = "no data for " + stallTimeout.toMillis() / 1000.0 + " s";
                        if (sink == null) {
                            throw client.unreachable(uri, what, new HttpTimeoutException(why));
                        }
                        throw stopped(what, partial, sink, why);
                    }
                }
            }
        } catch (InterruptedException e) {
            FileSink sink = sinkRef.get();
            cancel(future, sink);
            Thread.currentThread().interrupt();
            throw stopped(what, partial, sink, "interrupted");
        } catch (ExecutionException e) {
            FileSink sink = sinkRef.get();
            if (sink != null) {
                sink.closeQuietly();
            }
            Throwable cause = unwrap(e);
            if (cause instanceof SinkWriteException w) {
                delete(partial); // a failed write may have torn the tail: nothing to resume from
                throw writeFailed(partial, w.getCause());
            }
            if (cause instanceof IOException io) {
                if (sink == null) {
                    throw client.unreachable(uri, what, io);
                }
                throw stopped(what, partial, sink, HubClient.describe(io));
            }
            throw new GlassboxException("download of " + what + " failed: " + HubClient.describe(cause), cause);
        }
    }

    /** Checks the finished partial file and renames it to the blob; a bad file is deleted. */
    private void complete(Path partial, Path blob, String what, String sha256, MessageDigest digest, long expected,
            String etag) {
        long size = sizeOf(partial);
        if (sha256 == null && !isGitSha1(etag) && expected < 0) {
            // Neither a hash nor a length to check against: a truncated body would look complete.
            delete(partial);
            throw new GlassboxException("download of " + what + " cannot be verified: " + client.endpoint()
                    + " sent neither a content hash as ETag nor a length; nothing was stored");
        }
        if (expected >= 0 && size < expected) {
            throw new GlassboxException("download of " + what + " ended early after " + human(size) + " of "
                    + human(expected) + "; " + partial + " is kept and the next resolve resumes it");
        }
        if (expected >= 0 && size > expected) {
            delete(partial);
            throw new GlassboxException("download of " + what + " is corrupt: " + size + " bytes instead of "
                    + expected + "; it was deleted, resolve again to retry");
        }
        if (sha256 != null) {
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(sha256)) {
                delete(partial);
                throw new GlassboxException("download of " + what + " is corrupt: its sha256 is " + actual
                        + " but the hub says " + sha256 + "; it was deleted, resolve again to retry");
            }
        }
        if (isGitSha1(etag)) {
            String actual = gitBlobSha1(partial);
            if (!actual.equals(etag)) {
                delete(partial);
                throw new GlassboxException("download of " + what + " is corrupt: its git blob sha1 is " + actual
                        + " but the hub's ETag says " + etag + " (" + size + " bytes received); it was deleted, resolve again to retry");
            }
        }
        try {
            RepoCache.moveAtomically(partial, blob);
        } catch (IOException e) {
            throw RepoCache.writeError(blob, e);
        }
    }

    private GlassboxException stopped(String what, Path partial, FileSink sink, String why) {
        if (sink == null || sizeOf(partial) == 0) {
            return new GlassboxException("download of " + what + " stopped before any data (" + why + ")");
        }
        String of = sink.total >= 0 ? " of " + human(sink.total) : "";
        return new GlassboxException("download of " + what + " stopped after " + human(sizeOf(partial)) + of
                + " (" + why + "); " + partial + " is kept and the next resolve resumes it");
    }

    private static GlassboxException writeFailed(Path partial, IOException e) {
        return new GlassboxException("cannot write " + partial + " (" + HubClient.describe(e)
                + "); the partial download was deleted; check free disk space, or set HF_HUB_CACHE elsewhere", e);
    }

    private Progress progressBar(String filename, long start, long total) {
        if (quiet) {
            return null;
        }
        // Units that keep the numbers readable: small files in bytes, weights in MiB.
        String unit = total < 0 || total >= (64L << 20) ? "MiB" : total >= (64L << 10) ? "KiB" : "B";
        long unitSize = unit.equals("MiB") ? 1L << 20 : unit.equals("KiB") ? 1L << 10 : 1;
        // total < 0: size unknown, an indefinite bar; drawn on stderr only when it is a terminal
        return Progress.start(Progress.Spec.of(filename, total).startingAt(start).inUnits(unit, unitSize, true));
    }

    private static void cancel(CompletableFuture<?> future, FileSink sink) {
        if (sink != null) {
            sink.abort();
        }
        future.cancel(true);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static long rangeStart(HttpHeaders headers) {
        Matcher m = CONTENT_RANGE.matcher(headers.firstValue("Content-Range").orElse(""));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long rangeTotal(HttpHeaders headers) {
        Matcher m = CONTENT_RANGE.matcher(headers.firstValue("Content-Range").orElse(""));
        return m.find() && !m.group(3).equals("*") ? Long.parseLong(m.group(3)) : -1;
    }

    /** A sha256 digest already fed with the first {@code length} bytes of {@code file}. */
    private static MessageDigest hashPrefix(Path file, long length) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        if (length == 0) {
            return digest;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    break;
                }
                digest.update(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + file + ": " + HubClient.describe(e), e);
        }
        return digest;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort; the error being reported matters more
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < (1L << 20)) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        if (bytes < (1L << 30)) {
            return String.format("%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }

    /** A write to the cache failed inside the HTTP client's thread. */
    private static final class SinkWriteException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SinkWriteException(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /**
     * Appends the response body to the partial file as it arrives, feeding the digest and the
     * progress bar. Runs on the HTTP client's threads; the caller's thread owns finish/abort.
     */
    private static final class FileSink implements HttpResponse.BodySubscriber<Void> {
        private final FileChannel out;
        private final MessageDigest digest;
        private final Progress bar;
        private final long total;
        final AtomicLong written;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile Flow.Subscription subscription;

        private FileSink(FileChannel out, MessageDigest digest, Progress bar, long start, long total) {
            this.out = out;
            this.digest = digest;
            this.bar = bar;
            this.total = total;
            this.written = new AtomicLong(start);
        }

        static FileSink open(Path partial, boolean append, MessageDigest digest, long start, long total, Progress bar) {
            try {
                FileChannel out = append
                        ? FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                        : FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING);
                return new FileSink(out, digest, bar, start, total);
            } catch (IOException e) {
                if (bar != null) {
                    bar.close();
                }
                throw new SinkWriteException(e);
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (done.isDone()) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (done.isDone()) {
                return;
            }
            try {
                long n = 0;
                for (ByteBuffer b : buffers) {
                    if (digest != null) {
                        digest.update(b.duplicate());
                    }
                    while (b.hasRemaining()) {
                        n += out.write(b);
                    }
                }
                long now = written.addAndGet(n);
                if (bar != null) {
                    bar.stepTo(now);
                }
                subscription.request(1);
            } catch (IOException e) {
                subscription.cancel();
                done.completeExceptionally(new SinkWriteException(e));
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }

        @Override
        public CompletionStage<Void> getBody() {
            return done;
        }

        /** All bytes arrived: make them durable before the rename that publishes them. */
        void finish() throws IOException {
            try {
                out.force(true);
            } finally {
                closeQuietly();
            }
        }

        void abort() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            done.completeExceptionally(new CancellationException());
            closeQuietly();
        }

        void closeQuietly() {
            if (closed.getAndSet(true)) {
                return;
            }
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing left to save
            }
            if (bar != null) {
                bar.close();
            }
        }
    }
}
