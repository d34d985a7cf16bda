package dev.glassbox.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers {@link GlassboxModelZoo} with DJL (through META-INF/services). */
public final class GlassboxZooProvider implements ZooProvider {

    @Override
    public ModelZoo getModelZoo() {
        return new GlassboxModelZoo();
    }
}
