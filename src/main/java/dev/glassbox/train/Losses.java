package dev.glassbox.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Next-token prediction losses, computed from logits with differentiable engine operations. */
public final class Losses {

    private Losses() {}

    /**
     * Cross-entropy of {@code targets} under {@code logits}: the mean over every position of
     * −log softmax(logits)[target], computed through log-softmax (stable for large logits).
     *
     * @param logits [B, T, V]
     * @param targets [B, T] token ids
     * @return a scalar
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        return tokenNll(logits, targets).mean();
    }

    /** −log p(target) at every position, [B·T]. */
    public static NDArray tokenNll(NDArray logits, NDArray targets) {
        long v = logits.getShape().get(logits.getShape().dimension() - 1);
        NDArray logp = logits.reshape(-1, v).logSoftmax(-1);
        NDArray index = targets.toType(DataType.INT64, false).reshape(-1, 1);
        return logp.gather(index, 1).reshape(-1).neg();
    }
}
