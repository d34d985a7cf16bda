package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.ModelConfig.NormKind;

/**
 * Normalisation of the residual stream over its last axis: LayerNorm (GPT-2), RMSNorm (Llama) or
 * Gemma's RMSNorm that scales by (1 + w).
 */
public final class Norm extends ArrayBlock {

    private final NormKind kind;
    private final float eps;
    private final int size;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param weightName checkpoint name of the scale w
     * @param biasName checkpoint name of LayerNorm's shift b, or null for none
     * @param size the normalised axis' length
     */
    public Norm(NormKind kind, String weightName, String biasName, int size, double eps) {
        this.kind = kind;
        this.size = size;
        this.eps = (float) eps;
        this.weight = addParameter(Parameter.builder().setName(weightName).setType(Parameter.Type.GAMMA).build());
        this.bias = biasName == null
                ? null
                : addParameter(Parameter.builder().setName(biasName).setType(Parameter.Type.BETA).build());
    }

    public NormKind kind() {
        return kind;
    }

    public int size() {
        return size;
    }

    public float eps() {
        return eps;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray w = BlockParams.value(ps, weight, training);
        NDArray b = BlockParams.value(ps, bias, training);
        return new NDList(normalize(inputs.singletonOrThrow(), w, b));
    }

    /**
     * Half-precision inputs are normalised in float32 and cast back, where transformers casts:
     * Llama's RMSNorm scales the cast-back value by w; Gemma's scales by (1 + w) in float32 first;
     * torch's LayerNorm computes in float32 internally. A float32 input is unaffected.
     */
    private NDArray normalize(NDArray x, NDArray w, NDArray b) {
        switch (kind) {
            case LAYER_NORM:
                b = b == null ? x.getManager().zeros(new Shape(size)) : b;
                NDArray x32 = Half.f32(x);
                return Half.like(ai.djl.nn.norm.LayerNorm.layerNorm(x32, new Shape(size), Half.f32(w), Half.f32(b), eps).singletonOrThrow(), x);
            case RMS_NORM:
                if (dev.glassbox.kernels.RowNorm.applies(x, w)) {
                    return dev.glassbox.kernels.RowNorm.rms(x, w, eps, false); // a decode step's row, or a prompt's rows, in one pass
                }
                return Half.like(normalizeRms(Half.f32(x)), x).mul(w);
            case RMS_NORM_PLUS_ONE:
                if (dev.glassbox.kernels.RowNorm.applies(x, w)) {
                    return dev.glassbox.kernels.RowNorm.rms(x, w, eps, true);
                }
                NDArray w32 = Half.f32(w);
                return Half.like(normalizeRms(Half.f32(x)).mul(w32.add(Constants.of(1f, w32))), x);
            default:
                throw new IllegalStateException(kind.toString());
        }
    }

    /** x / √(mean(x²) + ε), the unscaled part of RMSNorm (also used by the logit lens). */
    public NDArray normalizeRms(NDArray x) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.div(variance.add(Constants.of(eps, x)).sqrt());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
