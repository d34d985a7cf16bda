package dev.glassbox.djl;

import ai.djl.BaseModel;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.nio.file.Path;
import java.util.Map;

/**
 * A block that is already loaded, seen as a DJL {@code Model} so that it can serve a
 * {@code Predictor}: {@code LanguageModel} runs its generation this way. The model's manager is a
 * sub-manager of the one that holds the weights, so every array a prediction makes belongs to the
 * same tree and is freed with it; closing this model frees only its own sub-manager.
 */
public final class BlockModel extends BaseModel {

    public BlockModel(String name, Path dir, Block block, NDManager weights) {
        super(name);
        this.block = block;
        this.manager = weights.newSubManager();
        setModelDir(dir);
    }

    @Override
    public void load(Path modelPath, String prefix, Map<String, ?> options) {
        throw new UnsupportedOperationException("a BlockModel wraps a block that is already loaded");
    }
}
