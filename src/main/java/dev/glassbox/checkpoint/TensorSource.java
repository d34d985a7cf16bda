package dev.glassbox.checkpoint;

import java.util.Set;

/** Where a checkpoint's tensors come from: safetensors files, shards, or a restricted pickle. */
public interface TensorSource extends AutoCloseable {

    /** Every tensor name this source holds. */
    Set<String> names();

    /** The tensor called {@code name}; throws a GlassboxException naming it if it is absent. */
    RawTensor get(String name);

    default boolean contains(String name) {
        return names().contains(name);
    }

    @Override
    default void close() {}
}
