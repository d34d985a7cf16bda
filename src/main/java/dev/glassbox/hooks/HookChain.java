package dev.glassbox.hooks;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Hooks by name: interventions that replace an activation, then observers (an
 * {@link ActivationCache}) that see the result. Add as many as needed; order is kept.
 */
public final class HookChain implements Hooks {

    private final Map<String, List<UnaryOperator<NDArray>>> byName = new LinkedHashMap<>();
    private final List<Hooks> observers = new ArrayList<>();

    /** Runs {@code fn} on activation {@code name}; its result replaces the activation. */
    public HookChain add(String name, UnaryOperator<NDArray> fn) {
        byName.computeIfAbsent(name, k -> new ArrayList<>()).add(fn);
        return this;
    }

    /** Adds an intervention from {@link Interventions}. */
    public HookChain add(Interventions.Intervention i) {
        return add(i.hookName(), i.fn());
    }

    /** Observers run after the interventions (e.g. an ActivationCache). */
    public HookChain observe(Hooks observer) {
        observers.add(observer);
        return this;
    }

    @Override
    public NDArray apply(String name, NDArray activation) {
        NDArray x = activation;
        List<UnaryOperator<NDArray>> fns = byName.get(name);
        if (fns != null) {
            for (UnaryOperator<NDArray> fn : fns) {
                NDArray y = fn.apply(x);
                if (y != null) {
                    x = y;
                }
            }
        }
        for (Hooks o : observers) {
            NDArray y = o.apply(name, x);
            if (y != null) {
                x = y;
            }
        }
        return x;
    }
}
