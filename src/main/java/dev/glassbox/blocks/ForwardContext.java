package dev.glassbox.blocks;
import dev.glassbox.hooks.Hooks;

import ai.djl.ndarray.NDArray;

/**
 * What one forward call carries besides its input: the KV cache (null to recompute from scratch)
 * and the hooks (null for plain inference, which then pays nothing for inspection).
 */
public final class ForwardContext {

    private final KvCache cache;
    private final Hooks hooks;

    public ForwardContext(KvCache cache, Hooks hooks) {
        this.cache = cache;
        this.hooks = hooks;
    }

    public static ForwardContext plain() {
        return new ForwardContext(null, null);
    }

    public KvCache cache() {
        return cache;
    }

    /** Positions already in the cache: where this call's tokens start. */
    public int pastLength() {
        return cache == null ? 0 : cache.length();
    }

    /** Runs the hook for {@code name}; a single null check when no hooks are set. */
    public NDArray hook(String name, NDArray x) {
        if (hooks == null) {
            return x;
        }
        NDArray y = hooks.apply(name, x);
        return y == null ? x : y;
    }

    public boolean hooked() {
        return hooks != null;
    }
}
