package dev.glassbox.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.glassbox.LanguageModel;
import dev.glassbox.blocks.Half;
import dev.glassbox.generate.Sampler;
import java.util.ArrayList;
import java.util.List;

/**
 * Semantic geometry of the vocabulary: which tokens' unembedding rows a hidden state points
 * towards (by dot product, which is what a logit is, and by cosine, which ignores how large a
 * row is), and which tokens sit closest to a token in the input embedding space.
 */
public final class Geometry {

    /**
     * A vocabulary token near a vector.
     *
     * @param dot the dot product with the token's row
     * @param cosine the cosine of the angle between them
     */
    public record Neighbour(long id, String text, double dot, double cosine) {}

    /** The best-aligned tokens by dot product and by cosine, best first. */
    public record Alignment(List<Neighbour> byDot, List<Neighbour> byCosine) {
        public Alignment {
            byDot = List.copyOf(byDot);
            byCosine = List.copyOf(byCosine);
        }
    }

    private Geometry() {}

    /**
     * The tokens whose unembedding rows (W_U, or E when tied) align best with {@code hidden}
     * ([D]). For the final norm's output, the dot products are the logits.
     */
    public static Alignment unembeddingAlignment(LanguageModel model, float[] hidden, int k) {
        return align(model, model.block().unembedding(), hidden, k, -1);
    }

    /** The input embedding row E[id] (without any embedding scale). */
    public static float[] embeddingRow(LanguageModel model, long id) {
        checkId(model, id);
        try (NDScope scope = new NDScope()) {
            return Half.floats(model.block().embed().getArray().get(id));
        }
    }

    /**
     * The tokens whose input embedding rows are closest to E[id] by cosine, best first.
     *
     * @param includeSelf whether {@code id} itself (cosine 1) may be listed
     */
    public static List<Neighbour> nearestEmbeddings(LanguageModel model, long id, int k, boolean includeSelf) {
        float[] row = embeddingRow(model, id);
        return align(model, model.block().embed().getArray(), row, k, includeSelf ? -1 : id).byCosine();
    }

    private static Alignment align(LanguageModel model, NDArray matrix, float[] vector, int k, long exclude) {
        int d = model.config().hiddenSize();
        if (vector.length != d) {
            throw new IllegalArgumentException("the vector has " + vector.length + " values, the model's width is " + d);
        }
        float[] dots;
        float[] norms;
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray x = m.create(vector, new Shape(d, 1));
            NDArray wide = Half.f32(matrix); // a half-precision model's matrix, compared in float32
            dots = wide.matMul(x).toFloatArray();
            norms = wide.square().sum(new int[] {1}).sqrt().toFloatArray();
        }
        double xNorm = Vectors.norm(vector);
        float[] cos = new float[dots.length];
        for (int i = 0; i < dots.length; i++) {
            double denom = norms[i] * xNorm;
            cos[i] = denom == 0 ? 0f : (float) (dots[i] / denom);
        }
        if (exclude >= 0) {
            dots[(int) exclude] = Float.NEGATIVE_INFINITY;
            cos[(int) exclude] = Float.NEGATIVE_INFINITY;
        }
        TokenLabels labels = new TokenLabels(model.tokenizer());
        return new Alignment(list(Sampler.topK(dots, k), dots, cos, labels),
                list(Sampler.topK(cos, k), dots, cos, labels));
    }

    private static List<Neighbour> list(int[] ids, float[] dots, float[] cos, TokenLabels labels) {
        List<Neighbour> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            double dot = dots[id];
            double c = cos[id];
            if (dot == Double.NEGATIVE_INFINITY) { // the excluded token
                continue;
            }
            out.add(new Neighbour(id, labels.text(id), dot, c));
        }
        return out;
    }

    private static void checkId(LanguageModel model, long id) {
        if (id < 0 || id >= model.config().vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + model.config().vocabSize() + ")");
        }
    }
}
