package dev.glassbox.inspect;
import dev.glassbox.hooks.ActivationCache;

import dev.glassbox.cli.CliRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.arch.MoeConfig;
import dev.glassbox.hooks.HookNames;
import dev.glassbox.blocks.MoeMlp;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Inspection on mixture-of-experts models: attribution per expert, the journey, the hooks. */
class MoeInspectionTest {

    /**
     * The terms still sum to the logit; a sparse layer's MLP is one term per routed expert plus the
     * shared expert, zero for the experts a position did not choose, and together they are the MLP
     * output projected on the frozen-norm direction w ⊙ u / s (computed here by hand).
     */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/mixtral-tiny", "fixtures/qwen2-moe-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny",
        "glassbox-fixtures/mixtral-top1-window-tiny"})
    void attributionSplitsTheMlpPerExpert(String dir) {
        JsonNode r = Reference.reference(dir).get("results").get(1);
        long[] ids = Reference.longs(r.get("input_ids"));
        int last = ids.length - 1;
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            MoeConfig moe = MoeConfig.of(model.config());
            int layers = model.config().numLayers();
            int d = model.config().hiddenSize();
            long top = Reference.longs(r.get("positions").get(last).get("topk_ids"))[0];
            float[] refLast = Reference.floats(r.get("last_logits"));
            long[][] cases = {{last, top}, {ids.length / 2, ids[ids.length / 2 + 1]}};
            Set<String> names = new HashSet<>(LogitAttribution.hookNames(model.config()));
            for (int l = 0; l < layers; l++) {
                names.add(HookNames.block(l, "mlp.expert_ids"));
            }
            try (ActivationCache cache = model.runWithCache(ids, names::contains)) {
                for (long[] c : cases) {
                    int p = (int) c[0];
                    String what = dir + " position " + p + " target " + c[1];
                    LogitAttribution.Result a = LogitAttribution.fromCache(model, cache, p, c[1], new TokenLabels(model.tokenizer()));
                    if (p == last) {
                        assertEquals(refLast[(int) top], a.logit(), 1e-4 * Math.max(1, Math.abs(refLast[(int) top])), what);
                    }
                    assertEquals(a.logit(), a.sum(), 1e-3 * Math.max(1, Math.abs(a.logit())), what + " sum of terms");
                    double[] dir_ = direction(model, cache, p, c[1]);
                    for (int l = 0; l < layers; l++) {
                        final int layer = l;
                        long mlpTerms = a.terms().stream().filter(t -> t.layer() == layer && t.kind().name().startsWith("MLP")).count();
                        float[] mlpOut = Vectors.row(cache.floats(HookNames.block(l, "mlp.out")), p, d);
                        double byHand = 0;
                        for (int i = 0; i < d; i++) {
                            byHand += mlpOut[i] * dir_[i];
                        }
                        assertEquals(byHand, a.mlp(l), 1e-3 * Math.max(1, Math.abs(byHand)), what + " layer " + l + " MLP total");
                        if (!moe.isSparse(l)) {
                            assertEquals(1, mlpTerms, what + " dense layer " + l);
                            assertEquals(0, a.experts(l).length);
                            continue;
                        }
                        assertEquals(moe.numExperts() + (moe.hasSharedExpert() ? 1 : 0), mlpTerms, what + " layer " + l);
                        double[] experts = a.experts(l);
                        assertEquals(moe.numExperts(), experts.length);
                        float[] chosen = Vectors.row(cache.floats(HookNames.block(l, "mlp.expert_ids")), p, moe.topK());
                        int nonzero = 0;
                        for (int e = 0; e < experts.length; e++) {
                            final int expert = e;
                            boolean picked = false;
                            for (float x : chosen) {
                                picked |= (int) x == e;
                            }
                            if (!picked) {
                                assertEquals(0.0, experts[e], what + " layer " + l + " expert " + e + " was not chosen");
                            } else if (experts[e] != 0) {
                                nonzero++;
                            }
                            assertTrue(a.terms().stream().anyMatch(t -> t.name().equals(HookNames.block(layer, "mlp.experts." + expert))));
                        }
                        assertTrue(nonzero > 0, what + " layer " + l + ": a chosen expert contributes");
                    }
                }
            }
        }
    }

    /** d = w ⊙ u / √(mean(r²) + ε), RMSNorm's frozen direction, from the checkpoint's weights. */
    static double[] direction(LanguageModel model, ActivationCache cache, int p, long target) {
        int d = model.config().hiddenSize();
        float[] resid = Vectors.row(cache.floats(HookNames.block(model.config().numLayers() - 1, "resid_post")), p, d);
        float[] w = model.block().finalNorm().weight().getArray().toFloatArray();
        float[] u = model.block().unembedding().get(target).toFloatArray();
        double ms = 0;
        for (float x : resid) {
            ms += (double) x * x;
        }
        double s = Math.sqrt(ms / d + model.config().normEps());
        double[] dir = new double[d];
        for (int i = 0; i < d; i++) {
            dir[i] = w[i] * (double) u[i] / s;
        }
        return dir;
    }

    /** The journey runs on a mixture; a sparse layer's MLP line names its top expert. */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/mixtral-tiny", "fixtures/qwen2-moe-tiny", "glassbox-fixtures/qwen2moe-mixed-tiny"})
    void journeyRunsAndNamesTheTopExpert(String dir) {
        JsonNode r = Reference.reference(dir).get("results").get(0);
        long[] ids = Reference.longs(r.get("input_ids"));
        try (LanguageModel model = LanguageModel.load(Reference.model(dir))) {
            MoeConfig moe = MoeConfig.of(model.config());
            JourneyReport rep = Journey.run(model, ids, null, Journey.Options.defaults());
            JourneyReport.Step s = rep.steps().get(0);
            long expected = Reference.longs(r.get("positions").get(ids.length - 1).get("topk_ids"))[0];
            assertEquals(expected, s.appended().id(), dir + " greedy token");
            int p = ids.length - 1;
            try (ActivationCache cache = model.runWithCache(ids, n -> n.endsWith("mlp.expert_ids"))) {
                for (JourneyReport.Layer l : s.layers()) {
                    if (!moe.isSparse(l.layer())) {
                        assertEquals(model.config().intermediateSize(), l.mlpWidth(), dir);
                        assertTrue(!l.activation().contains("expert"), l.activation());
                        continue;
                    }
                    int e = (int) Vectors.row(cache.floats(HookNames.block(l.layer(), "mlp.expert_ids")), p, moe.topK())[0];
                    assertTrue(l.activation().contains("expert " + e + " of " + moe.numExperts()), l.activation());
                    assertEquals(moe.expertWidth(), l.mlpWidth());
                    assertTrue(l.mlpActiveFraction() > 0 && l.mlpActiveFraction() < 1, dir + " " + l.mlpActiveFraction());
                }
            }
            assertTrue(s.attribution().top().stream().allMatch(t -> Double.isFinite(t.value())));
        }
    }

    @Test
    void journeyCommandOnAMixture() throws Exception {
        String model = Reference.model("fixtures/qwen2-moe-tiny").toString();
        CliRun r = CliRun.of("journey", "--model", model, "--prompt", "the license", "--steps", "2",
                "--format", "json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("steps").size());
        r = CliRun.of("journey", "--model", model, "--prompt", "the license", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("expert"), r.out());
    }

    /** Every name MoeMlp documents is recorded once per sparse layer, and none of the dense MLP's. */
    @Test
    void hookNamesOfASparseLayer() {
        try (LanguageModel model = LanguageModel.load(Reference.model("fixtures/qwen2-moe-tiny"))) {
            MoeConfig moe = MoeConfig.of(model.config());
            try (ActivationCache cache = model.runWithCache(new long[] {5, 6, 7}, n -> n.startsWith("blocks.0.mlp"))) {
                Set<String> expected = new HashSet<>(MoeMlp.hookNames(0, moe));
                expected.add("blocks.0.mlp.out");
                assertEquals(expected, cache.names());
                assertEquals("[1, 3, 4]", Arrays.toString(cache.shape("blocks.0.mlp.router_logits")));
                assertEquals("[1, 3, 2]", Arrays.toString(cache.shape("blocks.0.mlp.expert_weights")));
                assertEquals("[1, 3, 48]", Arrays.toString(cache.shape("blocks.0.mlp.experts.3.post")));
                assertEquals("[1, 3, 64]", Arrays.toString(cache.shape("blocks.0.mlp.experts.3.out")));
                assertEquals("[1, 3, 1]", Arrays.toString(cache.shape("blocks.0.mlp.shared_expert_gate")));
                assertEquals("[1, 3, 96]", Arrays.toString(cache.shape("blocks.0.mlp.shared_expert.post")));
            }
        }
    }
}
