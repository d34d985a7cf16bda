package dev.glassbox.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.Half;
import dev.glassbox.hooks.Interventions;

/**
 * An SAE attached to a model: where it reads (the glassbox hook of its TransformerLens
 * {@code hook_name}), and the interventions it makes there: splicing (the activation replaced by
 * its reconstruction, SAELens's {@code HookedSAETransformer.run_with_saes}) and feature steering
 * (k·W_dec[f] added at every position). Both work on any forward pass and, through
 * {@code GenerationRequest.withHooks}, on every step of a generation.
 */
public final class SaeHooks {

    private final SparseAutoencoder sae;
    private final String hook;
    private final boolean perHead;

    /** {@code sae} on a model of {@code config}; an unknown or absent hook name is a clear error. */
    public SaeHooks(SparseAutoencoder sae, ModelConfig config) {
        this.sae = sae;
        this.hook = TransformerLensHooks.toGlassbox(sae.config().hookName(), config);
        this.perHead = TransformerLensHooks.perHead(hook);
    }

    /** The glassbox hook name the SAE reads. */
    public String hookName() {
        return hook;
    }

    public SparseAutoencoder sae() {
        return sae;
    }

    /** The activation as the SAE reads it: float32, [B, T, d_in] (per-head activations flattened, as SAELens's hook_z reshaping). */
    public NDArray input(NDArray activation) {
        NDArray x = Half.f32(activation);
        if (perHead) {
            Shape s = x.getShape();
            x = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3));
        }
        return x;
    }

    /** Replaces the activation with the SAE's reconstruction. */
    public Interventions.Intervention splice() {
        return new Interventions.Intervention(hook, a -> Half.like(sae.reconstruct(input(a)).reshape(a.getShape()), a));
    }

    /** Adds {@code coefficient}·W_dec[feature] to the activation at every position. */
    public Interventions.Intervention steer(int feature, float coefficient) {
        float[] dir = sae.decoderRow(feature);
        if (!perHead) {
            return Interventions.steer(hook, dir, coefficient);
        }
        return new Interventions.Intervention(hook, a -> {
            NDArray d = a.getManager().create(dir).mul(coefficient).reshape(a.getShape().get(2), a.getShape().get(3));
            return Half.like(Half.f32(a).add(d), a);
        });
    }
}
