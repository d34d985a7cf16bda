package dev.glassbox.checkpoint.pickle;

import dev.glassbox.checkpoint.DType;
import java.util.HashMap;
import java.util.Map;

/**
 * The only Python globals a pickle may name: what torch.save writes for a state dict of dense
 * tensors. A pickle's GLOBAL opcode normally imports an arbitrary callable that REDUCE then runs;
 * here a name either maps to one of these constants, whose meaning glassbox implements itself, or
 * the whole file is refused. Nothing is ever looked up by name at run time.
 */
enum AllowedGlobal {
    /** {@code OrderedDict()}: what {@code Module.state_dict()} returns. */
    ORDERED_DICT(Kind.CALLABLE, null, "collections.OrderedDict"),
    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])}. */
    REBUILD_TENSOR_V2(Kind.CALLABLE, null, "torch._utils._rebuild_tensor_v2"),
    /** {@code _rebuild_parameter(data, requires_grad, hooks)}: a saved nn.Parameter. */
    REBUILD_PARAMETER(Kind.CALLABLE, null, "torch._utils._rebuild_parameter"),
    /** {@code _rebuild_parameter_with_state(data, requires_grad, hooks, state)}. */
    REBUILD_PARAMETER_WITH_STATE(Kind.CALLABLE, null, "torch._utils._rebuild_parameter_with_state"),
    /** {@code _rebuild_from_type_v2(func, new_type, args, state)}: tensors carrying Python state. */
    REBUILD_FROM_TYPE_V2(Kind.CALLABLE, null, "torch._tensor._rebuild_from_type_v2"),

    /** Tensor classes, only ever passed as {@code new_type} to _rebuild_from_type_v2. */
    TENSOR_TYPE(Kind.TENSOR_CLASS, null, "torch.Tensor", "torch._tensor.Tensor"),
    PARAMETER_TYPE(Kind.TENSOR_CLASS, null, "torch.nn.parameter.Parameter", "torch.nn.Parameter"),

    /* Storage classes, named in persistent ids; never called. Each fixes the element type. */
    FLOAT_STORAGE(Kind.STORAGE, DType.F32, "torch.FloatStorage"),
    HALF_STORAGE(Kind.STORAGE, DType.F16, "torch.HalfStorage"),
    BFLOAT16_STORAGE(Kind.STORAGE, DType.BF16, "torch.BFloat16Storage"),
    DOUBLE_STORAGE(Kind.STORAGE, DType.F64, "torch.DoubleStorage"),
    LONG_STORAGE(Kind.STORAGE, DType.I64, "torch.LongStorage"),
    INT_STORAGE(Kind.STORAGE, DType.I32, "torch.IntStorage"),
    SHORT_STORAGE(Kind.STORAGE, DType.I16, "torch.ShortStorage"),
    CHAR_STORAGE(Kind.STORAGE, DType.I8, "torch.CharStorage"),
    BYTE_STORAGE(Kind.STORAGE, DType.U8, "torch.ByteStorage"),
    BOOL_STORAGE(Kind.STORAGE, DType.BOOL, "torch.BoolStorage"),
    /** torch.save of an untyped storage: torch loads its tensors as uint8. */
    UNTYPED_STORAGE(Kind.STORAGE, DType.U8, "torch.UntypedStorage", "torch.storage.UntypedStorage");

    enum Kind { CALLABLE, TENSOR_CLASS, STORAGE }

    private static final Map<String, AllowedGlobal> BY_NAME = new HashMap<>();

    static {
        for (AllowedGlobal g : values()) {
            for (String name : g.names) {
                BY_NAME.put(name, g);
            }
        }
    }

    private final Kind kind;
    private final DType storageDType;
    private final String[] names;

    AllowedGlobal(Kind kind, DType storageDType, String... names) {
        this.kind = kind;
        this.storageDType = storageDType;
        this.names = names;
    }

    /** The allowed global called {@code module.name}, or null if the name is not allowed. */
    static AllowedGlobal lookup(String module, String name) {
        return BY_NAME.get(module + "." + name);
    }

    Kind kind() {
        return kind;
    }

    /** The element type of a storage class; null for the other kinds. */
    DType storageDType() {
        return storageDType;
    }

    /** The Python name, for messages. */
    String pythonName() {
        return names[0];
    }
}
