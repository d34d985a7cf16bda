package dev.glassbox.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive right to download one blob, so two resolvers never append to the same .incomplete
 * file. A file lock on {@code .locks/.../{etag}.lock} covers other JVMs; file locks are held per
 * process, so threads of this JVM also queue on an in-memory lock first.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock fileLock;

    private BlobLock(ReentrantLock local, FileChannel channel, FileLock fileLock) {
        this.local = local;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    static BlobLock acquire(Path lockFile) throws IOException {
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new ReentrantLock());
        local.lock();
        FileChannel channel = null;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new BlobLock(local, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            local.unlock();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            fileLock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing the channel releases the lock anyway
        } finally {
            local.unlock();
        }
    }
}
