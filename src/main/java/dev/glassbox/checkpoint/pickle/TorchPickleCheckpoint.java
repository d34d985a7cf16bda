package dev.glassbox.checkpoint.pickle;

import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.FileBytes;
import dev.glassbox.checkpoint.RawTensor;
import dev.glassbox.checkpoint.TensorSource;
import dev.glassbox.checkpoint.pickle.TorchUnpickler.StorageRef;
import dev.glassbox.checkpoint.pickle.TorchUnpickler.TensorRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A PyTorch {@code pytorch_model.bin} read without executing it.
 *
 * <p>torch.save writes a zip archive: {@code {archive}/data.pkl} pickles the state dict, each
 * tensor's bytes lie uncompressed in {@code {archive}/data/{key}}, and {@code byteorder} (torch ≥
 * 2.1) and {@code version} describe the encoding. Executing the pickle is what makes these files
 * dangerous, so {@link TorchUnpickler} interprets only the records a plain state dict uses and
 * refuses everything else. Tensor data is memory-mapped straight from the zip; only views that are
 * not contiguous row-major (or big-endian files) are copied.
 *
 * <p>Everything the pickle claims (storage keys, element counts, offsets, strides) is checked
 * against the archive when the file is opened, so {@link #get} fails only for tensors too large
 * for one buffer.
 */
public final class TorchPickleCheckpoint implements TensorSource {

    /** A state dict's pickle is ~100 bytes per tensor; anything near this cap is not one. */
    static final long MAX_PICKLE_BYTES = 32L << 20;

    /** One tensor after validation: where its view of the storage lies in the file. */
    private record Entry(String name, DType dtype, long[] shape, long[] stride, long offset,
            String storageEntry, long storageFileOffset) {}

    private final Path file;
    private final String label;
    private final FileChannel channel;
    private final boolean bigEndian;
    private final Map<String, Entry> tensors;
    private volatile boolean closed;

    private TorchPickleCheckpoint(Path file, String label, FileChannel channel, boolean bigEndian,
            Map<String, Entry> tensors) {
        this.file = file;
        this.label = label;
        this.channel = channel;
        this.bigEndian = bigEndian;
        this.tensors = tensors;
    }

    /**
     * Opens {@code file}, interprets its pickle under the allow-list and validates every tensor.
     * Throws GlassboxException if the file is not a torch.save zip archive of a flat state dict,
     * or if its pickle does anything a state dict never does.
     */
    public static TorchPickleCheckpoint open(Path file) {
        String label = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new GlassboxException(file + ": no such file");
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            TorchPickleCheckpoint checkpoint = read(file, label, channel);
            channel = null; // now owned by the checkpoint
            return checkpoint;
        } catch (IOException e) {
            throw new GlassboxException(label + ": cannot read: " + e.getMessage(), e);
        } finally {
            if (channel != null) {
                closeQuietly(channel);
            }
        }
    }

    private static TorchPickleCheckpoint read(Path file, String label, FileChannel channel) throws IOException {
        checkFormat(file, label, channel);
        StoredZip zip = StoredZip.open(label, channel);
        String prefix = archivePrefix(label, zip);
        Map<String, StoredZip.Entry> entries = zip.entries();

        boolean bigEndian = false;
        StoredZip.Entry byteorder = entries.get(prefix + "byteorder");
        if (byteorder != null) {
            // Written by torch >= 2.1; older files were always little-endian in practice.
            String order = new String(zip.readSmall(byteorder, 64), StandardCharsets.US_ASCII).trim();
            if (order.equals("big")) {
                bigEndian = true;
            } else if (!order.equals("little")) {
                throw new GlassboxException(label + ": unknown byteorder '" + TorchUnpickler.printable(order)
                        + "' (expected little or big)");
            }
        }
        StoredZip.Entry version = entries.get(prefix + "version");
        if (version != null) {
            String v = new String(zip.readSmall(version, 64), StandardCharsets.US_ASCII).trim();
            if (!v.matches("[0-9]{1,3}")) {
                throw new GlassboxException(label + ": unreadable archive version '" + TorchUnpickler.printable(v)
                        + "'; this is not a torch.save checkpoint or it is corrupt");
            }
        }

        byte[] pickle = zip.readSmall(entries.get(prefix + "data.pkl"), MAX_PICKLE_BYTES);
        Object root = TorchUnpickler.load(label, pickle);
        if (!(root instanceof Map<?, ?> stateDict)) {
            throw new GlassboxException(label + ": the pickle holds " + TorchUnpickler.describe(root)
                    + ", not a state dict (a dict of tensors)");
        }

        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, Long> storageOffsets = new HashMap<>(); // data offsets, shared by tied tensors
        for (Map.Entry<?, ?> item : stateDict.entrySet()) {
            if (!(item.getKey() instanceof String name)) {
                throw new GlassboxException(label + ": the state dict has a key that is not a string");
            }
            if (!(item.getValue() instanceof TensorRef ref)) {
                throw new GlassboxException(label + ": entry '" + TorchUnpickler.printable(name) + "' is "
                        + TorchUnpickler.describe(item.getValue()) + ", not a tensor; glassbox reads flat state dicts (name -> tensor)");
            }
            tensors.put(name, validate(label, zip, prefix, name, ref, storageOffsets));
        }
        return new TorchPickleCheckpoint(file, label, channel, bigEndian, Collections.unmodifiableMap(tensors));
    }

    /** Refuses, with advice, files that are not zip archives: torch's legacy formats and strangers. */
    private static void checkFormat(Path file, String label, FileChannel channel) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(512);
        while (head.hasRemaining() && channel.read(head, head.position()) > 0) {
            // read what there is
        }
        head.flip();
        int n = head.remaining();
        if (n >= 4 && head.get(0) == 'P' && head.get(1) == 'K' && (head.get(2) == 3 || head.get(2) == 5)) {
            return;
        }
        boolean legacyPickle = n >= 2 && (head.get(0) & 0xFF) == 0x80 && head.get(1) <= 5;
        boolean legacyTar = n >= 262 && new String(head.array(), 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        if (legacyPickle || legacyTar) {
            Path dir = file.toAbsolutePath().getParent();
            throw new GlassboxException(label + ": this is PyTorch's legacy (pre-1.6, non-zip) checkpoint format,"
                    + " which glassbox does not read; convert it once (this runs the pickle: only for a file you trust) with:"
                    + " python -c \"from transformers import AutoModelForCausalLM as M; d='" + dir
                    + "'; M.from_pretrained(d).save_pretrained(d, safe_serialization=True)\"");
        }
        throw new GlassboxException(label + ": not a PyTorch checkpoint (torch.save writes a zip archive,"
                + " and this file does not start like one)");
    }

    /** torch names every entry {@code {archive}/...}; the archive name comes from the file name. */
    private static String archivePrefix(String label, StoredZip zip) {
        String prefix = null;
        for (String name : zip.entries().keySet()) {
            if (name.equals("data.pkl") || (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - 9)) {
                if (prefix != null) {
                    throw new GlassboxException(label + ": the archive holds more than one data.pkl");
                }
                prefix = name.substring(0, name.length() - "data.pkl".length());
            }
        }
        if (prefix == null) {
            throw new GlassboxException(label + ": the zip archive has no {archive}/data.pkl, so it is not"
                    + " a torch.save checkpoint");
        }
        return prefix;
    }

    /** Checks one tensor against its storage and the archive; everything here came from the file. */
    private static Entry validate(String label, StoredZip zip, String prefix, String name, TensorRef ref,
            Map<String, Long> storageOffsets) throws IOException {
        String shown = "tensor '" + TorchUnpickler.printable(name) + "'";
        StorageRef storage = ref.storage();
        DType dtype = storage.dtype();
        String entryName = prefix + "data/" + storage.key();
        StoredZip.Entry entry = zip.entries().get(entryName);
        if (entry == null) {
            throw new GlassboxException(label + ": " + shown + " refers to storage "
                    + TorchUnpickler.printable(entryName) + ", which the archive lacks; the file is incomplete");
        }
        if (!StoredZip.isStored(entry)) {
            throw new GlassboxException(label + ": storage " + TorchUnpickler.printable(entryName)
                    + " is compressed, but torch stores tensor data uncompressed; re-save the checkpoint");
        }
        long storageBytes;
        try {
            storageBytes = Math.multiplyExact(storage.numel(), (long) dtype.bytes());
        } catch (ArithmeticException e) {
            storageBytes = Long.MAX_VALUE;
        }
        if (storageBytes > entry.size()) {
            throw new GlassboxException(label + ": storage " + TorchUnpickler.printable(entryName) + " holds "
                    + entry.size() + " bytes, fewer than the " + storage.numel() + " " + dtype
                    + " elements the pickle declares; the file is truncated or corrupt");
        }
        Long fileOffset = storageOffsets.get(entryName);
        if (fileOffset == null) {
            fileOffset = zip.dataOffset(entry);
            storageOffsets.put(entryName, fileOffset);
        }

        long[] shape = ref.size();
        long[] stride = ref.stride();
        long offset = ref.offset();
        if (offset < 0) {
            throw new GlassboxException(label + ": " + shown + " has a negative storage offset");
        }
        try {
            long numel = 1;
            long last = offset; // the furthest element the view touches
            for (int d = 0; d < shape.length; d++) {
                if (shape[d] < 0 || stride[d] < 0) {
                    throw new GlassboxException(label + ": " + shown + " has a negative size or stride");
                }
                numel = Math.multiplyExact(numel, shape[d]);
                if (shape[d] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, stride[d]));
                }
            }
            if (numel > 0 && last >= storage.numel()) {
                throw new GlassboxException(label + ": " + shown + " of shape " + Arrays.toString(shape)
                        + " at offset " + offset + " reaches element " + last + " of a storage of "
                        + storage.numel() + "; the file is corrupt");
            }
            // A view that repeats elements of its storage (stride 0, or strides that make two
            // indices meet) is a broadcast, never a saved parameter: every weight would alias
            // another. Refusing it also stops a tiny file from asking for a huge materialized copy.
            if (numel > storage.numel() || overlaps(shape, stride)) {
                throw new GlassboxException(label + ": " + shown + " of shape " + Arrays.toString(shape)
                        + " and stride " + Arrays.toString(stride) + " repeats elements of its storage"
                        + " (a broadcast view), which a saved parameter never does");
            }
        } catch (ArithmeticException e) {
            throw new GlassboxException(label + ": " + shown + " has a size that overflows 64 bits");
        }
        return new Entry(name, dtype, shape.clone(), stride.clone(), offset, entryName, fileOffset);
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /**
     * The tensor called {@code name}. Contiguous little-endian tensors are read-only slices of a
     * memory map of the file; other views are copied into a new direct buffer.
     */
    @Override
    public RawTensor get(String name) {
        if (closed) {
            throw new GlassboxException(label + ": already closed");
        }
        Entry t = tensors.get(name);
        if (t == null) {
            throw new GlassboxException(label + ": no tensor named '" + name + "' (the checkpoint has "
                    + tensors.size() + " tensors)");
        }
        int es = t.dtype().bytes();
        long numel = 1;
        for (long d : t.shape()) {
            numel *= d; // validated in open: no overflow
        }
        long bytes = numel * es;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new GlassboxException(label + ": tensor '" + name + "' holds " + bytes
                    + " bytes, more than one buffer can hold (2 GiB)");
        }
        try {
            ByteBuffer data;
            if (numel == 0) {
                data = ByteBuffer.allocateDirect(0);
            } else if (isContiguous(t.shape(), t.stride()) && (!bigEndian || es == 1)) {
                // Read, not mapped: a mapped file truncated under a running load would kill the JVM.
                data = FileBytes.read(channel, t.storageFileOffset() + t.offset() * es, (int) bytes, label,
                        "tensor '" + TorchUnpickler.printable(name) + "'");
            } else {
                data = materialize(t, (int) bytes);
            }
            return new RawTensor(name, t.dtype(), t.shape().clone(), data.order(ByteOrder.LITTLE_ENDIAN));
        } catch (IOException e) {
            throw new GlassboxException(label + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * Whether two indices of the view reach the same element. Taking the dimensions of size over 1
     * by increasing stride, each stride must step past everything the smaller ones span, as in
     * any permutation of a dense layout; a stride of 0 never does.
     */
    static boolean overlaps(long[] shape, long[] stride) {
        Integer[] dims = new Integer[shape.length];
        int n = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] > 1) {
                dims[n++] = d;
            }
        }
        Integer[] used = Arrays.copyOf(dims, n);
        Arrays.sort(used, (a, b) -> Long.compare(stride[a], stride[b]));
        long span = 1; // 1 + the furthest offset the smaller dimensions reach (checked for overflow by the caller)
        for (int d : used) {
            if (stride[d] < span) {
                return true;
            }
            span += (shape[d] - 1) * stride[d];
        }
        return false;
    }

    /** Row-major contiguous, ignoring the strides of size-1 dimensions (torch leaves them arbitrary). */
    static boolean isContiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /**
     * Copies a strided view into a contiguous direct buffer, swapping bytes for big-endian files.
     * Walks the outer indices like an odometer and copies the innermost dimension in one run when
     * it is contiguous.
     */
    private ByteBuffer materialize(Entry t, int bytes) throws IOException {
        long[] shape = t.shape();
        long[] stride = t.stride();
        int es = t.dtype().bytes();
        int nd = shape.length;
        long span = 1; // elements from the first touched to the last, inclusive
        for (int d = 0; d < nd; d++) {
            span += (shape[d] - 1) * stride[d];
        }
        if (span * es > Integer.MAX_VALUE - 8) {
            throw new GlassboxException(label + ": tensor '" + t.name() + "' is a strided view spanning "
                    + span * es + " bytes, more than one buffer can hold (2 GiB)");
        }
        ByteBuffer src = FileBytes.read(channel, t.storageFileOffset() + t.offset() * es, (int) (span * es), label,
                "tensor '" + TorchUnpickler.printable(t.name()) + "'");
        ByteBuffer out = ByteBuffer.allocateDirect(bytes);
        long inner = nd == 0 ? 1 : shape[nd - 1];
        long innerStride = nd == 0 ? 1 : stride[nd - 1];
        boolean runCopy = innerStride == 1 && !(bigEndian && es > 1);
        long[] index = new long[Math.max(nd - 1, 0)];
        int outPos = 0;
        while (true) {
            long base = 0;
            for (int d = 0; d < index.length; d++) {
                base += index[d] * stride[d];
            }
            if (runCopy) {
                int run = (int) (inner * es);
                out.put(outPos, src, (int) (base * es), run);
                outPos += run;
            } else {
                for (long i = 0; i < inner; i++) {
                    int from = (int) ((base + i * innerStride) * es);
                    for (int b = 0; b < es; b++) {
                        out.put(outPos++, src.get(bigEndian ? from + es - 1 - b : from + b));
                    }
                }
            }
            // Advance the odometer over the outer dimensions.
            int d = index.length - 1;
            while (d >= 0 && ++index[d] == shape[d]) {
                index[d--] = 0;
            }
            if (d < 0) {
                FileBytes.free(src);
                return out;
            }
        }
    }

    /** The file this checkpoint reads. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        // Buffers already handed out stay valid: a mapping outlives the channel it came from.
        closed = true;
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "TorchPickleCheckpoint[" + file + ", " + tensors.size() + " tensors]";
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do; the checkpoint is being abandoned anyway
        }
    }
}
