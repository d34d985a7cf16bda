package dev.glassbox.inspect;

import dev.glassbox.inspect.JourneyReport.Embedding;
import dev.glassbox.inspect.JourneyReport.Layer;
import dev.glassbox.inspect.JourneyReport.ModelInfo;
import dev.glassbox.inspect.JourneyReport.Output;
import dev.glassbox.inspect.JourneyReport.Step;
import dev.glassbox.inspect.JourneyReport.TokenInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The journey as plain text for an 80-column terminal: every line is at most 80 characters. */
public final class JourneyText {

    /** The widest line written. */
    public static final int WIDTH = 80;

    private final StringBuilder out = new StringBuilder();

    private JourneyText() {}

    public static String render(JourneyReport r) {
        JourneyText t = new JourneyText();
        t.report(r);
        return t.out.toString();
    }

    private void report(JourneyReport r) {
        ModelInfo m = r.model();
        line("glassbox journey: " + m.name() + " (" + m.modelType() + ")");
        line(String.format(Locale.ROOT, "%d layer%s, %d head%s (%d key/value) of %d dims, D=%d, MLP %d, V=%d",
                m.layers(), m.layers() == 1 ? "" : "s", m.heads(), m.heads() == 1 ? "" : "s", m.kvHeads(), m.headDim(), m.hiddenSize(), m.mlpWidth(), m.vocabSize()));
        wrap("", String.format(Locale.ROOT, "%s, %s MLP, %s positions; decoding: %s", m.norm(), m.activation(),
                m.positions(), sampling(r.sampling())));
        line("=".repeat(WIDTH));
        for (Step s : r.steps()) {
            step(r, s);
        }
        blank();
        line("Generated (" + r.generatedIds().length + " token" + (r.generatedIds().length == 1 ? "" : "s")
                + ", stop: " + r.stopReason() + "):");
        wrap("  ", quote(r.generatedText()));
        if (r.lens() != null) {
            lensSummary(r.lens());
        }
        line(String.format(Locale.ROOT, "Activation cache per step: %s (only the activations shown here are kept).",
                bytes(r.cacheBytes())));
    }

    private static String sampling(JourneyReport.SamplingInfo s) {
        if (s.greedy()) {
            return "greedy";
        }
        List<String> parts = new ArrayList<>();
        parts.add("sampling T=" + num(s.temperature()));
        if (s.topK() > 0) {
            parts.add("top-k " + s.topK());
        }
        if (s.topP() < 1) {
            parts.add("top-p " + num(s.topP()));
        }
        if (s.minP() > 0) {
            parts.add("min-p " + num(s.minP()));
        }
        parts.add("seed " + s.seed());
        return String.join(", ", parts);
    }

    private void step(JourneyReport r, Step s) {
        ModelInfo m = r.model();
        int t = s.contextIds().length;
        int d = m.hiddenSize();
        blank();
        line(String.format(Locale.ROOT, "STEP %d of %d: predicting the token after position %d %s",
                s.step() + 1, r.steps().size(), s.position(), clip(quote(s.embedding().token()), 20)));
        line("-".repeat(WIDTH));

        head("1. Text -> token ids", "[" + t + "]");
        if (s.step() == 0 && r.prompt() != null) {
            wrap("   text: ", quote(r.prompt()));
        }
        int first = Math.max(0, t - 12);
        if (first > 0) {
            line("   (" + first + " earlier tokens not listed)");
        }
        line("   pos  id       token           vocabulary string");
        for (int i = first; i < t; i++) {
            long id = s.contextIds()[i];
            TokenInfo ti = i < r.promptTokens().size() && r.promptTokens().get(i).id() == id ? r.promptTokens().get(i) : null;
            String text = r.textAt(s, i);
            String str = ti != null ? ti.string() : null;
            line(String.format(Locale.ROOT, "   %-4d %-8d %-15s %s%s", i, id, clip(quote(text), 15),
                    str == null ? "" : clip(str, 32), i == s.position() ? "  <- here" : ""));
        }

        Embedding e = s.embedding();
        head("2. Embedding: row E[" + e.tokenId() + "] of the table [" + m.vocabSize() + ", " + d + "]",
                "[" + t + "] -> [" + t + ", " + d + "]");
        line("   E[id]" + (m.embeddingScale() != 1 ? "*" + num(m.embeddingScale()) : "") + " = " + vec(e.row(), e.rowNorm()));
        if (e.positionRow() != null) {
            line("   + P[" + s.position() + "] = " + vec(e.positionRow(), e.positionNorm()));
            line("   = x[" + s.position() + "] = " + vec(e.sum(), e.sumNorm()));
        } else {
            wrap("   ", "position: " + e.positionNote());
        }
        if (!e.nearest().isEmpty()) {
            StringBuilder sb = new StringBuilder("   nearest rows by cosine:");
            for (Geometry.Neighbour n : e.nearest()) {
                sb.append(' ').append(clip(quote(n.text()), 14)).append(' ').append(f2(n.cosine()));
            }
            line(clip(sb.toString(), WIDTH));
        }

        head("3. " + m.layers() + (m.layers() == 1 ? " layer" : " layers") + ": x += attn(" + m.norm() + "(x)); x += mlp(" + m.norm() + "(x))",
                "[" + t + ", " + d + "]");
        for (Layer l : s.layers()) {
            layer(r, s, l);
        }

        Output o = s.output();
        head("4. Final " + o.norm() + ", then logits = h . W_U^T" + (m.tiedEmbeddings() ? " (W_U = E)" : ""),
                "[" + t + ", " + d + "] -> [" + t + ", " + m.vocabSize() + "]");
        line(String.format(Locale.ROOT, "   |h| = %s; W_U is [%d, %d]; top logits at position %d:",
                f2(o.finalNormNorm()), m.vocabSize(), d, s.position()));
        StringBuilder sb = new StringBuilder("  ");
        for (TokenProb tp : o.top()) {
            String item = " " + clip(quote(tp.text()), 14) + " " + f2(tp.logit());
            if (sb.length() + item.length() > WIDTH) {
                line(sb.toString());
                sb = new StringBuilder("  ");
            }
            sb.append(item);
        }
        line(sb.toString());

        boolean tempShown = o.temperature() != 1.0;
        head("5. Softmax" + (tempShown ? " of logits / " + num(o.temperature()) : "") + ": probabilities",
                "[" + m.vocabSize() + "]");
        for (int i = 0; i < o.top().size(); i++) {
            TokenProb tp = o.top().get(i);
            double p = tempShown ? o.topProbsAtTemperature()[i] : tp.prob();
            line(String.format(Locale.ROOT, "   %-16s %7.3f%%  %s%s", clip(quote(tp.text()), 16), 100 * p, bar(p, 36),
                    tempShown ? " (T=1: " + pct(tp.prob()) + ")" : ""));
        }
        line(String.format(Locale.ROOT, "   entropy %.3f nats (%.2f of the %d tokens' uniform maximum)",
                o.entropy(), o.entropy() / Math.log(m.vocabSize()), m.vocabSize()));

        DecodingView.Result dv = s.decoding();
        head("6. Decoding: " + (dv.greedy() ? "greedy, the most likely token" : sampling(r.sampling())), "");
        if (!dv.greedy()) {
            line(String.format(Locale.ROOT, "   %d token%s survive; renormalised%s:", dv.keptCount(), dv.keptCount() == 1 ? "" : "s",
                    dv.survivors().size() < dv.keptCount() ? " (first " + dv.survivors().size() + " shown)" : ""));
            for (DecodingView.Candidate c : dv.survivors()) {
                line(String.format(Locale.ROOT, "   %-16s %7.3f%%  %s", clip(quote(c.text()), 16), 100 * c.prob(), bar(c.prob(), 36)));
            }
            line("   greedy would pick " + clip(quote(dv.greedyText()), 20) + "; seed " + dv.seed() + " draws "
                    + clip(quote(dv.chosenText()), 20) + " (" + pct(dv.chosenProb()) + ")");
        }
        line(String.format(Locale.ROOT, "   chosen: %s (id %d), probability %s", clip(quote(dv.chosenText()), 24), dv.chosenId(),
                pct(dv.chosenRawProb())));
        if (s.actualNext() != null) {
            TokenProb a = s.actualNext();
            line(String.format(Locale.ROOT, "   the input continued with %s: rank %d, %s", clip(quote(a.text()), 20), a.rank(), pct(a.prob())));
        }
        JourneyReport.Attribution at = s.attribution();
        if (at != null && !at.top().isEmpty()) {
            line("   direct logit attribution of " + clip(quote(at.target()), 20) + " (logit " + f2(at.logit()) + "):");
            StringBuilder ab = new StringBuilder("  ");
            for (LogitAttribution.Term term : at.top()) {
                String item = " " + shortTerm(term.name()) + " " + sign(term.value());
                if (ab.length() + item.length() > WIDTH) {
                    line(ab.toString());
                    ab = new StringBuilder("  ");
                }
                ab.append(item);
            }
            line(ab.toString());
        }

        head("7. Appended at position " + s.appended().position(), "[" + t + "] -> [" + (t + 1) + "]");
        line("   " + clip(quote(s.appended().text()), WIDTH - 3));
    }

    private void layer(JourneyReport r, Step s, Layer l) {
        ModelInfo m = r.model();
        int p = s.position();
        line(String.format(Locale.ROOT, "   Layer %d  |x| = %s", l.layer(), f2(l.residInNorm())));
        line(String.format(Locale.ROOT, "     attention: %s(x) -> Q %s, K %s, V %s", l.norm(), shape(l.qShape()),
                shape(l.kShape()), shape(l.vShape())));
        line(String.format(Locale.ROOT, "     head %d: q[%d] . k[0..%d] / sqrt(%d) -> scores (row of %s) -> softmax",
                l.head(), p, p, m.headDim(), shape(l.scoresShape())));
        // the strongest positions, in position order
        List<Integer> idx = new ArrayList<>();
        for (int j = 0; j < l.probs().length; j++) {
            idx.add(j);
        }
        idx.sort(Comparator.comparingDouble((Integer j) -> -l.probs()[j]).thenComparingInt(j -> j));
        List<Integer> shown = new ArrayList<>(idx.subList(0, Math.min(5, idx.size())));
        shown.sort(Comparator.naturalOrder());
        for (int j : shown) {
            line(String.format(Locale.ROOT, "       %4d %-16s score %8s  p %6.3f %s", j, clip(quote(r.textAt(s, j)), 16),
                    f2(l.scores()[j]), l.probs()[j], bar(l.probs()[j], 20)));
        }
        if (idx.size() > shown.size()) {
            line(String.format(Locale.ROOT, "       (%d more positions share %s)", idx.size() - shown.size(),
                    pct(restMass(l.probs(), shown))));
        }
        line(String.format(Locale.ROOT, "     z = p . V -> [%d], |z| = %s; concat %d head%s -> [%d]",
                m.headDim(), f2(l.zNorm()), m.heads(), m.heads() == 1 ? "" : "s", m.heads() * m.headDim()));
        line(String.format(Locale.ROOT, "     W_O %s -> [%d], |attn out| = %s; residual |x| = %s",
                shape(l.woShape()), m.hiddenSize(), f2(l.attnOutNorm()), f2(l.residMidNorm())));
        line(String.format(Locale.ROOT, "     MLP: [%d] -> [%d] %s (%s > 0, max #%d = %s) -> [%d]",
                m.hiddenSize(), l.mlpWidth(), clip(l.activation(), 20), pct(l.mlpActiveFraction()), l.topNeuron(),
                f2(l.topNeuronValue()), m.hiddenSize()));
        line(clip(String.format(Locale.ROOT, "     |mlp out| = %s -> residual |x| = %s; lens: %s %s", f2(l.mlpOutNorm()),
                f2(l.residOutNorm()), clip(quote(l.lens().text()), 16), pct(l.lens().prob())), WIDTH));
    }

    private void lensSummary(JourneyReport.LensGrid g) {
        blank();
        line("Logit lens at the last position: the residual stream after each stage, read");
        line("through the final norm and W_U (top token, and " + clip(quote(g.target()), 20) + "'s probability):");
        TokenProb[][] top = g.top();
        int last = top[0].length - 1;
        for (int s = 0; s < g.stages().size(); s++) {
            TokenProb tp = top[s][last];
            line(String.format(Locale.ROOT, "   %-6s %-18s %7s   target %7s rank %d", g.stages().get(s), clip(quote(tp.text()), 18),
                    pct(tp.prob()), pct(g.targetProbs()[s]), g.targetRanks()[s]));
        }
    }

    private static double restMass(float[] probs, List<Integer> shown) {
        double sum = 0;
        for (int j = 0; j < probs.length; j++) {
            if (!shown.contains(j)) {
                sum += probs[j];
            }
        }
        return sum;
    }

    private static String shortTerm(String name) {
        return name.replace("blocks.", "L").replace(".attn.head.", ".H").replace(".attn.bias", ".attn_b")
                .replace(".mlp", ".mlp").replace("ln_final.bias", "norm_b");
    }

    private void head(String title, String shape) {
        blank();
        String left = clip(title, WIDTH - shape.length() - 1);
        int pad = WIDTH - left.length() - shape.length();
        line(left + " ".repeat(Math.max(1, pad)) + shape);
    }

    private void blank() {
        out.append('\n');
    }

    private void line(String s) {
        out.append(clip(s, WIDTH).stripTrailing()).append('\n');
    }

    /** Writes {@code text} after {@code prefix}, wrapped at spaces (or anywhere in a long word). */
    private void wrap(String prefix, String text) {
        int w = WIDTH - prefix.length();
        String indent = " ".repeat(prefix.length());
        String rest = text;
        String p = prefix;
        while (rest.codePointCount(0, rest.length()) > w) {
            int limit = rest.offsetByCodePoints(0, w);
            int cut = rest.lastIndexOf(' ', limit);
            if (cut <= 0) {
                cut = limit;
            }
            line(p + rest.substring(0, cut));
            rest = rest.substring(cut).stripLeading();
            p = indent;
        }
        line(p + rest);
    }

    static String clip(String s, int n) {
        if (s == null) {
            return "";
        }
        if (s.codePointCount(0, s.length()) <= n) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, n - 1)) + "~";
    }

    static String quote(String text) {
        return text == null ? "" : "'" + TokenLabels.escape(text) + "'";
    }

    static String vec(float[] v, double norm) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(4, v.length); i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", v[i]));
        }
        return sb.append(", ...], norm ").append(f2(norm)).toString();
    }

    static String shape(long[] s) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < s.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(s[i]);
        }
        return sb.append(']').toString();
    }

    static String bar(double p, int width) {
        int n = (int) Math.round(Math.max(0, Math.min(1, p)) * width);
        return "#".repeat(n);
    }

    static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String sign(double v) {
        return String.format(Locale.ROOT, "%+.2f", v);
    }

    static String pct(double p) {
        return String.format(Locale.ROOT, p >= 0.001 ? "%.1f%%" : "%.2g%%", 100 * p);
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? String.format(Locale.ROOT, "%.1f", v) : String.valueOf(v);
    }

    static String bytes(long b) {
        if (b >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MB", b / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f kB", b / 1e3);
    }
}
