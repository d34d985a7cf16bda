package dev.glassbox.hub;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;

/**
 * One model's folder in the HuggingFace cache, laid out exactly as huggingface_hub does so both
 * share downloads:
 *
 * <pre>
 * {cache}/models--{org}--{name}/blobs/{etag}              file contents, named by etag (sha256 for LFS)
 * {cache}/models--{org}--{name}/snapshots/{commit}/{file} relative symlink ../../blobs/{etag}
 * {cache}/models--{org}--{name}/refs/{revision}           the commit a branch or tag pointed at
 * {cache}/.locks/models--{org}--{name}/{etag}.lock        taken while a blob is downloaded
 * </pre>
 */
final class RepoCache {
    private final String repoId;
    private final Path cacheDir;
    private final Path repoDir;

    RepoCache(Path cacheDir, String repoId) {
        this.repoId = repoId;
        this.cacheDir = cacheDir;
        this.repoDir = cacheDir.resolve(folderName(repoId));
    }

    /** huggingface_hub's repo_folder_name: "models--" + the id with "/" turned into "--". */
    static String folderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    String repoId() {
        return repoId;
    }

    Path repoDir() {
        return repoDir;
    }

    Path blob(String etag) {
        return repoDir.resolve("blobs").resolve(etag);
    }

    Path snapshot(String commit) {
        return repoDir.resolve("snapshots").resolve(commit);
    }

    Path pointer(String commit, String filename) {
        return snapshot(commit).resolve(filename);
    }

    Path ref(String revision) {
        return repoDir.resolve("refs").resolve(revision);
    }

    Path lockFile(String etag) {
        return cacheDir.resolve(".locks").resolve(folderName(repoId)).resolve(etag + ".lock");
    }

    /** The commit refs/{revision} names, if that file exists. */
    Optional<String> readRef(String revision) {
        Path ref = ref(revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
        } catch (IOException e) {
            throw new GlassboxException("cannot read " + ref + ": " + HubClient.describe(e), e);
        }
    }

    /** Records that a branch or tag points at a commit (no newline, as huggingface_hub writes it). */
    void writeRef(String revision, String commit) {
        Path ref = ref(revision);
        try {
            if (readRef(revision).filter(commit::equals).isPresent()) {
                return;
            }
            Files.createDirectories(ref.getParent());
            Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            moveAtomically(tmp, ref);
        } catch (IOException e) {
            throw writeError(ref, e);
        }
    }

    /**
     * Makes snapshots/{commit}/{filename} point at a complete blob: a relative symlink when the file
     * system allows it, else a copy (huggingface_hub reads both). The blob exists before the link,
     * so a link never dangles. The link is made under a temporary name and renamed over the
     * pointer, so another process reading the snapshot never finds the entry missing (deleting
     * first and linking after would leave a gap in which a concurrent load sees no weights).
     */
    void link(Path blob, Path pointer) {
        try {
            Files.createDirectories(pointer.getParent());
            Path target = pointer.getParent().relativize(blob);
            Path tmp = pointer.resolveSibling(pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
            try {
                try {
                    Files.createSymbolicLink(tmp, target);
                } catch (UnsupportedOperationException | IOException e) {
                    // no symlinks here (some Windows setups, some network file systems): copy instead
                    Files.copy(blob, tmp);
                }
                moveAtomically(tmp, pointer);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw writeError(pointer, e);
        }
    }

    /** The blob a snapshot entry links to, when it is a symlink into blobs/ (not a copy). */
    Optional<Path> linkedBlob(Path pointer) {
        try {
            if (!Files.isSymbolicLink(pointer)) {
                return Optional.empty();
            }
            Path target = pointer.getParent().resolve(Files.readSymbolicLink(pointer)).normalize();
            return target.getParent() != null && target.getParent().equals(repoDir.resolve("blobs").normalize())
                    ? Optional.of(target) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static GlassboxException writeError(Path path, IOException e) {
        return new GlassboxException("cannot write " + path + " in the HuggingFace cache ("
                + HubClient.describe(e) + "); check free disk space and permissions, or set HF_HUB_CACHE", e);
    }
}
