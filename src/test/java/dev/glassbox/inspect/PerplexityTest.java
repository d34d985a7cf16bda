package dev.glassbox.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A document longer than the context, scored in windows: the result equals the combination written
 * out by hand here from single-window runs, as transformers' perplexity guide loops (windows of
 * max_length every stride tokens, each scoring its last end − prev_end tokens).
 */
class PerplexityTest {

    @Test
    void windowedScoreEqualsHandCombinationOfWindowRuns() {
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/llama-yarn-tiny"))) {
            int context = model.config().maxPositions(); // 128
            Random rnd = new Random(3);
            long[] doc = new long[300];
            for (int i = 0; i < doc.length; i++) {
                doc[i] = 3 + rnd.nextInt(model.config().vocabSize() - 3);
            }
            int stride = 48;
            double sum = 0;
            int scored = 0;
            int prevEnd = 0;
            int windows = 0;
            for (int begin = 0; begin < doc.length; begin += stride) {
                int end = Math.min(begin + context, doc.length);
                int trgLen = end - prevEnd;
                long[] window = Arrays.copyOfRange(doc, begin, end);
                double[] lp = model.score(window).nextTokenLogprobs(); // lp[j] = log p(window[j+1] | ...)
                for (int j = Math.max(1, window.length - trgLen); j < window.length; j++) {
                    sum += lp[j - 1];
                    scored++;
                }
                windows++;
                prevEnd = end;
                if (end == doc.length) {
                    break;
                }
            }
            assertEquals(doc.length - 1, scored, "each token after the first scored once");
            long[] shortDoc = Arrays.copyOf(doc, 20);
            List<Perplexity.Document> got = Perplexity.score(model, List.of(doc, shortDoc), context, stride, 3);
            assertEquals(windows, got.get(0).windows());
            assertEquals(scored, got.get(0).tokens());
            assertEquals(sum, got.get(0).sumLogprob(), 1e-4 * Math.abs(sum));
            double shortSum = Arrays.stream(model.score(shortDoc).nextTokenLogprobs()).sum();
            assertEquals(shortSum, got.get(1).sumLogprob(), 1e-4 * Math.abs(shortSum));
            assertEquals(Math.exp(-sum / scored), got.get(0).perplexity(), 1e-3 * got.get(0).perplexity());
        }
    }
}
