package dev.glassbox.hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.glassbox.GlassboxException;
import dev.glassbox.blocks.Half;
import java.util.function.UnaryOperator;

/** Ready-made interventions on named activations: ablate, patch, steer. */
public final class Interventions {

    /** An activation name and what to do to it. */
    public record Intervention(String hookName, UnaryOperator<NDArray> fn) {}

    private Interventions() {}

    /** Zero-ablates one head: its slice of {@code blocks.{l}.attn.z} becomes 0. */
    public static Intervention zeroAblateHead(int layer, int head) {
        return new Intervention(HookNames.block(layer, "attn.z"), z -> {
            checkHead(z, head);
            NDArray out = z.duplicate();
            out.set(new NDIndex(":, :, {}, :", head), 0f);
            return out;
        });
    }

    /** Mean-ablates one head: its z at every position becomes its mean over positions. */
    public static Intervention meanAblateHead(int layer, int head) {
        return new Intervention(HookNames.block(layer, "attn.z"), z -> {
            checkHead(z, head);
            NDArray out = z.duplicate();
            NDArray slice = z.get(new NDIndex(":, :, {}:{}, :", head, head + 1));
            NDArray mean = slice.mean(new int[] {1}, true).broadcast(slice.getShape());
            out.set(new NDIndex(":, :, {}:{}, :", head, head + 1), mean);
            return out;
        });
    }

    /**
     * Patches activation {@code name} at {@code position} with the values {@code source} (the
     * same activation recorded on another prompt, [B, T', …]) had at {@code sourcePosition}.
     */
    public static Intervention patchPosition(String name, int position, NDArray source, int sourcePosition) {
        return new Intervention(name, x -> {
            if (position >= x.getShape().get(1)) {
                return x; // a later decode step: the patched position is in the cache already
            }
            NDArray out = x.duplicate();
            NDArray src = source.get(new NDIndex(":, {}:{}", sourcePosition, sourcePosition + 1));
            out.set(new NDIndex(":, {}:{}", position, position + 1), src.toDevice(x.getDevice(), false));
            return out;
        });
    }

    /** Replaces the whole activation with {@code source} (same shape), e.g. from a clean run. */
    public static Intervention replace(String name, NDArray source) {
        return new Intervention(name, x -> {
            if (!x.getShape().equals(source.getShape())) {
                throw new GlassboxException(
                        "cannot patch '" + name + "': shape " + x.getShape() + " differs from the source's " + source.getShape());
            }
            return source.toDevice(x.getDevice(), true);
        });
    }

    /** Adds {@code coefficient × vector} ([D]) to a residual-stream activation at every position. */
    public static Intervention steer(String name, float[] vector, float coefficient) {
        return new Intervention(name, x -> {
            long d = x.getShape().get(x.getShape().dimension() - 1);
            if (vector.length != d) {
                throw new GlassboxException("steering vector has " + vector.length + " values but '" + name + "' has width " + d);
            }
            return Half.like(x.add(x.getManager().create(vector).mul(coefficient)), x); // in the stream's type
        });
    }

    private static void checkHead(NDArray z, int head) {
        long heads = z.getShape().get(2);
        if (head < 0 || head >= heads) {
            throw new GlassboxException("head " + head + " does not exist (the layer has " + heads + " heads)");
        }
    }
}
