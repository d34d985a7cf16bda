/**
 * Hook points and what hangs on them, as TransformerLens's hook points: {@link dev.glassbox.hooks.HookNames}
 * (the stable name of every activation), {@link dev.glassbox.hooks.Hooks} (what a forward pass calls at each),
 * {@link dev.glassbox.hooks.ActivationCache} (run_with_cache), {@link dev.glassbox.hooks.HookChain} and
 * {@link dev.glassbox.hooks.Interventions} (run_with_hooks: ablate, patch, steer).
 */
package dev.glassbox.hooks;
