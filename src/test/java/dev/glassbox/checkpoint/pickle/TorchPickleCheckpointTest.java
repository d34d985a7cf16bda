package dev.glassbox.checkpoint.pickle;

import static dev.glassbox.checkpoint.pickle.TorchPickleFixtureTest.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.DType;
import dev.glassbox.checkpoint.RawTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synthetic torch.save archives for what the fixture does not exercise: views, sharing, dtypes. */
class TorchPickleCheckpointTest {

    @TempDir
    Path tmp;

    private static final float[] SIX = {0, 1, 2, 3, 4, 5};

    private TorchPickleCheckpoint open(TorchZip zip) throws IOException {
        return TorchPickleCheckpoint.open(zip.write(tmp.resolve("pytorch_model.bin")));
    }

    @Test
    void sharedStorageOffsetsAndTransposedViews() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict().mark()
                .str("a").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                // Tied weight: the same storage again, as torch writes it for shared parameters.
                .str("tied").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .str("tail").tensor("FloatStorage", "0", 6, 4, new long[] {2}, new long[] {1})
                .str("transposed").tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3})
                .str("column").tensor("FloatStorage", "0", 6, 1, new long[] {2}, new long[] {3})
                // A size-1 dimension may carry any stride and still be contiguous.
                .str("row").tensor("FloatStorage", "0", 6, 3, new long[] {1, 3}, new long[] {99, 1})
                .setitems().stop().toByteArray();
        try (TorchPickleCheckpoint ckpt = open(TorchZip.of(pickle).floats("0", SIX))) {
            assertEquals(List.of("a", "tied", "tail", "transposed", "column", "row"), List.copyOf(ckpt.names()));
            assertArrayEquals(SIX, floats(ckpt.get("a")));
            assertArrayEquals(SIX, floats(ckpt.get("tied")));
            assertArrayEquals(new float[] {4, 5}, floats(ckpt.get("tail")));
            RawTensor t = ckpt.get("transposed");
            assertArrayEquals(new long[] {3, 2}, t.shape());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, floats(t));
            assertArrayEquals(new float[] {1, 4}, floats(ckpt.get("column")));
            assertArrayEquals(new float[] {3, 4, 5}, floats(ckpt.get("row")));
            assertTrue(ckpt.get("a").data().isDirect(), "tensors are read into direct buffers, off the Java heap");
        }
    }

    @Test
    void everyStorageTypeMapsToItsDType() throws IOException {
        Object[][] cases = {
            {"FloatStorage", DType.F32}, {"HalfStorage", DType.F16}, {"BFloat16Storage", DType.BF16},
            {"DoubleStorage", DType.F64}, {"LongStorage", DType.I64}, {"IntStorage", DType.I32},
            {"ShortStorage", DType.I16}, {"CharStorage", DType.I8}, {"ByteStorage", DType.U8},
            {"BoolStorage", DType.BOOL}, {"UntypedStorage", DType.U8},
        };
        PickleBytes p = new PickleBytes().proto(2).emptyDict().mark();
        for (int i = 0; i < cases.length; i++) {
            p.str("t" + i).tensor((String) cases[i][0], "k" + i, 2, 0, new long[] {2}, new long[] {1});
        }
        // Any archive name works: torch derives it from the file name it saved to.
        TorchZip zip = new TorchZip("archive", p.setitems().stop().toByteArray());
        for (int i = 0; i < cases.length; i++) {
            zip.storage("k" + i, new byte[2 * ((DType) cases[i][1]).bytes()]);
        }
        try (TorchPickleCheckpoint ckpt = open(zip)) {
            for (int i = 0; i < cases.length; i++) {
                RawTensor t = ckpt.get("t" + i);
                assertEquals(cases[i][1], t.dtype(), (String) cases[i][0]);
                assertEquals(2L * t.dtype().bytes(), t.data().remaining());
            }
        }
    }

    /**
     * torch.save(model.state_dict()) pickles an OrderedDict whose _metadata attribute arrives
     * through BUILD; protocol 4 adds FRAME, MEMOIZE and STACK_GLOBAL; parameters saved with
     * keep_vars=True wrap tensors in _rebuild_parameter or _rebuild_from_type_v2.
     */
    @Test
    void orderedDictWithMetadataProtocol4AndParameters() throws IOException {
        PickleBytes p = new PickleBytes().proto(4).raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0);
        p.stackGlobal("collections", "OrderedDict").memoize().emptyTuple().reduce().memoize();
        // state: {'_metadata': OrderedDict({'': {'version': 1}})}
        p.emptyDict().shortStr("_metadata").stackGlobal("collections", "OrderedDict").emptyTuple().reduce()
                .shortStr("").emptyDict().shortStr("version").integer(1).setitem().setitem().setitem().build();
        p.mark();
        p.shortStr("w").stackGlobal("torch._utils", "_rebuild_parameter")
                .tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1})
                .raw(0x88).stackGlobal("collections", "OrderedDict").emptyTuple().reduce()
                .raw(0x87).reduce();
        p.shortStr("v").stackGlobal("torch._tensor", "_rebuild_from_type_v2")
                .mark().stackGlobal("torch._utils", "_rebuild_tensor_v2")
                .stackGlobal("torch.nn.parameter", "Parameter")
                .mark().mark().shortStr("storage").stackGlobal("torch", "FloatStorage").shortStr("0")
                .shortStr("cpu").integer(6).tuple().binpersid().integer(2).intTuple(2).intTuple(1).newFalse()
                .stackGlobal("collections", "OrderedDict").emptyTuple().reduce().tuple()
                .emptyDict().tuple().reduce();
        p.setitems().stop();
        try (TorchPickleCheckpoint ckpt = open(TorchZip.of(p.toByteArray()).floats("0", SIX))) {
            assertEquals(Set.of("w", "v"), ckpt.names());
            assertArrayEquals(SIX, floats(ckpt.get("w")));
            assertArrayEquals(new float[] {2, 3}, floats(ckpt.get("v")));
        }
    }

    @Test
    void scalarsEmptyTensorsAndBigEndianFiles() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict().mark()
                .str("scalar").tensor("FloatStorage", "0", 6, 5, new long[0], new long[0])
                .str("empty").tensor("FloatStorage", "0", 6, 0, new long[] {0, 4}, new long[] {4, 1})
                .str("m").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .setitems().stop().toByteArray();
        try (TorchPickleCheckpoint ckpt = open(TorchZip.of(pickle).floats("0", SIX))) {
            assertArrayEquals(new float[] {5}, floats(ckpt.get("scalar")));
            assertEquals(0, ckpt.get("scalar").shape().length);
            assertEquals(0, ckpt.get("empty").data().remaining());
        }
        // byteorder "big" (torch >= 2.1 on a big-endian machine): bytes are swapped on read.
        ByteBuffer big = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
        for (float f : SIX) {
            big.putFloat(f);
        }
        TorchZip zip = TorchZip.of(pickle).storage("0", big.array()).entry("byteorder", "big");
        try (TorchPickleCheckpoint ckpt = open(zip)) {
            assertArrayEquals(SIX, floats(ckpt.get("m")));
            assertArrayEquals(new float[] {5}, floats(ckpt.get("scalar")));
        }
    }

    @Test
    void deflatedMetadataIsReadButDeflatedTensorDataIsRefused() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict()
                .str("m").tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1})
                .setitem().stop().toByteArray();
        try (TorchPickleCheckpoint ckpt = open(TorchZip.of(pickle).floats("0", SIX).deflated("data.pkl"))) {
            assertArrayEquals(SIX, floats(ckpt.get("m")));
        }
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> open(TorchZip.of(pickle).floats("0", SIX).deflated("data/0")));
        assertTrue(e.getMessage().contains("compressed"), e.getMessage());
    }

    @Test
    void unknownNameAndClosedCheckpoint() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).emptyDict()
                .str("m").tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1})
                .setitem().stop().toByteArray();
        TorchPickleCheckpoint ckpt = open(TorchZip.of(pickle).floats("0", SIX));
        RawTensor kept = ckpt.get("m");
        GlassboxException e = assertThrows(GlassboxException.class, () -> ckpt.get("nope"));
        assertEquals("pytorch_model.bin: no tensor named 'nope' (the checkpoint has 1 tensors)", e.getMessage());
        ckpt.close();
        assertArrayEquals(SIX, floats(kept), "buffers outlive the checkpoint");
        assertThrows(GlassboxException.class, () -> ckpt.get("m"));
    }
}
