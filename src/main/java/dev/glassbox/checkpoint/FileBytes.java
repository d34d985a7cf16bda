package dev.glassbox.checkpoint;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Reads a checkpoint's bytes into fresh direct buffers with {@code read}, never through a memory
 * map: a mapped file that is truncated while native code (libtorch) copies from it raises SIGBUS and
 * kills the JVM, whereas a read of a shrunken file only comes up short, which is reported as an
 * error naming the file. The buffers live off the Java heap; {@link #free} returns one at once so a
 * model's load does not wait for the garbage collector to release them.
 */
public final class FileBytes {

    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method m = null;
        Object u = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            m = null; // then buffers are left to the garbage collector
        }
        INVOKE_CLEANER = m;
        UNSAFE = u;
    }

    private FileBytes() {}

    /**
     * {@code length} bytes at {@code position} of {@code channel}, little-endian, in a new direct
     * buffer; a GlassboxException naming {@code file} and {@code what} if the file no longer holds
     * them (it was truncated or rewritten after it was opened).
     */
    public static ByteBuffer read(FileChannel channel, long position, int length, String file, String what) {
        ByteBuffer out = ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN);
        try {
            long size = channel.size();
            if (position + length > size) {
                throw changed(file, what, size, position + length);
            }
            while (out.hasRemaining()) {
                int n = channel.read(out, position + out.position());
                if (n < 0) {
                    throw changed(file, what, channel.size(), position + length);
                }
            }
        } catch (IOException e) {
            free(out);
            throw new GlassboxException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            free(out);
            throw e;
        }
        out.flip();
        return out;
    }

    private static GlassboxException changed(String file, String what, long size, long needed) {
        return new GlassboxException(file + ": changed while it was being read: " + what + " needs bytes up to "
                + needed + " but the file now has " + size + " (it was truncated or rewritten; load it again)");
    }

    /** Releases a buffer made by {@link #read} now; no-op for any other kind of buffer. */
    public static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer == null || !buffer.isDirect() || buffer.capacity() == 0) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a slice or duplicate has no cleaner of its own: the collector frees it later
        }
    }
}
