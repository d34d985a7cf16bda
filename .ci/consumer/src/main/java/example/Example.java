package example;

import dev.glassbox.LanguageModel;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.SamplingConfig;

public class Example {
    public static void main(String[] args) {
        // A checkpoint folder in the HuggingFace layout (best absolute: a relative one depends on the working folder,
        // and a notebook kernel's is notebooks/), a bundled model's name or a HuggingFace model id (org/name).
        try (LanguageModel model = LanguageModel.load(args[0])) {
            SamplingConfig greedy = SamplingConfig.builder().greedy(true).maxNewTokens(8).build();
            GenerationResult r = model.generate("And God said, Let there be", greedy);
            System.out.println(r.text());
        }
    }
}
