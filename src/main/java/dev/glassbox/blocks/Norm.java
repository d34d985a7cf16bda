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

    public NDArray apply(NDArray x) {
        NDArray w = weight.getArray();
        switch (kind) {
            case LAYER_NORM:
                NDArray b = bias == null ? x.getManager().zeros(new Shape(size)) : bias.getArray();
                return x.getNDArrayInternal().layerNorm(x, new Shape(size), w, b, eps).singletonOrThrow();
            case RMS_NORM:
                return normalizeRms(x).mul(w);
            case RMS_NORM_PLUS_ONE:
                return normalizeRms(x).mul(w.add(Constants.of(1f, w)));
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
