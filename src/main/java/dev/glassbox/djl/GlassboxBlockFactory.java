package dev.glassbox.djl;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import dev.glassbox.arch.Architecture;
import dev.glassbox.arch.ModelConfig;
import dev.glassbox.blocks.TransformerLM;
import dev.glassbox.checkpoint.Checkpoint;
import dev.glassbox.checkpoint.WeightLoader;
import java.nio.file.Path;
import java.util.Map;

/**
 * Lets DJL's {@code Criteria} load a HuggingFace checkpoint folder: builds the
 * {@link TransformerLM} its config.json describes and fills it from its weights, in the model's
 * own NDManager. Named in a {@code serving.properties} ({@code blockFactory=…}) or passed with
 * {@code Criteria.optArgument("blockFactory", …)}; use it with the option {@code hasParameter=false}
 * since the weights come from the checkpoint, not from a DJL .params file.
 */
public final class GlassboxBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        try (Checkpoint ckpt = Checkpoint.open(modelPath)) {
            String file = modelPath.resolve("config.json").toString();
            Architecture arch = Architecture.forModelType(ckpt.modelType(), file);
            ModelConfig cfg = arch.parseConfig(ckpt.config(), file);
            arch.checkTensors(cfg, ckpt.tensors()::contains, file);
            TransformerLM block = new TransformerLM(cfg, arch);
            WeightLoader.load(block, arch, ckpt.tensors(), model.getNDManager(), null);
            return block;
        }
    }
}
