package dev.glassbox.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import dev.glassbox.Precision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dtype policy's decisions and conversions, against values worked out by hand. */
class WeightPlanTest {

    static RawTensor f32(String name, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return new RawTensor(name, DType.F32, new long[] {v.length}, b.flip());
    }

    static RawTensor bf16(String name, int... bits) {
        ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : bits) {
            b.putShort((short) x);
        }
        return new RawTensor(name, DType.BF16, new long[] {bits.length}, b.flip());
    }

    @Test
    void roundsToNearestBfloat16TiesToEven() {
        assertEquals(0x3F80, WeightPlan.roundToBf16(Float.floatToRawIntBits(1f)));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0)
        assertEquals(0x3F80, WeightPlan.roundToBf16(Float.floatToRawIntBits(1f + 0x1p-8f)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): up
        assertEquals(0x3F82, WeightPlan.roundToBf16(Float.floatToRawIntBits(1f + 3 * 0x1p-8f)));
        assertEquals(0x3F81, WeightPlan.roundToBf16(Float.floatToRawIntBits(1f + 0x1p-7f + 0x1p-12f)));
        assertEquals(0x7F80, WeightPlan.roundToBf16(Float.floatToRawIntBits(Float.MAX_VALUE))); // overflows to inf
        assertTrue(Float.isNaN(Float.intBitsToFloat(WeightPlan.roundToBf16(0x7F800001) << 16)));
    }

    @Test
    void halfBitsWidenExactly() {
        assertEquals(1f, WeightPlan.halfToFloat((short) 0x3C00));
        assertEquals(-2f, WeightPlan.halfToFloat((short) 0xC000));
        assertEquals(65504f, WeightPlan.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, WeightPlan.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(Float.POSITIVE_INFINITY, WeightPlan.halfToFloat((short) 0x7C00));
    }

    @Test
    void storedDtypeFromEitherConfigSpellingElseTheTensors() {
        ObjectMapper om = new ObjectMapper();
        ObjectNode v5 = om.createObjectNode().put("dtype", "bfloat16");
        ObjectNode v4 = om.createObjectNode().put("torch_dtype", "float16");
        List<RawTensor> t = List.of(f32("a", 1, 2, 3), bf16("b", 0x3F80));
        assertEquals(DType.BF16, WeightPlan.storedDtype(v5, t));
        assertEquals(DType.F16, WeightPlan.storedDtype(v4, t));
        assertEquals(DType.F32, WeightPlan.storedDtype(om.createObjectNode(), t)); // most elements are F32
        assertEquals(DType.BF16, WeightPlan.storedDtype(om.createObjectNode().put("torch_dtype", "auto"), List.of(bf16("b", 1, 2))));
    }

    @Test
    void bf16IsHeldAsF16WhenEveryValueFitsElseF32() {
        // 0x477F = 65280, the largest bfloat16 below float16's 65504; 0x4780 = 65536 does not fit
        WeightPlan fits = WeightPlan.resolve(Precision.BF16, null, List.of(bf16("w", 0x3F80, 0xC77F)));
        assertEquals(DataType.FLOAT16, fits.held());
        assertTrue(!fits.roundToBf16() && fits.note().contains("held as float16"), fits.note());
        WeightPlan wide = WeightPlan.resolve(Precision.AUTO, null, List.of(bf16("ok", 0x3F80), bf16("big", 0x4780)));
        assertEquals(DataType.FLOAT32, wide.held());
        assertTrue(wide.note().contains("tensor 'big' holds 65536.0"), wide.note());
        assertEquals(1, wide.note().lines().count());
        // float32 values asked for as bf16 are rounded to bfloat16 first
        WeightPlan rounded = WeightPlan.resolve(Precision.BF16, null, List.of(f32("w", 1.5f)));
        assertTrue(rounded.roundToBf16() && rounded.held() == DataType.FLOAT16);
        assertNull(WeightPlan.resolve(Precision.F16, null, List.of(f32("w", 1f))).note());
    }

    @Test
    void conversionsHoldTheExpectedValues() {
        Engines.init();
        try (NDManager m = NDManager.newBaseManager()) {
            WeightPlan half = new WeightPlan(DataType.FLOAT16, false, null);
            // 0.1f is not a float16: the nearest float16 is 0.0999755859375 (0x2E66)
            NDArray a = WeightLoader.toNDArray(f32("w", 0.1f, -3f), m, half);
            assertEquals(DataType.FLOAT16, a.getDataType());
            float[] v = a.toType(DataType.FLOAT32, false).toFloatArray();
            assertEquals(0.0999755859375f, v[0]);
            assertEquals(-3f, v[1]);
            // bfloat16 0x3FC0 = 1.5, 0xC2F7 = -123.5: exact in float16
            NDArray b = WeightLoader.toNDArray(bf16("b", 0x3FC0, 0xC2F7), m, half);
            assertEquals(DataType.FLOAT16, b.getDataType());
            float[] w = b.toType(DataType.FLOAT32, false).toFloatArray();
            assertEquals(1.5f, w[0]);
            assertEquals(-123.5f, w[1]);
            // rounded to bfloat16 first: 1 + 2^-7 + 2^-12 becomes 1 + 2^-7
            NDArray r = WeightLoader.toNDArray(f32("r", 1f + 0x1p-7f + 0x1p-12f), m, new WeightPlan(DataType.FLOAT32, true, null));
            assertEquals(1f + 0x1p-7f, r.toFloatArray()[0]);
            GlassboxException e = assertThrows(GlassboxException.class, () -> WeightLoader.toNDArray(f32("big", 1f, 70000f), m, half));
            assertEquals("tensor 'big' holds 70000.0, beyond float16's range of ±65504; load it with --dtype f32 (or bf16)", e.getMessage());
        }
    }
}
