package dev.glassbox.checkpoint.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files that try to run code, lie about their tensors, or are simply broken. Each must end in a
 * one-line GlassboxException naming the file; none may run anything or escape as another exception.
 */
class HostilePickleTest {

    @TempDir
    Path tmp;

    private static final Path FIXTURE = Path.of(System.getProperty("glassbox.shared", "../shared"),
            "fixtures", "llama-pickle-bin", "pytorch_model.bin");

    private GlassboxException refuse(TorchZip zip) throws IOException {
        Path file = zip.write(tmp.resolve("pytorch_model.bin"));
        GlassboxException e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(file).close());
        assertOneLine(e);
        return e;
    }

    private static void assertOneLine(GlassboxException e) {
        assertTrue(e.getMessage().startsWith("pytorch_model.bin: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    private static GlassboxException refusePickle(byte[] pickle) {
        GlassboxException e = assertThrows(GlassboxException.class, () -> TorchUnpickler.load("pytorch_model.bin", pickle));
        assertOneLine(e);
        return e;
    }

    /** What pickle.dumps writes for {@code os.system('echo pwned > marker')} at protocol 2. */
    @Test
    void posixSystemIsRefusedAndNeverRuns() throws IOException {
        Path marker = tmp.resolve("pwned");
        byte[] pickle = new PickleBytes().proto(2).global("posix", "system").binput(0)
                .str("echo pwned > " + marker).binput(1).tuple1().binput(2).reduce().binput(3).stop().toByteArray();
        GlassboxException e = refuse(TorchZip.of(pickle));
        assertEquals("pytorch_model.bin: refused to load: the pickle calls posix.system, which a plain state dict"
                + " never does (glassbox never executes pickles)", e.getMessage());
        assertFalse(Files.exists(marker), "the pickle's command ran");
    }

    /** The same payload hidden as one value among real tensors. */
    @Test
    void payloadInsideAStateDictIsRefused() throws IOException {
        Path marker = tmp.resolve("pwned");
        byte[] pickle = new PickleBytes().proto(2).emptyDict().mark()
                .str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .str("x").global("os", "system").str("touch " + marker).tuple1().reduce()
                .setitems().stop().toByteArray();
        GlassboxException e = refuse(TorchZip.of(pickle).floats("0", 1, 2));
        assertTrue(e.getMessage().contains("refused to load: the pickle calls os.system"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    /** Protocol 4 names callables with STACK_GLOBAL instead of GLOBAL. */
    @Test
    void builtinsEvalThroughStackGlobalIsRefused() throws IOException {
        byte[] pickle = new PickleBytes().proto(4).raw(0x95, 40, 0, 0, 0, 0, 0, 0, 0)
                .stackGlobal("builtins", "eval").memoize()
                .shortStr("__import__('os').system('true')").tuple1().reduce().stop().toByteArray();
        GlassboxException e = refuse(TorchZip.of(pickle));
        assertTrue(e.getMessage().contains("the pickle calls builtins.eval"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "builtins, exec", "builtins, getattr", "__builtin__, eval", "nt, system", "subprocess, Popen",
        "subprocess, check_output", "webbrowser, open", "torch, load", "torch.serialization, load",
        "numpy.core.multiarray, _reconstruct", "collections, defaultdict", "torch._utils, _rebuild_qtensor",
    })
    void everyOtherGlobalIsRefused(String module, String name) {
        byte[] pickle = new PickleBytes().proto(2).global(module, name).emptyTuple().reduce().stop().toByteArray();
        GlassboxException e = refusePickle(pickle);
        assertTrue(e.getMessage().contains("refused to load: the pickle calls " + module + "." + name),
                e.getMessage());
    }

    @Test
    void objectCreatingOpcodesAreRefused() {
        // INST names its class inline; OBJ, NEWOBJ and NEWOBJ_EX take it from the stack.
        assertTrue(refusePickle(new PickleBytes().proto(2).mark().str("id").raw('i')
                .raw("os\nsystem\n".getBytes(StandardCharsets.US_ASCII)).stop().toByteArray()).getMessage()
                .contains("refused to load: the pickle instantiates os.system (INST)"));
        for (int op : new int[] {'o', 0x81, 0x92}) {
            GlassboxException e = refusePickle(new PickleBytes().proto(2).mark()
                    .global("collections", "OrderedDict").emptyTuple().raw(op).stop().toByteArray());
            assertTrue(e.getMessage().contains("refused to load: the pickle instantiates an object"), e.getMessage());
        }
        assertTrue(refusePickle(new PickleBytes().proto(2).raw(0x82, 1).stop().toByteArray()).getMessage()
                .contains("refused to load"));
        // Allow-listed names still cannot be misused: a storage class is never called, and BUILD
        // may not poke state into a tensor.
        assertTrue(refusePickle(new PickleBytes().proto(2).global("torch", "FloatStorage").emptyTuple().reduce()
                .stop().toByteArray()).getMessage().contains("refused to load: the pickle calls torch.FloatStorage"));
        GlassboxException build = refusePickle(new PickleBytes().proto(2)
                .tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).emptyDict().build()
                .stop().toByteArray());
        assertTrue(build.getMessage().contains("refused to load: the pickle sets the state of a tensor"),
                build.getMessage());
    }

    @Test
    void unsupportedStorageTypeIsNamed() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict()
                .str("c").tensor("ComplexFloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .setitem().stop().toByteArray();
        GlassboxException e = refuse(TorchZip.of(pickle).storage("0", new byte[16]));
        assertEquals("pytorch_model.bin: tensor storage type torch.ComplexFloatStorage is not supported (glassbox"
                + " reads float64/32/16, bfloat16, integer and bool tensors)", e.getMessage());
    }

    @Test
    void missingStorageIsNamed() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict().mark()
                .str("a").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .str("b.weight").tensor("FloatStorage", "7", 2, 0, new long[] {2}, new long[] {1})
                .setitems().stop().toByteArray();
        GlassboxException e = refuse(TorchZip.of(pickle).floats("0", 1, 2));
        assertEquals("pytorch_model.bin: tensor 'b.weight' refers to storage pytorch_model/data/7, which the"
                + " archive lacks; the file is incomplete", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        // storage numel; offset; size; stride; expected message fragment
        "100; 0; 2; 1; holds 8 bytes, fewer than the 100 F32 elements",
        "2; 1; 2; 1; reaches element 2 of a storage of 2",
        "2; 0; 2 2; 1 1; reaches element 2 of a storage of 2",
        "2; 0; 1000000 1000000; 0 0; repeats elements of its storage",
        "2; 0; 2; 0; repeats elements of its storage",
        "2; 0; 2 1; 0 1; repeats elements of its storage",
        "2; 0; 2 2; 1 0; repeats elements of its storage",
        "2; 0; 2; -1; negative size or stride",
        "2; -1; 1; 1; negative storage offset",
        "2; 0; 4611686018427387904 4; 1 1; overflows 64 bits",
    })
    void tensorsThatLieAboutTheirStorage(long numel, long offset, String size, String stride, String message)
            throws IOException {
        long[] sizes = Arrays.stream(size.split(" ")).mapToLong(Long::parseLong).toArray();
        long[] strides = Arrays.stream(stride.split(" ")).mapToLong(Long::parseLong).toArray();
        byte[] pickle = new PickleBytes().proto(2).emptyDict()
                .str("w").tensor("FloatStorage", "0", numel, offset, sizes, strides)
                .setitem().stop().toByteArray();
        GlassboxException e = refuse(TorchZip.of(pickle).floats("0", 1, 2));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void notAStateDict() throws IOException {
        byte[] list = new PickleBytes().proto(2).emptyList().stop().toByteArray();
        assertEquals("pytorch_model.bin: the pickle holds a list, not a state dict (a dict of tensors)",
                refuse(TorchZip.of(list)).getMessage());
        byte[] nested = new PickleBytes().proto(2).emptyDict().str("state_dict").emptyDict().setitem().stop()
                .toByteArray();
        assertTrue(refuse(TorchZip.of(nested)).getMessage().contains("entry 'state_dict' is a dict, not a tensor"));
    }

    @Test
    void legacyAndForeignFormatsAreExplained() throws IOException {
        Path legacy = tmp.resolve("pytorch_model.bin");
        // The legacy format starts with a pickled magic number: PROTO 2, LONG1 ...
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46});
        GlassboxException e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(legacy));
        assertTrue(e.getMessage().contains("legacy (pre-1.6, non-zip) checkpoint format"), e.getMessage());
        assertTrue(e.getMessage().contains("save_pretrained(d, safe_serialization=True)"), e.getMessage());

        Files.writeString(legacy, "{\"not\": \"a checkpoint\"}");
        e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(legacy));
        assertTrue(e.getMessage().contains("not a PyTorch checkpoint"), e.getMessage());

        Files.write(legacy, new byte[0]);
        assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(legacy));

        e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(tmp.resolve("absent.bin")));
        assertTrue(e.getMessage().endsWith("absent.bin: no such file"), e.getMessage());

        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(legacy))) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.write("hello".getBytes(StandardCharsets.US_ASCII));
        }
        e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(legacy));
        assertTrue(e.getMessage().contains("has no {archive}/data.pkl"), e.getMessage());
    }

    /** Cutting the real fixture anywhere must give a clear message, not a crash. */
    @Test
    void truncatedArchives() throws IOException {
        assertTrue(Files.isRegularFile(FIXTURE), "shared fixtures missing: tests that need ../shared fail without it (see ../shared/README.md)");
        byte[] full = Files.readAllBytes(FIXTURE);
        Path cut = tmp.resolve("pytorch_model.bin");
        for (int length : new int[] {1, 4, 100, 3000, full.length / 2, full.length - 100, full.length - 23,
                full.length - 1}) {
            Files.write(cut, Arrays.copyOf(full, length));
            GlassboxException e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(cut),
                    "cut at " + length);
            assertOneLine(e);
        }
        Files.write(cut, Arrays.copyOf(full, full.length / 2));
        assertEquals("pytorch_model.bin: not a complete zip archive (no central directory at its end); the file"
                + " is truncated or corrupt", assertThrows(GlassboxException.class,
                        () -> TorchPickleCheckpoint.open(cut)).getMessage());
    }

    /** A flipped letter in a tensor name still parses; the zip's CRC-32 catches it. */
    @Test
    void corruptedPickleFailsItsChecksum() throws IOException {
        assertTrue(Files.isRegularFile(FIXTURE), "shared fixtures missing: tests that need ../shared fail without it (see ../shared/README.md)");
        byte[] full = Files.readAllBytes(FIXTURE);
        byte[] name = "model.embed_tokens.weight".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(full, name);
        assertTrue(at > 0);
        full[at] = 'M';
        Path file = tmp.resolve("pytorch_model.bin");
        Files.write(file, full);
        GlassboxException e = assertThrows(GlassboxException.class, () -> TorchPickleCheckpoint.open(file));
        assertEquals("pytorch_model.bin: corrupt zip archive: entry pytorch_model/data.pkl fails its CRC-32 check",
                e.getMessage());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Every proper prefix of the fixture's data.pkl is a truncated pickle. */
    @Test
    void truncatedPickles() throws IOException {
        byte[] pickle = fixturePickle();
        for (int length = 0; length < pickle.length; length++) {
            GlassboxException e = refusePickle(Arrays.copyOf(pickle, length));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        byte[] half = Arrays.copyOf(pickle, pickle.length / 2);
        GlassboxException e = refuse(TorchZip.of(half));
        assertTrue(e.getMessage().startsWith("pytorch_model.bin: data.pkl "), e.getMessage());
        assertTrue(e.getMessage().endsWith("the file is truncated or corrupt"), e.getMessage());
    }

    @Test
    void resourceBombsAreCapped() {
        byte[] marks = new byte[TorchUnpickler.MAX_MARK_DEPTH + 10];
        Arrays.fill(marks, (byte) '(');
        assertTrue(refusePickle(new PickleBytes().proto(2).raw(marks).stop().toByteArray()).getMessage()
                .contains("nests MARKs deeper"));

        byte[] dups = new byte[TorchUnpickler.MAX_STACK + 10];
        Arrays.fill(dups, (byte) '2');
        assertTrue(refusePickle(new PickleBytes().proto(2).none().raw(dups).stop().toByteArray()).getMessage()
                .contains("grows its stack past"));

        // A string whose declared length exceeds the file: refused before allocating anything.
        assertTrue(refusePickle(new PickleBytes().proto(4).raw(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x40).stop()
                .toByteArray()).getMessage().contains("declares a string of 4611686018427387904 bytes"));
        assertTrue(refusePickle(new PickleBytes().proto(2).raw(0x8b).u32(Integer.MAX_VALUE).stop().toByteArray())
                .getMessage().contains("has an integer of 2147483647 bytes"));
        assertTrue(refusePickle(new PickleBytes().proto(2).binget(7).stop().toByteArray()).getMessage()
                .contains("refers to memo entry 7 before defining it"));
        // A list containing itself, used as a dict key: must not recurse into hashCode.
        assertTrue(refusePickle(new PickleBytes().proto(2).emptyDict().emptyList().binput(0).binget(0).append()
                .str("v").setitem().stop().toByteArray()).getMessage().contains("uses a list as a dict key"));
        assertTrue(refusePickle(new PickleBytes().proto(9).stop().toByteArray()).getMessage()
                .contains("protocol 9"));
        assertTrue(refusePickle(new byte[] {(byte) 0xff}).getMessage().contains("unknown opcode 0xff"));
    }

    /**
     * Random corruption of a real state dict pickle, re-zipped with its storages: whatever
     * happens, it is a GlassboxException or a successful load, never another exception.
     */
    @Test
    void fuzzedPicklesFailCleanly() throws IOException {
        byte[] original = new PickleBytes().proto(2).emptyDict().mark()
                .str("a").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .str("b").tensor("HalfStorage", "1", 4, 1, new long[] {3}, new long[] {1})
                .str("c").tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3})
                .setitems().stop().toByteArray();
        Random random = new Random(1234);
        int loaded = 0;
        for (int round = 0; round < 400; round++) {
            byte[] pickle = original.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                pickle[random.nextInt(pickle.length)] = (byte) random.nextInt(256);
            }
            Path file = TorchZip.of(pickle).floats("0", 0, 1, 2, 3, 4, 5).storage("1", new byte[8])
                    .write(tmp.resolve("pytorch_model.bin"));
            try (TorchPickleCheckpoint ckpt = TorchPickleCheckpoint.open(file)) {
                for (String name : ckpt.names()) {
                    ckpt.get(name);
                }
                loaded++;
            } catch (GlassboxException e) {
                assertOneLine(e);
            }
        }
        assertTrue(loaded < 400, "some corruption must be detected");
    }

    static byte[] fixturePickle() throws IOException {
        assertTrue(Files.isRegularFile(FIXTURE), "shared fixtures missing: tests that need ../shared fail without it (see ../shared/README.md)");
        try (ZipFile zip = new ZipFile(FIXTURE.toFile());
                InputStream in = zip.getInputStream(zip.getEntry("pytorch_model/data.pkl"))) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"little\n", "little"})
    void byteorderLittleIsAccepted(String order) throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict().stop().toByteArray();
        Path file = TorchZip.of(pickle).entry("byteorder", order).write(tmp.resolve("pytorch_model.bin"));
        try (TorchPickleCheckpoint ckpt = TorchPickleCheckpoint.open(file)) {
            assertTrue(ckpt.names().isEmpty());
        }
        assertTrue(refuse(TorchZip.of(pickle).entry("byteorder", "middle")).getMessage()
                .contains("unknown byteorder 'middle'"));
    }
}
