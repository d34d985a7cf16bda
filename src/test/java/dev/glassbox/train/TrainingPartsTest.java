package dev.glassbox.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.glassbox.Engines;
import dev.glassbox.GlassboxException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pieces of training, each against an independent reference: loss, AdamW, clipping norm and
 * learning rate against formulas written out here in plain Java; the data split against the
 * properties it must have (contiguous, complete, no shared text).
 */
class TrainingPartsTest {

    @Test
    void crossEntropyIsMeanNegativeLogSoftmaxOfTheTarget() {
        Engines.init();
        Random r = new Random(3);
        int b = 2;
        int t = 3;
        int v = 7;
        float[] logits = new float[b * t * v];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextGaussian() * 4); // peaky, to exercise the stable form
        }
        long[] targets = {0, 6, 3, 2, 2, 5};
        double expected = 0;
        for (int p = 0; p < b * t; p++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                max = Math.max(max, logits[p * v + k]);
            }
            double sum = 0;
            for (int k = 0; k < v; k++) {
                sum += Math.exp(logits[p * v + k] - max);
            }
            expected += max + Math.log(sum) - logits[p * v + (int) targets[p]];
        }
        expected /= b * t;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = Losses.crossEntropy(m.create(logits, new Shape(b, t, v)), m.create(targets, new Shape(b, t)));
            assertEquals(0, loss.getShape().dimension());
            assertEquals(expected, loss.getFloat(), 1e-5);
        }
    }

    @Test
    void adamWMatchesTheTorchFormulaWithDecoupledDecayOnlyWhereAsked() {
        Engines.init();
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        float[] w0 = {0.5f, -1.0f, 2.0f};
        float[][] grads = {{0.1f, -0.2f, 0.3f}, {-0.05f, 0.4f, 0.0f}, {0.2f, 0.2f, -0.1f}};
        double[] lrs = {0.01, 0.02, 0.005};
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter decays = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
            Parameter plain = Parameter.builder().setName("b").setType(Parameter.Type.BIAS).build();
            decays.setArray(m.create(w0));
            plain.setArray(m.create(w0));
            List<Map.Entry<Parameter, Boolean>> params = List.of(
                    new AbstractMap.SimpleEntry<>(decays, true), new AbstractMap.SimpleEntry<>(plain, false));
            AdamW opt = new AdamW(params, b1, b2, eps, wd);
            for (int s = 0; s < 3; s++) {
                opt.step(List.of(m.create(grads[s]), m.create(grads[s])), lrs[s]);
            }
            assertEquals(3, opt.updates());
            for (boolean decay : new boolean[] {true, false}) {
                float[] got = (decay ? decays : plain).getArray().toFloatArray();
                for (int i = 0; i < w0.length; i++) {
                    // torch.optim.AdamW, one coordinate at a time
                    double w = w0[i];
                    double mm = 0;
                    double vv = 0;
                    for (int s = 0; s < 3; s++) {
                        double g = grads[s][i];
                        if (decay) {
                            w -= lrs[s] * wd * w;
                        }
                        mm = b1 * mm + (1 - b1) * g;
                        vv = b2 * vv + (1 - b2) * g * g;
                        double mHat = mm / (1 - Math.pow(b1, s + 1));
                        double vHat = vv / (1 - Math.pow(b2, s + 1));
                        w -= lrs[s] * mHat / (Math.sqrt(vHat) + eps);
                    }
                    assertEquals(w, got[i], 1e-5, (decay ? "decayed" : "not decayed") + " coordinate " + i);
                }
            }
        }
    }

    @Test
    void globalNormIsTheNormOfAllGradientsTogether() {
        Engines.init();
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> grads = new ArrayList<>();
            grads.add(m.create(new float[] {3, 0, 0}));
            grads.add(m.create(new float[] {0, 4}, new Shape(1, 2)));
            grads.add(m.create(new float[] {12}));
            assertEquals(13.0, Trainer.globalNorm(grads), 1e-6); // √(9 + 16 + 144)
        }
    }

    @Test
    void learningRateWarmsUpLinearlyThenFollowsACosine() {
        LrSchedule s = new LrSchedule(1e-3, 1e-4, 10, 111);
        assertEquals(1e-4, s.at(0), 1e-12); // peak · 1/10
        assertEquals(5e-4, s.at(4), 1e-12);
        assertEquals(1e-3, s.at(9), 1e-12);
        assertEquals(1e-3, s.at(10), 1e-12); // start of the cosine
        assertEquals(1e-4 + 0.5 * 9e-4, s.at(60), 1e-12); // half-way: cos(π/2) = 0
        assertEquals(1e-4, s.at(110), 1e-12); // the last step ends at min
        for (int i = 11; i < 111; i++) {
            assertTrue(s.at(i) <= s.at(i - 1));
        }
        assertEquals(2e-3, new LrSchedule(2e-3, 0, 0, 1).at(0), 1e-12);
    }

    @Test
    void splitIsContiguousCompleteAndHeldOutTextIsNeverTrainedOn() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append("line ").append(i).append(" of the corpus, with some words\n");
        }
        String text = sb.toString();
        Corpus.Split split = Corpus.split(text, 0.1, 100);
        assertEquals(10, split.period());
        assertTrue(split.chunks() >= 90 && split.chunks() <= 101, "chunks " + split.chunks());
        assertEquals(text.length(), split.trainChars() + split.heldOutChars());
        double fraction = (double) split.heldOutChars() / text.length();
        assertTrue(fraction > 0.08 && fraction < 0.12, "held out " + fraction);
        // Runs and held-out chunks alternate and rebuild the text in order.
        StringBuilder rebuilt = new StringBuilder();
        for (int i = 0; i < split.heldOut().size(); i++) {
            rebuilt.append(split.train().get(i)).append(split.heldOut().get(i));
        }
        for (int i = split.heldOut().size(); i < split.train().size(); i++) {
            rebuilt.append(split.train().get(i));
        }
        assertEquals(text, rebuilt.toString());
        assertTrue(text.startsWith(split.train().get(0))); // the beginning trains
        for (String held : split.heldOut()) {
            assertTrue(held.endsWith("\n")); // cut at line ends
            for (String run : split.train()) {
                assertFalse(run.contains(held));
            }
        }
        assertEquals(0, Corpus.split(text, 0, 100).heldOut().size());
        assertThrows(GlassboxException.class, () -> Corpus.split(text, 0.6, 100));
    }

    @Test
    void batchesComeFromTheCircularTrainingStreamAndEvaluationWindowsDoNotOverlap() {
        // Training ids: 0..49 and 100..129, each segment followed by the separator 500; held-out
        // ids from 1000. A window that touched held-out text, or skipped a token, would show it.
        int[] a = new int[50];
        int[] b = new int[30];
        int[] h = new int[45];
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = 100 + i;
        }
        for (int i = 0; i < h.length; i++) {
            h[i] = 1000 + i;
        }
        List<Integer> stream = new ArrayList<>();
        for (int[] seg : new int[][] {a, b}) {
            for (int id : seg) {
                stream.add(id);
            }
            stream.add(500);
        }
        List<Integer> twice = new ArrayList<>(stream);
        twice.addAll(stream);
        TokenData data = new TokenData(List.of(a, b), List.of(h), 500);
        data.requireWindows(8);
        int[] asTarget = new int[130];
        assertEquals(stream.size(), data.windowStarts());
        for (int n = 0; n < 2000; n++) {
            TokenData.Batch batch = data.batch(5, 4L * n, 4, 8);
            for (int row = 0; row < 4; row++) {
                List<Integer> window = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    window.add((int) batch.inputs()[row * 8 + t]);
                    if (t > 0) {
                        assertEquals(batch.inputs()[row * 8 + t], batch.targets()[row * 8 + t - 1]);
                    }
                }
                int last = (int) batch.targets()[row * 8 + 7];
                window.add(last);
                assertTrue(java.util.Collections.indexOfSubList(twice, window) >= 0, "not a piece of the stream: " + window);
                for (int t = 0; t < 8; t++) {
                    long y = batch.targets()[row * 8 + t];
                    assertTrue(y < 1000);
                    if (y < 130) {
                        asTarget[(int) y]++;
                    }
                }
            }
        }
        // Uniform coverage: the first tokens of the text are targets as often as the middle ones.
        // 8000 windows are 97 whole epochs of the 82 starts (+46 windows): each token is a target
        // 97·8 = 776 times, plus at most 8 in the partial epoch.
        for (int id : new int[] {1, 2, 25, 49, 100, 129}) {
            assertTrue(asTarget[id] >= 776 && asTarget[id] <= 784, "token " + id + " was a target " + asTarget[id] + " times");
        }
        List<TokenData.Batch> eval = data.heldOutBatches(2, 8, 0);
        List<Long> targets = new ArrayList<>();
        for (TokenData.Batch e : eval) {
            for (long y : e.targets()) {
                targets.add(y);
            }
        }
        assertEquals(5 * 8, targets.size()); // windows start at 0, 8, …, 32 (41 ≤ 45 tokens)
        assertEquals(targets.size(), targets.stream().distinct().count());
        assertTrue(targets.stream().allMatch(y -> y >= 1001));
        assertThrows(GlassboxException.class, () -> new TokenData(List.of(a), List.of(), null).requireWindows(50));
        assertThrows(GlassboxException.class, () -> data.requireWindows(60)); // held-out has 45 tokens
    }

    @Test
    void lineAlignedWindowsStartOnlyAtLineStarts() {
        // Two segments of "lines": 7 is the newline token, 500 the separator between segments.
        int[] a = {1, 2, 3, 7, 4, 5, 7, 6, 8, 9, 11, 7, 12};
        int[] b = {21, 22, 7, 23, 24, 25};
        TokenData data = new TokenData(List.of(a, b), List.of(), 500);
        int starts = data.alignToLines(id -> id == 7);
        // Line starts: 1 (stream start), 4, 6, 12, 21 (after the separator), 23 = 6 starts.
        assertEquals(6, starts);
        java.util.Set<Long> firstTokens = new java.util.TreeSet<>();
        for (int n = 0; n < 300; n++) {
            TokenData.Batch batch = data.batch(11, 4L * n, 4, 5);
            for (int row = 0; row < 4; row++) {
                firstTokens.add(batch.inputs()[row * 5]);
                for (int t = 1; t < 5; t++) {
                    assertEquals(batch.inputs()[row * 5 + t], batch.targets()[row * 5 + t - 1]);
                }
            }
        }
        assertEquals(java.util.Set.of(1L, 4L, 6L, 12L, 21L, 23L), firstTokens);
    }

    @Test
    void eachEpochTakesEveryWindowStartOnceInAFreshOrder() {
        int[] a = new int[40];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 1;
        }
        TokenData data = new TokenData(List.of(a), List.of(), 500);
        int n = data.windowStarts(); // 41: the 40 tokens and the separator
        assertEquals(41, n);
        List<List<Long>> epochs = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            List<Long> firsts = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                // one window at a time, crossing batch boundaries freely: the order is by window index
                firsts.add(data.batch(7, (long) e * n + k, 1, 3).inputs()[0]);
            }
            assertEquals(n, new java.util.HashSet<>(firsts).size(), "epoch " + e + " repeated a start: " + firsts);
            epochs.add(firsts);
        }
        assertNotEquals(epochs.get(0), epochs.get(1));
        assertNotEquals(epochs.get(1), epochs.get(2));
        // A batch is a function of (seed, first window): what a resumed run relies on.
        TokenData.Batch b = data.batch(7, 50, 6, 3);
        assertArrayEquals(b.inputs(), new TokenData(List.of(a), List.of(), 500).batch(7, 50, 6, 3).inputs());
        for (int r = 0; r < 6; r++) {
            assertEquals(epochs.get(1).get(50 - n + r), b.inputs()[r * 3]);
        }
        assertNotEquals(epochs.get(0), firstsOf(data, 8, n));
    }

    private static List<Long> firstsOf(TokenData data, long seed, int n) {
        List<Long> firsts = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            firsts.add(data.batch(seed, k, 1, 3).inputs()[0]);
        }
        return firsts;
    }

    @Test
    void splitMix64MatchesTheReferenceOutputs() {
        // Seed 0: the first outputs of Vigna's splitmix64.c (0xe220a8397b1dcdaf is its published first value);
        // seed 42 and the bounded and double draws: computed independently in Python from the same recurrence.
        SplitMix64 zero = new SplitMix64(0);
        assertEquals(0xe220a8397b1dcdafL, zero.nextLong());
        assertEquals(0x6e789e6aa1b965f4L, zero.nextLong());
        assertEquals(0x06c45d188009454fL, zero.nextLong());
        SplitMix64 s42 = new SplitMix64(42);
        assertEquals(-4767286540954276203L, s42.nextLong());
        assertEquals(2949826092126892291L, s42.nextLong());
        assertEquals(5139283748462763858L, s42.nextLong());
        SplitMix64 bounded = new SplitMix64(42);
        long[] draws = new long[10];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = bounded.nextLong(17);
        }
        assertArrayEquals(new long[] {6, 13, 3, 11, 6, 8, 15, 5, 11, 11}, draws);
        assertEquals(0.3898297483912715, new SplitMix64(7).nextDouble(), 0.0);
    }

    @Test
    void rngIsAFunctionOfItsSeed() {
        SplitMix64 a = new SplitMix64(42);
        SplitMix64 b = new SplitMix64(42);
        SplitMix64 c = new SplitMix64(43);
        boolean differs = false;
        for (int i = 0; i < 100; i++) {
            long x = a.nextLong(17);
            assertEquals(x, b.nextLong(17));
            differs |= x != c.nextLong(17);
        }
        assertTrue(differs, "seeds 42 and 43 gave the same 100 draws");
    }

    @Test
    void versesLoseTheirReferences() {
        List<String> lines = List.of(
                "Ge1:1 In the beginning God created the heaven and the earth.",
                "Genesis 1:2 And the earth was without form, and void;",
                "1 John 3:16 Hereby perceive we the love of God,",
                "Song of Solomon 2:1 I am the rose of Sharon, and the lily of the valleys.",
                "1Cor13:4 Charity suffereth long, and is kind;");
        String text = Corpus.versesToText(lines, java.nio.file.Path.of("x"));
        assertEquals("In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void;\n"
                + "Hereby perceive we the love of God,\nI am the rose of Sharon, and the lily of the valleys.\n"
                + "Charity suffereth long, and is kind;\n", text);
        List<String> verses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            verses.add(lines.get(i % lines.size()));
        }
        assertTrue(Corpus.looksLikeVerses(verses));
        assertFalse(Corpus.looksLikeVerses(List.of("It was the best of times,", "it was the worst of times,", "a", "b", "c", "d",
                "e", "f", "g", "h", "i")));
    }
}
