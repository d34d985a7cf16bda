package dev.glassbox.patching;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.blocks.ForwardContext;
import dev.glassbox.blocks.Half;
import dev.glassbox.hooks.Hooks;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Activations and the gradients of a scalar metric with respect to them, from one forward and one
 * backward pass (TransformerLens's backward hooks / gradient cache). At each named hook point the
 * forward adds a zero array that requires a gradient: the sum is unchanged, the graph is not cut,
 * and the zero's gradient is ∂metric/∂activation. Close the cache to free what it holds.
 */
public final class GradientCache implements AutoCloseable {

    /** The scalar to differentiate, from the logits of the last position [V] (float32). */
    @FunctionalInterface
    public interface Metric {
        NDArray of(NDArray lastLogits);
    }

    private final NDManager manager;
    private final Map<String, NDArray> activations = new LinkedHashMap<>();
    private final Map<String, NDArray> gradients = new LinkedHashMap<>();
    private double metric;

    private GradientCache(NDManager manager) {
        this.manager = manager;
    }

    /** logit(target) − logit(baseline) at the last position. */
    public static Metric logitDifference(long target, long baseline) {
        return last -> last.get(new NDIndex("{}", target)).sub(last.get(new NDIndex("{}", baseline)));
    }

    /** Runs {@code ids} forward and {@code metric} backward, recording {@code names}. */
    public static GradientCache of(LanguageModel model, long[] ids, Set<String> names, Metric metric) {
        GradientCache g = new GradientCache(model.manager().newSubManager());
        Map<String, NDArray> zeros = new LinkedHashMap<>();
        Hooks leaves = (name, x) -> {
            if (!names.contains(name)) {
                return x;
            }
            NDArray act = x.stopGradient().duplicate();
            NDScope.unregister(act);
            act.attach(g.manager);
            g.activations.put(name, act);
            NDArray zero = g.manager.zeros(x.getShape(), x.getDataType());
            NDScope.unregister(zero);
            zero.setRequiresGradient(true);
            zeros.put(name, zero);
            return x.add(zero);
        };
        try (NDManager m = model.manager().newSubManager();
                GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray logits = model.block().forward(m.create(ids, new Shape(1, ids.length)), new ForwardContext(null, leaves), false);
            NDArray value = metric.of(Half.f32(logits).reshape(model.config().vocabSize()));
            g.metric = value.toFloatArray()[0];
            gc.backward(value);
            for (Map.Entry<String, NDArray> e : zeros.entrySet()) {
                NDArray grad = e.getValue().getGradient().duplicate();
                grad.attach(g.manager);
                g.gradients.put(e.getKey(), grad);
            }
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        for (String n : names) {
            if (!g.gradients.containsKey(n)) {
                g.close();
                throw new GlassboxException("no activation '" + n + "' in this model's forward pass (see HookNames)");
            }
        }
        return g;
    }

    /** The metric's value on this run. */
    public double metric() {
        return metric;
    }

    /** The activation recorded at {@code name} (no gradient attached). */
    public NDArray activation(String name) {
        return require(activations, name);
    }

    /** ∂metric/∂activation at {@code name}, shaped like the activation. */
    public NDArray gradient(String name) {
        return require(gradients, name);
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(gradients.keySet());
    }

    private static NDArray require(Map<String, NDArray> m, String name) {
        NDArray a = m.get(name);
        if (a == null) {
            throw new GlassboxException("no gradient recorded for '" + name + "' (recorded: " + m.keySet() + ")");
        }
        return a;
    }

    @Override
    public void close() {
        activations.clear();
        gradients.clear();
        manager.close();
    }
}
