package dev.glassbox.hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.glassbox.GlassboxException;
import dev.glassbox.blocks.Half;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Records activations by hook name during a forward pass, as TransformerLens's run_with_cache
 * does. Each recorded array is a copy held in the cache's own NDManager (native memory), so it
 * outlives the forward call; close the cache to free it. Restrict what is kept with a filter.
 *
 * <p>What a full cache costs: every activation of {@link dev.glassbox.hooks.HookNames} once, in
 * float32. Per layer that is eleven [T, D] arrays (resid_pre, ln1, q, k, v, z, attn.out,
 * resid_mid, ln2, mlp.out, resid_post), two [H, T, T] (scores, pattern) and two [T, I] (mlp.pre,
 * mlp.post); plus the embeddings, the final norm and the logits [T, V]. Measured with
 * {@link #bytes()} on a GPT-2-small-shaped checkpoint (12 layers, D 768, 12 heads, V 50257) with
 * a 128-token prompt: 135,438,848 bytes (135 MB), of which the logits are 25.7 MB; the
 * attention arrays grow with T², so 1024 tokens would need about 2.1 GB. Caching only the names
 * an analysis reads ({@link #of}) is the remedy: {@link dev.glassbox.inspect.Journey} keeps 88,646,144 bytes (89 MB)
 * for the same prompt, {@link dev.glassbox.inspect.LogitLens} only the L + 1 residual streams (5.1 MB).
 * (Reproduce with {@code CacheMemoryTest}, {@code -Dglassbox.measureCacheDir=/tmp/gpt2}.)
 */
public final class ActivationCache implements Hooks, AutoCloseable {

    private final NDManager manager;
    private final Predicate<String> filter;
    private final Map<String, NDArray> store = new LinkedHashMap<>();

    /** Caches every activation. */
    public ActivationCache(NDManager parent) {
        this(parent, name -> true);
    }

    /** Caches the activations whose names pass {@code filter}. */
    public ActivationCache(NDManager parent, Predicate<String> filter) {
        this.manager = parent.newSubManager();
        this.filter = filter;
    }

    /** Caches exactly these names. */
    public static ActivationCache of(NDManager parent, Set<String> names) {
        return new ActivationCache(parent, names::contains);
    }

    @Override
    public NDArray apply(String name, NDArray activation) {
        if (filter.test(name)) {
            NDArray copy = activation.duplicate();
            NDScope.unregister(copy);
            copy.attach(manager);
            NDArray old = store.put(name, copy);
            if (old != null) {
                old.close();
            }
        }
        return activation;
    }

    public boolean has(String name) {
        return store.containsKey(name);
    }

    /** The cached activation; a clear error naming the known ones if it was not recorded. */
    public NDArray get(String name) {
        NDArray a = store.get(name);
        if (a == null) {
            throw new GlassboxException("no activation '" + name + "' in the cache (cached: " + summary() + ")");
        }
        return a;
    }

    /** The activation's values, row-major (a half-precision model's widened to float). */
    public float[] floats(String name) {
        return Half.floats(get(name));
    }

    public long[] shape(String name) {
        return get(name).getShape().getShape();
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(store.keySet());
    }

    /** Bytes held, for reports on what caching costs. */
    public long bytes() {
        long n = 0;
        for (NDArray a : store.values()) {
            n += a.size() * a.getDataType().getNumOfBytes();
        }
        return n;
    }

    private String summary() {
        if (store.size() <= 6) {
            return String.join(", ", store.keySet());
        }
        return store.size() + " names, e.g. " + String.join(", ", store.keySet().stream().limit(4).toList());
    }

    @Override
    public void close() {
        store.clear();
        manager.close();
    }
}
