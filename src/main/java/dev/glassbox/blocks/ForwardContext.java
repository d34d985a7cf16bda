package dev.glassbox.blocks;
import dev.glassbox.hooks.Hooks;

import ai.djl.ndarray.NDArray;

/**
 * What one forward call carries besides its input: the KV cache (null to recompute from scratch),
 * the hooks (null for plain inference, which then pays nothing for inspection) and, for a padded
 * batch, the attention mask of this call's tokens (null when every token is real; see
 * {@link PaddedBatch}).
 */
public final class ForwardContext {

    private final KvCache cache;
    private final Hooks hooks;
    private final long[][] attentionMask;

    public ForwardContext(KvCache cache, Hooks hooks) {
        this(cache, hooks, null);
    }

    /** @param attentionMask [B][T] for this call's tokens: 1 real, 0 pad (left padding); null: all real */
    public ForwardContext(KvCache cache, Hooks hooks, long[][] attentionMask) {
        this.cache = cache;
        this.hooks = hooks;
        this.attentionMask = attentionMask;
    }

    /** This call's attention mask [B][T] (1 real, 0 pad), or null when every token is real. */
    public long[][] attentionMask() {
        return attentionMask;
    }

    public static ForwardContext plain() {
        return new ForwardContext(null, null);
    }

    public KvCache cache() {
        return cache;
    }

    public Hooks hooks() {
        return hooks;
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
