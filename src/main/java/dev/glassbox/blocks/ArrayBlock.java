package dev.glassbox.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A DJL block that maps one array to one array (the residual stream in, its update out), with
 * typed shorthands for {@link #forward(ParameterStore, NDList, boolean, PairList)} so that a
 * parent block's math reads {@code q.forward(ps, x, training)}. The computation itself is the
 * subclass's {@code forwardInternal}; per-call context travels in {@code params} ({@link BlockParams}).
 *
 * <p>Its parameters get their values from a checkpoint ({@code WeightLoader}), never from DJL's
 * initializers: the block counts as initialised once every parameter holds an array, so a training
 * call ({@code training = true}, which makes DJL initialise uninitialised blocks) uses the loaded weights.
 */
public abstract class ArrayBlock extends AbstractBlock {

    @Override
    public boolean isInitialized() {
        return loaded(this);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        throw notLoaded(this);
    }

    /** Whether every parameter of {@code block} (its children's included) holds an array. */
    static boolean loaded(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (!p.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    static IllegalStateException notLoaded(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (!p.isInitialized()) {
                return new IllegalStateException("parameter '" + p.getName() + "' has no value: glassbox blocks take their weights from a checkpoint (WeightLoader), not from DJL initializers");
            }
        }
        return new IllegalStateException("every parameter is loaded");
    }

    /** This block on {@code x}, through DJL's forward (parameters read from {@code ps}). */
    public final NDArray forward(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        return forward(ps, new NDList(x), training, params).singletonOrThrow();
    }

    /** This block on {@code x} without per-call context. */
    public final NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, new NDList(x), training, null).singletonOrThrow();
    }

    /** This block on {@code x} outside any model call: inference, with a store on x's manager. */
    public final NDArray apply(NDArray x) {
        return forward(new ParameterStore(x.getManager(), false), x, false);
    }
}
