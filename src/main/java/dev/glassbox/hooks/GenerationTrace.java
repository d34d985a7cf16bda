package dev.glassbox.hooks;

import ai.djl.ndarray.NDArray;
import dev.glassbox.GlassboxException;
import dev.glassbox.blocks.Half;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Records named activations at every forward call of a generation: the prompt's (all its
 * positions) and each decode step's (one new position), so every token's activations are kept,
 * not only the last step's. Values are copied to Java floats (float32), so nothing needs closing.
 *
 * <p>Hang it on a generation with {@code GenerationRequest.withHooks} (or observe it from a
 * {@link HookChain} after interventions, to record the steered values). Position p of the
 * generation (0 … prompt + generated − 2: the last chosen token is never run) is
 * {@link #atPosition}; an activation whose positions are on axis 1 ([B, T, …]: residual
 * streams, attn.z, mlp, logits) can also be read for all positions at once with {@link #rows}.
 * Attention scores and patterns ([B, H, T, S], S growing each step) are kept per call only
 * ({@link #calls}). During the prompt's call, ln_final and logits exist only for its last position.
 */
public final class GenerationTrace implements Hooks {

    /** One forward call's copy of one activation. */
    public record Call(long[] shape, float[] values) {}

    private final Set<String> names;
    private final Map<String, List<Call>> byName = new LinkedHashMap<>();

    /** Records exactly these hook names (see {@link HookNames}). */
    public GenerationTrace(Set<String> names) {
        this.names = Set.copyOf(names);
    }

    public static GenerationTrace of(String... names) {
        return new GenerationTrace(Set.of(names));
    }

    @Override
    public NDArray apply(String name, NDArray activation) {
        if (names.contains(name)) {
            byName.computeIfAbsent(name, k -> new ArrayList<>())
                    .add(new Call(activation.getShape().getShape(), Half.floats(activation)));
        }
        return activation;
    }

    /** Every recorded call of {@code name}, in order (the prompt first, then one per decode step). */
    public List<Call> calls(String name) {
        List<Call> c = byName.get(name);
        if (c == null) {
            throw new GlassboxException("no activation '" + name + "' was recorded (recorded: " + String.join(", ", byName.keySet()) + ")");
        }
        return Collections.unmodifiableList(c);
    }

    /**
     * The activation at every position of the generation, one row per position (batch row 0,
     * trailing axes flattened): for [1, T, …] activations, the calls concatenated along T.
     */
    public float[][] rows(String name) {
        List<float[]> out = new ArrayList<>();
        for (Call c : calls(name)) {
            if (c.shape().length < 2 || c.shape()[0] != 1) {
                throw new GlassboxException("'" + name + "' has shape " + Arrays.toString(c.shape())
                        + ": rows() needs [1, T, …] (positions on axis 1); read calls() instead");
            }
            int t = (int) c.shape()[1];
            int width = c.values().length / t;
            for (int p = 0; p < t; p++) {
                out.add(Arrays.copyOfRange(c.values(), p * width, (p + 1) * width));
            }
        }
        return out.toArray(new float[0][]);
    }

    /** {@code name} at generation position {@code position} (see {@link #rows}). */
    public float[] atPosition(String name, int position) {
        float[][] r = rows(name);
        if (position < 0 || position >= r.length) {
            throw new GlassboxException("position " + position + " was not recorded for '" + name + "' (" + r.length + " positions)");
        }
        return r[position];
    }

    /** The names recorded so far. */
    public Set<String> recorded() {
        return Collections.unmodifiableSet(byName.keySet());
    }
}
