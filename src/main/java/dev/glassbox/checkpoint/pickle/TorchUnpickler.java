package dev.glassbox.checkpoint.pickle;

import dev.glassbox.GlassboxException;
import dev.glassbox.checkpoint.DType;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted pickle interpreter: enough of the pickle virtual machine to read what torch.save
 * writes for a state dict, and nothing that could run code. It is the Java counterpart of
 * {@code torch.load(weights_only=True)}:
 *
 * <ul>
 *   <li>GLOBAL / STACK_GLOBAL resolve only the names in {@link AllowedGlobal}; any other name
 *       (posix.system, builtins.eval, ...) refuses the whole file on the spot, before anything
 *       could use it;
 *   <li>REDUCE applies those few callables with glassbox's own Java code (building dicts and
 *       tensor descriptions), never by looking anything up by name;
 *   <li>INST, OBJ, NEWOBJ and the extension registry, which create arbitrary objects, are refused;
 *   <li>the stack, the memo, MARK nesting and integer sizes are capped, and every length is checked
 *       against the bytes that are left, so a hostile file fails fast instead of exhausting memory.
 * </ul>
 *
 * The interpreter is a loop over the opcodes with no recursion, so nesting cannot overflow the
 * Java stack. The result is a tree of plain Java values: {@link Map} (dict), {@link List} (list),
 * {@link Tuple}, String, Long / BigInteger, Double, Boolean, {@link #NONE}, {@link StorageRef}
 * and {@link TensorRef}.
 */
final class TorchUnpickler {

    static final int MAX_STACK = 1 << 20;
    static final int MAX_MEMO = 1 << 22;
    static final int MAX_MARK_DEPTH = 1 << 12;
    /** A state dict's integers are sizes and offsets; a LONG wider than this is hostile. */
    static final int MAX_LONG_BYTES = 16;
    /** Tensors in the wild have at most a handful of dimensions. */
    static final int MAX_DIMS = 64;
    /** GLOBAL's text operands; real module and class names are far shorter. */
    private static final int MAX_LINE = 512;

    /** Python's None (Java's null would be ambiguous in collections). */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** An immutable Python tuple. No value equality: tuples here are never dict keys. */
    static final class Tuple {
        static final Tuple EMPTY = new Tuple(new Object[0]);
        private final Object[] items;

        Tuple(Object[] items) {
            this.items = items;
        }

        int size() {
            return items.length;
        }

        Object get(int i) {
            return items[i];
        }
    }

    /** The persistent id {@code ('storage', storage_type, key, location, numel)}. */
    record StorageRef(AllowedGlobal type, String key, String location, long numel) {
        DType dtype() {
            return type.storageDType();
        }
    }

    /** A tensor view of a storage: offset, size and stride count elements, as in torch. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    private final String label;
    private final byte[] data;
    private int pos;
    /** Offset of the opcode being executed, for messages. */
    private int opStart;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markDepth;
    private final HashMap<Long, Object> memo = new HashMap<>();

    private TorchUnpickler(String label, byte[] data) {
        this.label = label;
        this.data = data;
    }

    /**
     * Interprets {@code pickle} and returns the object it builds. {@code label} names the file in
     * messages. Throws GlassboxException for anything outside a plain state dict.
     */
    static Object load(String label, byte[] pickle) {
        TorchUnpickler u = new TorchUnpickler(label, pickle);
        try {
            return u.run();
        } catch (GlassboxException e) {
            throw e;
        } catch (RuntimeException e) {
            // A safety net: every operand is validated explicitly, but should a combination slip
            // through, the user still gets a one-line message rather than a stack trace.
            throw u.corrupt("malformed at byte " + u.opStart + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private Object run() {
        while (true) {
            opStart = pos;
            int op = u8("an opcode");
            switch (op) {
                case 0x80 -> { // PROTO
                    int version = u8("PROTO");
                    if (version > 5) {
                        throw corrupt("uses pickle protocol " + version + ", newer than any Python writes");
                    }
                }
                case 0x95 -> { // FRAME: a length hint for buffered readers; we hold everything already
                    long length = i64("FRAME");
                    if (length < 0) {
                        throw corrupt("has a FRAME of negative length at byte " + opStart);
                    }
                }
                case '.' -> { // STOP
                    if (stack.size() <= topMark()) {
                        throw corrupt("stops with nothing on the stack at byte " + opStart);
                    }
                    return stack.get(stack.size() - 1);
                }
                case '(' -> pushMark();
                case '0' -> { // POP: Python pops the mark itself when nothing sits above it
                    if (stack.size() > topMark()) {
                        stack.remove(stack.size() - 1);
                    } else {
                        popMark();
                    }
                }
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek("DUP"));
                case '}' -> push(new LinkedHashMap<Object, Object>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<Object>()); // EMPTY_LIST
                case ')' -> push(Tuple.EMPTY); // EMPTY_TUPLE
                case 'd' -> { // DICT
                    Object[] items = popMark();
                    Map<Object, Object> dict = new LinkedHashMap<>();
                    putPairs(dict, items);
                    push(dict);
                }
                case 'l' -> push(new ArrayList<>(Arrays.asList(popMark()))); // LIST
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 0x85 -> push(new Tuple(popN(1))); // TUPLE1
                case 0x86 -> push(new Tuple(popN(2))); // TUPLE2
                case 0x87 -> push(new Tuple(popN(3))); // TUPLE3
                case 's' -> { // SETITEM
                    Object[] kv = popN(2);
                    putPairs(dictOnTop("SETITEM"), kv);
                }
                case 'u' -> { // SETITEMS
                    Object[] items = popMark();
                    putPairs(dictOnTop("SETITEMS"), items);
                }
                case 'a' -> { // APPEND
                    Object value = pop("APPEND");
                    listOnTop("APPEND").add(value);
                }
                case 'e' -> { // APPENDS
                    Object[] items = popMark();
                    listOnTop("APPENDS").addAll(Arrays.asList(items));
                }
                case 'X' -> push(string(u32("BINUNICODE"))); // BINUNICODE
                case 0x8c -> push(string(u8("SHORT_BINUNICODE"))); // SHORT_BINUNICODE
                case 0x8d -> push(string(i64("BINUNICODE8"))); // BINUNICODE8
                case 'J' -> push((long) i32("BININT")); // BININT
                case 'K' -> push((long) u8("BININT1")); // BININT1
                case 'M' -> push((long) u16("BININT2")); // BININT2
                case 0x8a -> push(longBytes(u8("LONG1"))); // LONG1
                case 0x8b -> push(longBytes(i32("LONG4"))); // LONG4
                case 'G' -> { // BINFLOAT: the only big-endian field in the format
                    need(8, "BINFLOAT");
                    long bits = 0;
                    for (int i = 0; i < 8; i++) {
                        bits = (bits << 8) | (data[pos++] & 0xFF);
                    }
                    push(Double.longBitsToDouble(bits));
                }
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(NONE); // NONE
                case 'q' -> memoPut(u8("BINPUT")); // BINPUT
                case 'r' -> memoPut(u32("LONG_BINPUT")); // LONG_BINPUT
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'h' -> push(memoGet(u8("BINGET"))); // BINGET
                case 'j' -> push(memoGet(u32("LONG_BINGET"))); // LONG_BINGET
                case 'c' -> { // GLOBAL "module\nname\n"
                    String module = line("GLOBAL");
                    String name = line("GLOBAL");
                    push(resolveGlobal(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop("STACK_GLOBAL");
                    Object module = pop("STACK_GLOBAL");
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw corrupt("has a STACK_GLOBAL whose operands are not strings at byte " + opStart);
                    }
                    push(resolveGlobal(m, n));
                }
                case 'R' -> { // REDUCE: callable(*args), for allow-listed callables only
                    Object args = pop("REDUCE");
                    Object callable = pop("REDUCE");
                    push(call(callable, args));
                }
                case 'b' -> { // BUILD
                    Object state = pop("BUILD");
                    build(peek("BUILD"), state);
                }
                case 'Q' -> push(persistentLoad(pop("BINPERSID"))); // BINPERSID
                case 'i' -> { // INST "module\nname\n": instantiates a class by name
                    String module = line("INST");
                    String name = line("INST");
                    throw refused("instantiates " + printable(module + "." + name) + " (INST)");
                }
                case 'o' -> throw refused("instantiates an object (OBJ)");
                case 0x81 -> throw refused("instantiates an object (NEWOBJ)");
                case 0x92 -> throw refused("instantiates an object (NEWOBJ_EX)");
                case 0x82, 0x83, 0x84 -> throw refused("imports through the copyreg extension registry (EXT)");
                case 'P', 'p', 'g', 'I', 'L', 'F', 'S', 'V', 'T', 'U', 'B', 'C', 0x8e, 0x8f, 0x90, 0x91,
                        0x96, 0x97, 0x98 -> throw corrupt("uses opcode " + opName(op) + " at byte " + opStart
                                + ", which torch.save never writes for a state dict");
                default -> throw corrupt("has an unknown opcode 0x" + Integer.toHexString(op) + " at byte "
                        + opStart + "; it is not a pickle or it is corrupt");
            }
        }
    }

    // ---- the allow-list in action -------------------------------------------------------------

    private Object resolveGlobal(String module, String name) {
        AllowedGlobal g = AllowedGlobal.lookup(module, name);
        if (g != null) {
            return g;
        }
        String qualified = printable(module + "." + name);
        if (module.startsWith("torch") && name.endsWith("Storage")) {
            // Harmless but unsupported (complex, quantized, legacy CUDA): say so rather than cry wolf.
            throw new GlassboxException(label + ": tensor storage type " + qualified + " is not supported"
                    + " (glassbox reads float64/32/16, bfloat16, integer and bool tensors)");
        }
        throw refused("calls " + qualified);
    }

    private Object call(Object callable, Object argsObject) {
        if (!(callable instanceof AllowedGlobal g)) {
            throw corrupt("applies REDUCE to something that is not a function at byte " + opStart);
        }
        if (g.kind() != AllowedGlobal.Kind.CALLABLE) {
            throw refused("calls " + g.pythonName() + " as a function");
        }
        if (!(argsObject instanceof Tuple args)) {
            throw corrupt("calls " + g.pythonName() + " without an argument tuple at byte " + opStart);
        }
        switch (g) {
            case ORDERED_DICT -> {
                // OrderedDict.__reduce__ always passes (); items follow through SETITEMS.
                if (args.size() != 0) {
                    throw corrupt("calls collections.OrderedDict with arguments at byte " + opStart);
                }
                return new LinkedHashMap<Object, Object>();
            }
            case REBUILD_TENSOR_V2 -> {
                return rebuildTensor(args);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // A Parameter is its data plus autograd flags, which inference ignores.
                int arity = g == AllowedGlobal.REBUILD_PARAMETER ? 3 : 4;
                if (args.size() != arity || !(args.get(0) instanceof TensorRef t)) {
                    throw badArgs(g);
                }
                return t;
            }
            case REBUILD_FROM_TYPE_V2 -> {
                // (func, new_type, args, state): torch's wrapper for tensors with Python attributes.
                if (args.size() != 4 || !(args.get(0) instanceof AllowedGlobal func)
                        || !(args.get(1) instanceof AllowedGlobal type) || !(args.get(2) instanceof Tuple)
                        || type.kind() != AllowedGlobal.Kind.TENSOR_CLASS) {
                    throw badArgs(g);
                }
                if (func == AllowedGlobal.REBUILD_FROM_TYPE_V2 || func == AllowedGlobal.ORDERED_DICT) {
                    throw badArgs(g); // keeps the interpretation non-recursive
                }
                return call(func, args.get(2));
            }
            default -> throw refused("calls " + g.pythonName() + " as a function");
        }
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])}. */
    private TensorRef rebuildTensor(Tuple args) {
        AllowedGlobal g = AllowedGlobal.REBUILD_TENSOR_V2;
        if (args.size() != 6 && args.size() != 7) {
            throw badArgs(g);
        }
        if (!(args.get(0) instanceof StorageRef storage) || !(args.get(1) instanceof Long offset)
                || !(args.get(2) instanceof Tuple size) || !(args.get(3) instanceof Tuple stride)
                || !(args.get(4) instanceof Boolean)) {
            throw badArgs(g);
        }
        // Backward hooks would be functions, which the allow-list already refuses; an empty dict
        // (or None from old writers) is all that can arrive here.
        if (!(args.get(5) instanceof Map<?, ?> || args.get(5) == NONE)) {
            throw badArgs(g);
        }
        if (size.size() != stride.size() || size.size() > MAX_DIMS) {
            throw corrupt("describes a tensor with " + size.size() + " sizes and " + stride.size()
                    + " strides at byte " + opStart);
        }
        return new TensorRef(storage, offset, longs(size, g), longs(stride, g));
    }

    private long[] longs(Tuple t, AllowedGlobal g) {
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v)) {
                throw badArgs(g);
            }
            out[i] = v;
        }
        return out;
    }

    /** torch.save's persistent id for tensor data: {@code ('storage', type, key, location, numel)}. */
    private StorageRef persistentLoad(Object pid) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw corrupt("has a persistent id at byte " + opStart + " that is not a torch storage reference");
        }
        if (!(t.get(1) instanceof AllowedGlobal type) || type.kind() != AllowedGlobal.Kind.STORAGE) {
            throw corrupt("has a storage reference without a storage type at byte " + opStart);
        }
        if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String location)
                || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw corrupt("has a malformed storage reference at byte " + opStart);
        }
        return new StorageRef(type, key, location, numel);
    }

    /** BUILD sets an object's attributes. Only a state dict's own {@code _metadata} is expected. */
    private void build(Object target, Object state) {
        boolean plainState = state instanceof Map<?, ?> || state == NONE
                || (state instanceof Tuple t && t.size() == 2
                        && (t.get(0) instanceof Map<?, ?> || t.get(0) == NONE)
                        && (t.get(1) instanceof Map<?, ?> || t.get(1) == NONE));
        if (target instanceof Map<?, ?> && plainState) {
            // OrderedDict state: {'_metadata': {...module versions...}}. Inference has no use for it.
            return;
        }
        throw refused("sets the state of " + describe(target) + " (BUILD)");
    }

    // ---- stack, marks and memo --------------------------------------------------------------

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) {
            throw corrupt("grows its stack past " + MAX_STACK + " entries; refusing it");
        }
        stack.add(o);
    }

    private Object pop(String op) {
        if (stack.size() <= topMark()) {
            throw corrupt("has " + op + " with an empty stack at byte " + opStart);
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(String op) {
        if (stack.size() <= topMark()) {
            throw corrupt("has " + op + " with an empty stack at byte " + opStart);
        }
        return stack.get(stack.size() - 1);
    }

    /** Pops the top {@code n} items, oldest first. */
    private Object[] popN(int n) {
        if (stack.size() - n < topMark()) {
            throw corrupt("pops more than its stack holds at byte " + opStart);
        }
        List<Object> top = stack.subList(stack.size() - n, stack.size());
        Object[] items = top.toArray();
        top.clear();
        return items;
    }

    private int topMark() {
        return markDepth == 0 ? 0 : marks[markDepth - 1];
    }

    private void pushMark() {
        if (markDepth >= MAX_MARK_DEPTH) {
            throw corrupt("nests MARKs deeper than " + MAX_MARK_DEPTH + "; refusing it");
        }
        if (markDepth == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markDepth++] = stack.size();
    }

    /** Pops everything above the topmost MARK, and the mark. */
    private Object[] popMark() {
        if (markDepth == 0) {
            throw corrupt("has no MARK for the opcode at byte " + opStart);
        }
        int mark = marks[--markDepth];
        List<Object> top = stack.subList(mark, stack.size());
        Object[] items = top.toArray();
        top.clear();
        return items;
    }

    private void memoPut(long index) {
        Object value = peek("PUT");
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw corrupt("memoizes more than " + MAX_MEMO + " objects; refusing it");
        }
        memo.put(index, value);
    }

    private Object memoGet(long index) {
        Object value = memo.get(index);
        if (value == null) {
            throw corrupt("refers to memo entry " + index + " before defining it at byte " + opStart);
        }
        return value;
    }

    private Map<Object, Object> dictOnTop(String op) {
        Object top = peek(op);
        if (!(top instanceof Map<?, ?>)) {
            throw corrupt("applies " + op + " to " + describe(top) + " at byte " + opStart);
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> dict = (Map<Object, Object>) top;
        return dict;
    }

    private List<Object> listOnTop(String op) {
        Object top = peek(op);
        if (!(top instanceof ArrayList<?>)) {
            throw corrupt("applies " + op + " to " + describe(top) + " at byte " + opStart);
        }
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) top;
        return list;
    }

    private void putPairs(Map<Object, Object> dict, Object[] items) {
        if (items.length % 2 != 0) {
            throw corrupt("has an odd number of dict items at byte " + opStart);
        }
        for (int i = 0; i < items.length; i += 2) {
            Object key = items[i];
            // Only scalars may be keys: their equals/hashCode are flat, so a hostile self-containing
            // list can never send hashing into unbounded recursion.
            if (!(key instanceof String || key instanceof Long || key instanceof BigInteger
                    || key instanceof Boolean || key instanceof Double || key == NONE)) {
                throw corrupt("uses " + describe(key) + " as a dict key at byte " + opStart);
            }
            dict.put(key, items[i + 1]);
        }
    }

    // ---- operand readers, all bounds-checked --------------------------------------------------

    private void need(long n, String op) {
        if (n > data.length - pos) {
            throw new GlassboxException(label + ": data.pkl ends in the middle of " + op + " at byte "
                    + opStart + "; the file is truncated or corrupt");
        }
    }

    private int u8(String op) {
        need(1, op);
        return data[pos++] & 0xFF;
    }

    private int u16(String op) {
        need(2, op);
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    private int i32(String op) {
        need(4, op);
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16
                | (data[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    private long u32(String op) {
        return i32(op) & 0xFFFFFFFFL;
    }

    private long i64(String op) {
        long lo = u32(op);
        long hi = u32(op);
        return lo | hi << 32;
    }

    private String string(long length) {
        if (length < 0 || length > data.length - pos) {
            throw new GlassboxException(label + ": data.pkl declares a string of " + Long.toUnsignedString(length)
                    + " bytes at byte " + opStart + " but only " + (data.length - pos)
                    + " remain; the file is truncated or corrupt");
        }
        String s = new String(data, pos, (int) length, StandardCharsets.UTF_8);
        pos += (int) length;
        return s;
    }

    /** LONG1/LONG4: a little-endian two's-complement integer of {@code n} bytes. */
    private Object longBytes(int n) {
        if (n < 0 || n > MAX_LONG_BYTES) {
            throw corrupt("has an integer of " + n + " bytes at byte " + opStart
                    + "; a state dict's integers are far smaller");
        }
        need(n, "LONG");
        if (n == 0) {
            return 0L;
        }
        byte[] bigEndian = new byte[n];
        for (int i = 0; i < n; i++) {
            bigEndian[i] = data[pos + n - 1 - i];
        }
        pos += n;
        BigInteger v = new BigInteger(bigEndian);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String line(String op) {
        int start = pos;
        while (true) {
            if (pos >= data.length) {
                need(1, op);
            }
            if (data[pos] == '\n') {
                break;
            }
            if (pos - start >= MAX_LINE) {
                throw corrupt("has an over-long " + op + " operand at byte " + opStart);
            }
            pos++;
        }
        String s = new String(data, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    // ---- messages ---------------------------------------------------------------------------

    private GlassboxException refused(String what) {
        return new GlassboxException(label + ": refused to load: the pickle " + what
                + ", which a plain state dict never does (glassbox never executes pickles)");
    }

    private GlassboxException badArgs(AllowedGlobal g) {
        return corrupt("calls " + g.pythonName() + " with arguments torch never writes, at byte " + opStart);
    }

    private GlassboxException corrupt(String what) {
        return corrupt(what, null);
    }

    private GlassboxException corrupt(String what, Throwable cause) {
        return new GlassboxException(label + ": data.pkl " + what, cause);
    }

    /** A short type description; never the value itself, which may be huge or self-referential. */
    static String describe(Object o) {
        if (o instanceof Map<?, ?>) {
            return "a dict";
        } else if (o instanceof List<?>) {
            return "a list";
        } else if (o instanceof Tuple) {
            return "a tuple";
        } else if (o instanceof String) {
            return "a string";
        } else if (o instanceof AllowedGlobal g) {
            return g.pythonName();
        } else if (o instanceof TensorRef) {
            return "a tensor";
        } else if (o instanceof StorageRef) {
            return "a storage";
        } else if (o == NONE) {
            return "None";
        }
        return "a " + o.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    /** Names from the file go into one-line messages: keep them short and printable. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 120; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return s.length() > 120 ? b + "..." : b.toString();
    }

    private static String opName(int op) {
        return switch (op) {
            case 'P' -> "PERSID";
            case 'p' -> "PUT";
            case 'g' -> "GET";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'F' -> "FLOAT";
            case 'S' -> "STRING";
            case 'V' -> "UNICODE";
            case 'T' -> "BINSTRING";
            case 'U' -> "SHORT_BINSTRING";
            case 'B' -> "BINBYTES";
            case 'C' -> "SHORT_BINBYTES";
            case 0x8e -> "BINBYTES8";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> "0x" + Integer.toHexString(op);
        };
    }
}
