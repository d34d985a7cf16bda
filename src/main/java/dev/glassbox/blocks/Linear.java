package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * y = x·Wᵀ + b, with W and b registered under their checkpoint names. GPT-2's Conv1D stores W as
 * [in, out]; it is kept as stored (a transposed view feeds the product), so the parameter holds
 * exactly the checkpoint's values, and training updates the one array inference reads.
 */
public final class Linear extends ArrayBlock {

    private final Parameter weight;
    private final Parameter bias;
    private final boolean inputMajor;
    private final int in;
    private final int out;

    /**
     * @param weightName checkpoint name of W
     * @param biasName checkpoint name of b, or null for none
     * @param inputMajor true when W is stored [in, out]
     */
    public Linear(String weightName, String biasName, int in, int out, boolean inputMajor) {
        this.in = in;
        this.out = out;
        this.inputMajor = inputMajor;
        this.weight = addParameter(Parameter.builder().setName(weightName).setType(Parameter.Type.WEIGHT).build());
        this.bias = biasName == null
                ? null
                : addParameter(Parameter.builder().setName(biasName).setType(Parameter.Type.BIAS).build());
    }

    /** The shape W must have in the checkpoint. */
    public Shape storedWeightShape() {
        return inputMajor ? new Shape(in, out) : new Shape(out, in);
    }

    /** W, as stored in the checkpoint. */
    public Parameter weight() {
        return weight;
    }

    /** b, or null when the projection has none. */
    public Parameter bias() {
        return bias;
    }

    /** True when W is stored [in, out] (GPT-2's Conv1D). */
    public boolean inputMajor() {
        return inputMajor;
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    /** W as [out, in], the layout of the product: a fresh view for Conv1D weights (close it, or scope it). */
    public NDArray weightOutIn() {
        NDArray w = weight.getArray();
        return inputMajor ? w.transpose() : w;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray w = BlockParams.value(ps, weight, training);
        NDArray b = BlockParams.value(ps, bias, training);
        NDArray x = Half.like(inputs.singletonOrThrow(), w); // e.g. a float32 intervention on a half-precision model meets the weights' type
        if (!inputMajor) {
            return ai.djl.nn.core.Linear.linear(x, w, b);
        }
        // Conv1D's [in, out]: a transposed view feeds the product; autograd keeps its own reference
        try (NDArray wT = w.transpose()) {
            return ai.djl.nn.core.Linear.linear(x, wT, b);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }

    @Override
    public DataType[] getOutputDataTypes() {
        return new DataType[] {DataType.FLOAT32};
    }
}
