package dev.glassbox.checkpoint;

import dev.glassbox.checkpoint.pickle.TorchPickleCheckpoint;
import java.nio.file.Path;

/** Opens {@code pytorch_model.bin} with the restricted reader: data only, never executed. */
final class PickleWeights {
    private PickleWeights() {}

    static TensorSource open(Path bin) {
        return TorchPickleCheckpoint.open(bin);
    }
}
