package example;

import dev.glassbox.LanguageModel;
import dev.glassbox.generate.GenerationResult;
import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.nio.file.Path;

public class Example {
    public static void main(String[] args) {
        // A checkpoint folder in the HuggingFace layout, by absolute path (a relative one would depend on the
        // working folder: a notebook kernel's is notebooks/), e.g. /home/me/glassbox/model-zoo/kjv-gpt2.
        Path dir = Path.of(args[0]).toAbsolutePath();
        try (LanguageModel model = LanguageModel.load(dir)) {
            long[] ids = model.tokenizer().encode("And God said, Let there be");
            SamplingConfig greedy = SamplingConfig.builder().greedy(true).maxNewTokens(8).build();
            GenerationResult r = new Generator(model).generate(ids, greedy);
            System.out.println(r.text());
        }
    }
}
