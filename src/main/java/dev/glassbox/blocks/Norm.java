package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.arch.ModelConfig.NormKind;

/**
 * Normalisation of the residual stream over its last axis: LayerNorm (GPT-2), RMSNorm (Llama) or
 * Gemma's RMSNorm that scales by (1 + w).
 */
public final class Norm extends AbstractBlock {

    private final NormKind kind;
    private final float eps;
    private final int size;
    private final Parameter weight;
    private final Parameter bias;

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

    /**
     * Half-precision inputs are normalised in float32 and cast back, where transformers casts:
     * Llama's RMSNorm scales the cast-back value by w; Gemma's scales by (1 + w) in float32 first;
     * torch's LayerNorm computes in float32 internally. A float32 input is unaffected.
     */
    public NDArray apply(NDArray x) {
        NDArray w = weight.getArray();
        switch (kind) {
            case LAYER_NORM:
                NDArray b = bias == null ? x.getManager().zeros(new Shape(size)) : bias.getArray();
                NDArray x32 = Half.f32(x);
                return Half.like(x32.getNDArrayInternal().layerNorm(x32, new Shape(size), Half.f32(w), Half.f32(b), eps).singletonOrThrow(), x);
            case RMS_NORM:
                return Half.like(normalizeRms(Half.f32(x)), x).mul(w);
            case RMS_NORM_PLUS_ONE:
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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(apply(inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
