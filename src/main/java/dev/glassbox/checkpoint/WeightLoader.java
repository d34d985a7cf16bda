package dev.glassbox.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.glassbox.GlassboxException;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.Attention;
import dev.glassbox.blocks.DecoderLayer;
import dev.glassbox.blocks.Linear;
import dev.glassbox.blocks.Mlp;
import dev.glassbox.blocks.Norm;
import dev.glassbox.blocks.TransformerLM;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fills a {@link TransformerLM}'s parameters from a checkpoint: finds each tensor by its
 * checkpoint name (or an alias), checks its shape against the config, and turns it into an
 * NDArray of the {@link WeightPlan}'s type (float32 by default, float16 for a half-precision
 * model). Bytes go from the memory-mapped file straight into engine memory, never through the
 * Java heap. F16 is converted by the engine; BF16 is widened in Java first (into a direct
 * buffer), since creating a BF16 NDArray aborts this PyTorch build (DJL 0.35.1 and 0.36.0 alike).
 */
public final class WeightLoader {

    /** One parameter to fill and the shape the checkpoint must give it. */
    public record Slot(Parameter parameter, Shape expected) {}

    private WeightLoader() {}

    /** Every parameter of {@code model}, with its expected stored shape. */
    public static List<Slot> slots(TransformerLM model) {
        ModelConfig c = model.config();
        List<Slot> slots = new ArrayList<>();
        slots.add(new Slot(model.embed(), new Shape(c.vocabSize(), c.hiddenSize())));
        if (model.posEmbed() != null) {
            slots.add(new Slot(model.posEmbed(), new Shape(c.maxPositions(), c.hiddenSize())));
        }
        for (DecoderLayer layer : model.layers()) {
            addNorm(slots, layer.norm1());
            Attention a = layer.attention();
            for (Linear l : new Linear[] {a.qkv(), a.q(), a.k(), a.v(), a.o()}) {
                addLinear(slots, l);
            }
            addNorm(slots, a.qNorm());
            addNorm(slots, a.kNorm());
            addNorm(slots, layer.postAttnNorm());
            addNorm(slots, layer.norm2());
            addNorm(slots, layer.postMlpNorm());
            Mlp m = layer.mlp();
            if (m != null) {
                for (Linear l : new Linear[] {m.gateUp(), m.gate(), m.up(), m.down()}) {
                    addLinear(slots, l);
                }
            } else {
                layer.moe().linears().forEach(l -> addLinear(slots, l));
            }
        }
        addNorm(slots, model.finalNorm());
        if (model.lmHead() != null) {
            slots.add(new Slot(model.lmHead(), new Shape(c.vocabSize(), c.hiddenSize())));
        }
        return slots;
    }

    private static void addNorm(List<Slot> slots, Norm n) {
        if (n == null) {
            return; // a norm this architecture does not have
        }
        slots.add(new Slot(n.weight(), new Shape(n.size())));
        if (n.bias() != null) {
            slots.add(new Slot(n.bias(), new Shape(n.size())));
        }
    }

    private static void addLinear(List<Slot> slots, Linear l) {
        if (l == null) {
            return;
        }
        slots.add(new Slot(l.weight(), l.storedWeightShape()));
        if (l.bias() != null) {
            slots.add(new Slot(l.bias(), new Shape(l.outFeatures())));
        }
    }

    /**
     * Loads every parameter of {@code model} from {@code source} into {@code manager}, widened to
     * float32.
     *
     * @param progress called after each tensor with the number loaded so far (may be null)
     */
    public static void load(
            TransformerLM model, Architecture arch, TensorSource source, NDManager manager, Consumer<Integer> progress) {
        load(model, arch, source, manager, progress, WeightPlan.F32);
    }

    /**
     * Loads every parameter as {@code plan} says (float32, or float16 for a half-precision model).
     *
     * @param progress called after each tensor with the number loaded so far (may be null)
     */
    public static void load(
            TransformerLM model, Architecture arch, TensorSource source, NDManager manager, Consumer<Integer> progress,
            WeightPlan plan) {
        List<Slot> slots = slots(model);
        int done = 0;
        for (Slot slot : slots) {
            String name = slot.parameter().getName();
            RawTensor raw = source.get(findName(name, arch, source));
            Shape found = new Shape(raw.shape());
            if (!found.equals(slot.expected())) {
                throw new GlassboxException(
                        "tensor '" + name + "' has shape " + found + " but the config implies " + slot.expected());
            }
            try {
                slot.parameter().setArray(toNDArray(raw, manager, plan));
            } finally {
                raw.release(); // the engine holds its own copy now
            }
            done++;
            if (progress != null) {
                progress.accept(done);
            }
        }
    }

    /** How {@code model}'s weights are held for {@code requested} (reads the stored dtypes; may scan values). */
    public static WeightPlan plan(
            TransformerLM model, Architecture arch, TensorSource source, com.fasterxml.jackson.databind.JsonNode config,
            dev.glassbox.Precision requested) {
        if (requested == dev.glassbox.Precision.F32) {
            return WeightPlan.F32;
        }
        List<RawTensor> tensors = new ArrayList<>();
        for (Slot slot : slots(model)) {
            tensors.add(source.get(findName(slot.parameter().getName(), arch, source)));
        }
        return WeightPlan.resolve(requested, config, tensors);
    }

    private static String findName(String name, Architecture arch, TensorSource source) {
        if (source.contains(name)) {
            return name;
        }
        for (String alias : arch.aliases(name)) {
            if (source.contains(alias)) {
                return alias;
            }
        }
        throw new GlassboxException("missing tensor '" + name + "' in the checkpoint");
    }

    /** A float32 NDArray holding {@code raw}'s values, on {@code manager}'s device. */
    public static NDArray toNDArray(RawTensor raw, NDManager manager) {
        return toNDArray(raw, manager, WeightPlan.F32);
    }

    /** An NDArray of {@code plan.held()} type holding {@code raw}'s values (rounded to bfloat16 first if the plan says so). */
    public static NDArray toNDArray(RawTensor raw, NDManager manager, WeightPlan plan) {
        if (!raw.dtype().isFloating()) {
            throw new GlassboxException(
                    "tensor '" + raw.name() + "' has dtype " + raw.dtype() + "; weights must be F32, F16, BF16 or F64");
        }
        DataType held = plan.held();
        if (raw.dtype() == DType.BF16 || plan.roundToBf16()) {
            // bfloat16 is the top half of a float32: widened in Java, since this build cannot create BF16 arrays
            ByteBuffer wide = raw.dtype() == DType.BF16 && !plan.roundToBf16()
                    ? widenBf16(raw.data(), raw.numel())
                    : WeightPlan.bf16Floats(raw);
            NDArray a = manager.create(wide, new Shape(raw.shape()), DataType.FLOAT32);
            if (held == DataType.FLOAT32) {
                return a;
            }
            try (a) {
                return narrow(a, raw);
            }
        }
        Shape shape = new Shape(raw.shape());
        ByteBuffer data = raw.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        DataType stored = raw.dtype() == DType.F32 ? DataType.FLOAT32 : raw.dtype() == DType.F16 ? DataType.FLOAT16 : DataType.FLOAT64;
        // The mapping is read-only: an in-place write through a zero-copy view would crash the
        // JVM, so the engine copies the values into memory it owns.
        try (NDArray mapped = manager.create(direct(data), shape, stored)) {
            if (stored == held) {
                return mapped.duplicate();
            }
            if (held == DataType.FLOAT32) {
                return mapped.toType(DataType.FLOAT32, true);
            }
            return narrow(mapped, raw);
        }
    }

    /** {@code wide} in float16, refusing values float16 cannot hold (they would turn into infinities). */
    private static NDArray narrow(NDArray wide, RawTensor raw) {
        NDArray half = wide.toType(DataType.FLOAT16, true);
        boolean overflow;
        try (NDArray inf = half.isInfinite(); NDArray any = inf.any(); NDArray wideInf = wide.isInfinite(); NDArray wideAny = wideInf.any()) {
            overflow = any.getBoolean() && !wideAny.getBoolean();
        }
        if (overflow) {
            float max;
            try (NDArray abs = wide.abs(); NDArray m = abs.max()) {
                max = m.toType(DataType.FLOAT32, false).getFloat();
            }
            half.close();
            throw new GlassboxException("tensor '" + raw.name() + "' holds " + max
                    + ", beyond float16's range of ±65504; load it with --dtype f32 (or bf16)");
        }
        return half;
    }

    /** NDManager.create copies unless the buffer is direct; a mapped slice already is. */
    private static ByteBuffer direct(ByteBuffer b) {
        if (b.isDirect()) {
            return b.order(ByteOrder.nativeOrder());
        }
        ByteBuffer d = ByteBuffer.allocateDirect(b.remaining()).order(ByteOrder.nativeOrder());
        d.put(b.duplicate()).flip();
        return d;
    }

    /** bfloat16 is the top half of a float32: shift each value left by 16 bits. */
    static ByteBuffer widenBf16(ByteBuffer src, long numel) {
        if (numel * 4 > Integer.MAX_VALUE - 8) {
            throw new GlassboxException("a bfloat16 tensor of " + numel + " elements is too large to widen to float32 in one piece");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) (numel * 4)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < numel; i++) {
            out.putInt((in.getShort() & 0xFFFF) << 16);
        }
        out.flip();
        return out.order(ByteOrder.nativeOrder());
    }
}
