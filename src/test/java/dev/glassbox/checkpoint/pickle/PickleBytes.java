package dev.glassbox.checkpoint.pickle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes by hand, the way torch.save's pickler does, so tests can build both
 * faithful state dicts and hostile files without Python. Nothing here ever unpickles anything.
 */
final class PickleBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBytes raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    PickleBytes proto(int version) {
        return raw(0x80, version);
    }

    PickleBytes mark() {
        return raw('(');
    }

    PickleBytes emptyDict() {
        return raw('}');
    }

    PickleBytes emptyList() {
        return raw(']');
    }

    PickleBytes emptyTuple() {
        return raw(')');
    }

    PickleBytes tuple() {
        return raw('t');
    }

    PickleBytes tuple1() {
        return raw(0x85);
    }

    PickleBytes tuple2() {
        return raw(0x86);
    }

    PickleBytes reduce() {
        return raw('R');
    }

    PickleBytes build() {
        return raw('b');
    }

    PickleBytes setitem() {
        return raw('s');
    }

    PickleBytes setitems() {
        return raw('u');
    }

    PickleBytes append() {
        return raw('a');
    }

    PickleBytes binpersid() {
        return raw('Q');
    }

    PickleBytes newFalse() {
        return raw(0x89);
    }

    PickleBytes none() {
        return raw('N');
    }

    PickleBytes stop() {
        return raw('.');
    }

    PickleBytes binput(int index) {
        return raw('q', index);
    }

    PickleBytes binget(int index) {
        return raw('h', index);
    }

    PickleBytes memoize() {
        return raw(0x94);
    }

    /** BINUNICODE, as protocol 2 writes every str. */
    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        raw('X');
        u32(b.length);
        return raw(b);
    }

    /** SHORT_BINUNICODE, as protocol 4 writes short strs. */
    PickleBytes shortStr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return raw(0x8c, b.length).raw(b);
    }

    /** GLOBAL "module\nname\n" (protocols 0-3). */
    PickleBytes global(String module, String name) {
        return raw('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** STACK_GLOBAL (protocol 4+): module and name pushed as strings first. */
    PickleBytes stackGlobal(String module, String name) {
        return shortStr(module).memoize().shortStr(name).memoize().raw(0x93);
    }

    /** An int, with the smallest opcode that holds it, as pickle does. */
    PickleBytes integer(long v) {
        if (v >= 0 && v < 256) {
            return raw('K', (int) v);
        } else if (v >= 0 && v < 65536) {
            return raw('M', (int) v & 0xFF, (int) (v >> 8));
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            raw('J');
            return u32((int) v);
        }
        raw(0x8a, 8);
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >> (8 * i)));
        }
        return this;
    }

    PickleBytes intTuple(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    PickleBytes u32(int v) {
        return raw(v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, (v >>> 24));
    }

    /**
     * One tensor as torch 1.13's pickler writes it:
     * {@code _rebuild_tensor_v2(persistent_id(('storage', torch.X, key, 'cpu', numel)), offset,
     * size, stride, False, OrderedDict())}.
     */
    PickleBytes tensor(String storageClass, String key, long storageNumel, long offset, long[] size,
            long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(storageNumel).tuple();
        binpersid();
        integer(offset).intTuple(size).intTuple(stride).newFalse();
        global("collections", "OrderedDict").emptyTuple().reduce();
        tuple();
        return reduce();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
