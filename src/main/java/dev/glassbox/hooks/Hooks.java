package dev.glassbox.hooks;

import ai.djl.ndarray.NDArray;

/**
 * Called at every named activation of a forward pass ("blocks.3.attn.pattern", "logits", ...).
 * A hook returns the activation to continue with: the same array to only look, or a new one to
 * intervene (ablate a head, patch from another prompt, add a steering vector). Hook names are the
 * same for every architecture; {@link HookNames} lists them.
 */
@FunctionalInterface
public interface Hooks {

    NDArray apply(String name, NDArray activation);
}
