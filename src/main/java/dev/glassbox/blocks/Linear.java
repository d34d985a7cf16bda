package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glassbox.kernels.BlasLinear;
import dev.glassbox.quant.DecodeRow;
import dev.glassbox.quant.Int8Matrix;

/**
 * y = x·Wᵀ + b, with W and b registered under their checkpoint names. GPT-2's Conv1D stores W as
 * [in, out]; it is kept as stored (a transposed view feeds the product), so the parameter holds
 * exactly the checkpoint's values, and training updates the one array inference reads. A model
 * quantized to int8 ({@code --quantize int8}) also holds W as int8 with per-row scales: the
 * parameter then holds the dequantized W, and a single input row on the CPU is multiplied by the
 * int8 values directly ({@link DecodeRow}). Float32 products on the CPU without autograd are
 * multiplied by OpenBLAS on W's own memory ({@link BlasLinear}: a single row, or several inside a
 * forward that runs PyTorch on one thread); everything else by PyTorch.
 */
public final class Linear extends ArrayBlock {

    private final Parameter weight;
    private final Parameter bias;
    private final boolean inputMajor;
    private final int in;
    private final int out;
    private Int8Matrix int8;
    private float[] biasValues;
    private final BlasLinear.Weights blasWeights = new BlasLinear.Weights();

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

    /**
     * Multiplies single rows by {@code q} from now on; the parameter must already hold q's
     * dequantized values (see {@link dev.glassbox.quant.Int8Quantizer}).
     */
    public void useInt8(Int8Matrix q) {
        if (q.rows() != out || q.cols() != in) {
            throw new IllegalArgumentException("int8 weights are " + q.rows() + "×" + q.cols() + ", the layer is " + out + "×" + in);
        }
        this.int8 = q;
        this.biasValues = null;
    }

    /** The int8 weights, or null when the layer is not quantized. */
    public Int8Matrix int8() {
        return int8;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray b = BlockParams.value(ps, bias, training);
        if (int8 != null && !training && DecodeRow.applies(inputs.singletonOrThrow())) {
            if (b != null && biasValues == null) {
                biasValues = b.toFloatArray();
            }
            return new NDList(DecodeRow.multiply(int8, inputs.singletonOrThrow(), biasValues));
        }
        NDArray w = BlockParams.value(ps, weight, training);
        NDArray x = Half.like(inputs.singletonOrThrow(), w); // e.g. a float32 intervention on a half-precision model meets the weights' type
        if (!training && BlasLinear.applies(x, w)) {
            return new NDList(BlasLinear.multiply(x, w, inputMajor, b, blasWeights)); // OpenBLAS: faster than libtorch's MKL (see BlasLinear)
        }
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
