package dev.glassbox.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.glassbox.GlassboxException;

/**
 * Every hyper-parameter of a training run. Written to {@code training_args.json} in the output
 * folder (and to stderr) when a run starts, and read back by a resumed run. Defaults follow
 * common practice for small GPT-style models (nanoGPT): AdamW β = (0.9, 0.95), weight decay 0.1,
 * gradient clipping at 1.0, warm-up then cosine decay to a tenth of the peak rate.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class TrainConfig {

    // ---- model -----------------------------------------------------------------------------
    /** "gpt2" or "llama" to start from random weights; null with {@link #initFrom}. */
    public String arch;
    public int nLayer = 4;
    public int nEmbd = 128;
    public int nHead = 4;
    public int nPositions = 128;
    /** Llama only: key/value heads (default: n_head) and MLP width (default: 4·n_embd). */
    public Integer nKvHead;
    public Integer nInner;
    /** A checkpoint folder to fine-tune, instead of {@link #arch}. */
    public String initFrom;

    // ---- data ------------------------------------------------------------------------------
    public String corpus;
    public String corpusFormat = "auto";
    /** A folder with the tokenizer to use; null to train a byte-level BPE of {@link #vocabSize}. */
    public String tokenizer;
    public Integer vocabSize;
    public double evalFraction = 0.05;
    /** Where training windows start: "any" token, or only at a "line" start. */
    public String windowStart = "any";

    // ---- optimisation ----------------------------------------------------------------------
    public int steps = 1000;
    public int batchSize = 16;
    public int seqLen = 128;
    public double lr = 1e-3;
    public double minLr = 1e-4;
    public int warmup = 100;
    public double weightDecay = 0.1;
    public double beta1 = 0.9;
    public double beta2 = 0.95;
    public double adamEps = 1e-8;
    public double gradClip = 1.0;
    public long seed = 1337;

    // ---- bookkeeping -----------------------------------------------------------------------
    public int evalEvery = 100;
    /** Windows of the periodic evaluation (0: all); the final evaluation always uses all. */
    public int evalWindows = 128;
    public int saveEvery = 500;
    public int logEvery = 10;

    static ObjectMapper json() {
        return new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    public TrainConfig copy() {
        return json().convertValue(json().valueToTree(this), TrainConfig.class);
    }

    /** Checks every value; a GlassboxException names the first bad one as its option. */
    public TrainConfig validate() {
        if ((arch == null) == (initFrom == null)) {
            throw new GlassboxException("give either --arch (train from scratch) or --init-from DIR (fine-tune)");
        }
        if (arch != null && !arch.equals("gpt2") && !arch.equals("llama")) {
            throw new GlassboxException("--arch must be gpt2 or llama, found '" + arch + "'");
        }
        if (corpus == null) {
            throw new GlassboxException("--corpus FILE is required");
        }
        if (arch != null && tokenizer == null && vocabSize == null) {
            throw new GlassboxException("from scratch, give --tokenizer DIR or --vocab-size V (to train a byte-level BPE)");
        }
        if (tokenizer != null && vocabSize != null) {
            throw new GlassboxException("give --tokenizer or --vocab-size, not both");
        }
        positive(nLayer, "--n-layer");
        positive(nEmbd, "--n-embd");
        positive(nHead, "--n-head");
        positive(nPositions, "--n-positions");
        if (arch != null && nEmbd % nHead != 0) {
            throw new GlassboxException("--n-embd " + nEmbd + " must be divisible by --n-head " + nHead);
        }
        if (nKvHead != null && (nKvHead <= 0 || nHead % nKvHead != 0)) {
            throw new GlassboxException("--n-kv-head must divide --n-head, found " + nKvHead);
        }
        if (nInner != null) {
            positive(nInner, "--n-inner");
        }
        if (vocabSize != null && vocabSize < 257) {
            throw new GlassboxException("--vocab-size must be at least 257 (256 bytes + <|endoftext|>), found " + vocabSize);
        }
        positive(steps, "--steps");
        positive(batchSize, "--batch-size");
        positive(seqLen, "--seq-len");
        if (arch != null && seqLen > nPositions) {
            throw new GlassboxException("--seq-len " + seqLen + " exceeds the context --n-positions " + nPositions);
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new GlassboxException("--lr must be positive, found " + lr);
        }
        if (!(minLr >= 0) || minLr > lr) {
            throw new GlassboxException("--min-lr must be in [0, --lr], found " + minLr);
        }
        if (warmup < 0) {
            throw new GlassboxException("--warmup must not be negative, found " + warmup);
        }
        if (!(weightDecay >= 0)) {
            throw new GlassboxException("--weight-decay must not be negative, found " + weightDecay);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(adamEps > 0)) {
            throw new GlassboxException("Adam betas must be in [0, 1) and epsilon positive");
        }
        if (!(gradClip >= 0)) {
            throw new GlassboxException("--grad-clip must not be negative (0 turns clipping off), found " + gradClip);
        }
        if (!(evalFraction >= 0 && evalFraction < 0.5)) {
            throw new GlassboxException("--eval-fraction must be in [0, 0.5), found " + evalFraction);
        }
        if (!windowStart.equals("any") && !windowStart.equals("line")) {
            throw new GlassboxException("--window-start must be any or line, found '" + windowStart + "'");
        }
        positive(evalEvery, "--eval-every");
        if (evalWindows < 0) {
            throw new GlassboxException("--eval-windows must not be negative, found " + evalWindows);
        }
        positive(saveEvery, "--save-every");
        positive(logEvery, "--log-every");
        Corpus.Format.parse(corpusFormat);
        return this;
    }

    private static void positive(int v, String name) {
        if (v <= 0) {
            throw new GlassboxException(name + " must be positive, found " + v);
        }
    }
}
