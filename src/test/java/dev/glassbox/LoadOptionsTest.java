package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

/** {@link LanguageModel#load(String, LoadOptions)}: what --model, --dtype and --device resolve, from Java. */
class LoadOptionsTest {

    @Test
    void loadsFoldersAndBundledNamesWithTheOptionsGiven() {
        String dir = Reference.model("fixtures/gpt2-tiny").toString();
        try (LanguageModel f32 = LanguageModel.load(dir); LanguageModel f16 = LanguageModel.load(dir, LoadOptions.defaults().dtype("f16"))) {
            assertEquals(DataType.FLOAT32, f32.dtype());
            assertEquals(DataType.FLOAT16, f16.dtype());
            assertEquals(f32.weights().W_Q(0, 1)[3][2], f16.weights().W_Q(0, 1)[3][2], 1e-3, "the same weights, in half precision");
        }
        try (LanguageModel bundled = LanguageModel.load(ModelLocator.DEFAULT_MODEL)) {
            assertTrue(bundled.dir().endsWith(ModelLocator.DEFAULT_MODEL));
        }
    }

    @Test
    void badOptionsAndNamesSayWhatIsWrong() {
        GlassboxException dtype = assertThrows(GlassboxException.class, () -> LoadOptions.defaults().dtype("f8"));
        assertTrue(dtype.getMessage().contains("'f8'"), dtype.getMessage());
        GlassboxException device = assertThrows(GlassboxException.class, () -> LoadOptions.defaults().device("tpu"));
        assertTrue(device.getMessage().contains("'tpu'"), device.getMessage());
        GlassboxException name = assertThrows(GlassboxException.class, () -> LanguageModel.load("gpt2"));
        assertTrue(name.getMessage().contains("openai-community/gpt2"), name.getMessage());
    }
}
