package dev.glassbox.inspect;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.glassbox.GlassboxException;
import dev.glassbox.inspect.JourneyReport.AttentionMaps;
import dev.glassbox.inspect.JourneyReport.Embedding;
import dev.glassbox.inspect.JourneyReport.Layer;
import dev.glassbox.inspect.JourneyReport.LensGrid;
import dev.glassbox.inspect.JourneyReport.ModelInfo;
import dev.glassbox.inspect.JourneyReport.Output;
import dev.glassbox.inspect.JourneyReport.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The journey as ONE self-contained HTML page: inline CSS and inline JavaScript, no network
 * access (a Content-Security-Policy forbids any), no external scripts, fonts or images. It shows
 * the tokens, probability bars of the final choice, the logit-lens grid (stage × position, top
 * token and probability, coloured by probability), heatmaps of every layer's and head's attention
 * pattern (drawn on canvases by the inline script from data embedded in the page; click one to
 * enlarge it with token labels), and the stage-by-stage walkthrough of each step.
 *
 * <p>The script marks the page when it has drawn: {@code <body data-gb-ready="N">} (N heatmaps)
 * and the text of {@code #gb-status}; a script error sets {@code data-gb-error} instead. Tests
 * read these through a headless browser's DOM dump.
 */
public final class JourneyHtml {

    private final StringBuilder h = new StringBuilder();

    private JourneyHtml() {}

    public static String render(JourneyReport r) {
        JourneyHtml page = new JourneyHtml();
        page.page(r);
        return page.h.toString();
    }

    private void page(JourneyReport r) {
        ModelInfo m = r.model();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        h.append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
                + "script-src 'unsafe-inline'; img-src data:\">\n");
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.append("<title>glassbox journey: ").append(esc(m.name())).append("</title>\n<style>").append(CSS).append("</style></head>\n");
        h.append("<body data-gb-ready=\"0\">\n<header><h1>glassbox journey</h1><div class=\"sub\">")
                .append(esc(m.name())).append(" <span class=\"dim\">(").append(esc(m.modelType())).append(")</span> · ")
                .append(m.layers()).append(" layers · ").append(m.heads()).append(" heads")
                .append(m.kvHeads() != m.heads() ? " (" + m.kvHeads() + " key/value)" : "")
                .append(" × ").append(m.headDim()).append(" · D = ").append(m.hiddenSize())
                .append(" · MLP ").append(m.mlpWidth()).append(" · V = ").append(m.vocabSize()).append(" · ")
                .append(esc(m.norm())).append(" · ").append(esc(m.activation())).append(" · ").append(esc(m.positions()))
                .append(" positions</div>\n<div id=\"gb-status\" class=\"dim\">static view (script not run)</div></header>\n<main>\n");

        tokens(r);
        finalChoice(r);
        if (r.lens() != null) {
            lens(r.lens());
        }
        if (r.attention() != null) {
            attention(r.attention(), m);
        }
        h.append("<section><h2>Walkthrough</h2><p class=\"note\">Each step follows the token being predicted through every "
                + "stage, with the shape of the tensors at that stage. Open a layer for its attention head in detail.</p>\n");
        for (Step s : r.steps()) {
            step(r, s);
        }
        h.append("</section>\n<footer class=\"dim\">activation cache per step: ").append(esc(JourneyText.bytes(r.cacheBytes())))
                .append(" (only what this page shows) · format ").append(esc(r.format())).append("</footer>\n</main>\n");
        h.append("<script type=\"application/json\" id=\"gb-data\">").append(data(r)).append("</script>\n");
        h.append("<script>").append(JS).append("</script>\n</body></html>\n");
    }

    private void tokens(JourneyReport r) {
        h.append("<section><h2>Text → tokens → text</h2>");
        if (r.prompt() != null) {
            h.append("<p>Prompt: <q>").append(esc(r.prompt())).append("</q></p>");
        }
        h.append("<div class=\"chips\">");
        for (JourneyReport.TokenInfo t : r.promptTokens()) {
            boolean cut = t.position() > r.position();
            h.append("<span class=\"chip").append(cut ? " cut" : "").append("\" title=\"position ").append(t.position())
                    .append(", id ").append(t.id()).append(t.string() == null ? "" : ", " + esc(t.string())).append("\"><b>")
                    .append(vis(t.text())).append("</b><i>").append(t.id()).append("</i></span>");
        }
        for (Step s : r.steps()) {
            JourneyReport.TokenInfo t = s.appended();
            h.append("<span class=\"chip gen\" title=\"generated at step ").append(s.step() + 1).append(", id ").append(t.id())
                    .append("\"><b>").append(vis(t.text())).append("</b><i>").append(t.id()).append("</i></span>");
        }
        h.append("</div><p>Generated (").append(r.generatedIds().length).append(", stop: ").append(esc(r.stopReason()))
                .append("): <q class=\"gen-text\">").append(esc(r.generatedText())).append("</q></p></section>\n");
    }

    private void finalChoice(JourneyReport r) {
        Step s = r.steps().get(r.steps().size() - 1);
        Output o = s.output();
        DecodingView.Result d = s.decoding();
        h.append("<section><h2>The last choice</h2><div class=\"cols\"><div><h3>softmax")
                .append(o.temperature() != 1 ? " at temperature " + fmt(o.temperature()) : "")
                .append(" — top ").append(o.top().size()).append(" of ").append(r.model().vocabSize()).append("</h3>");
        for (int i = 0; i < o.top().size(); i++) {
            TokenProb tp = o.top().get(i);
            bar(vis(tp.text()), o.topProbsAtTemperature()[i], tp.id() == d.chosenId(), "logit " + fmt(tp.logit()));
        }
        h.append("</div><div><h3>").append(d.greedy() ? "greedy decoding" : esc(d.keptCount() + " tokens survive the sampling filters"))
                .append("</h3>");
        if (d.greedy()) {
            h.append("<p>The most likely token is taken: <b class=\"tok\">").append(vis(d.chosenText())).append("</b> with probability ")
                    .append(pct(d.chosenRawProb())).append(".</p>");
        } else {
            for (DecodingView.Candidate c : d.survivors()) {
                bar(vis(c.text()), c.prob(), c.id() == d.chosenId(), "raw " + pct(c.rawProb()));
            }
            h.append("<p>Seed ").append(d.seed()).append(" draws <b class=\"tok\">").append(vis(d.chosenText()))
                    .append("</b>; greedy would pick <b class=\"tok\">").append(vis(d.greedyText())).append("</b>.</p>");
        }
        h.append("</div></div></section>\n");
    }

    private void bar(String label, double p, boolean chosen, String note) {
        h.append("<div class=\"bar").append(chosen ? " chosen" : "").append("\"><span class=\"lbl\">").append(label)
                .append("</span><span class=\"track\"><span class=\"fill\" style=\"width:")
                .append(String.format(Locale.ROOT, "%.1f", Math.max(0, Math.min(1, p)) * 100)).append("%\"></span></span><span class=\"num\">")
                .append(pct(p)).append("</span><span class=\"dim note\">").append(esc(note)).append("</span></div>\n");
    }

    private void lens(LensGrid g) {
        h.append("<section><h2>Logit lens</h2><p class=\"note\">Each cell: the most likely next token when the residual stream "
                + "after that stage is read through the final norm and the unembedding, with its probability (colour). "
                + "The last column is the position being predicted; the right-hand column follows <b class=\"tok\">")
                .append(vis(g.target())).append("</b>, the token chosen last.</p><div class=\"scroll\"><table class=\"lens\"><thead><tr><th>stage</th>");
        for (int i = 0; i < g.tokens().size(); i++) {
            h.append("<th title=\"position ").append(g.first() + i).append("\"><span class=\"pos\">").append(g.first() + i)
                    .append("</span>").append(vis(g.tokens().get(i))).append("</th>");
        }
        h.append("<th class=\"tgt\">p(").append(vis(g.target())).append(")</th></tr></thead><tbody>\n");
        for (int s = g.stages().size() - 1; s >= 0; s--) {
            h.append("<tr><th>").append(esc(g.stages().get(s))).append("</th>");
            for (TokenProb tp : g.top()[s]) {
                h.append("<td style=\"background:").append(heat(tp.prob())).append(";color:").append(tp.prob() > 0.55 ? "#fff" : "#111")
                        .append("\" title=\"").append(esc(tp.text())).append(" ").append(pct(tp.prob())).append("\">")
                        .append(vis(tp.text())).append("<small>").append(pctShort(tp.prob())).append("</small></td>");
            }
            h.append("<td class=\"tgt\" style=\"background:").append(heat(g.targetProbs()[s])).append(";color:")
                    .append(g.targetProbs()[s] > 0.55 ? "#fff" : "#111").append("\">").append(pct(g.targetProbs()[s]))
                    .append("<small>rank ").append(g.targetRanks()[s]).append("</small></td></tr>\n");
        }
        h.append("</tbody></table></div></section>\n");
    }

    private void attention(AttentionMaps a, ModelInfo m) {
        h.append("<section><h2>Attention patterns</h2><p class=\"note\">Row = query position (the token reading), column = key "
                + "position (the token read), darker = more attention; the causal mask leaves the upper triangle empty. One "
                + "heatmap per layer (rows) and head (columns)");
        if (a.first() > 0) {
            h.append("; only the last ").append(a.tokens().size()).append(" positions are shown");
        }
        h.append(". Click a heatmap to enlarge it.</p><div id=\"gb-heatmaps\" class=\"scroll\"></div>"
                + "<div id=\"gb-detail\" class=\"detail\"><div id=\"gb-detail-title\" class=\"dim\">Click a heatmap above.</div>"
                + "<canvas id=\"gb-detail-canvas\" width=\"10\" height=\"10\"></canvas><div id=\"gb-tip\" class=\"dim\"></div></div></section>\n");
    }

    private void step(JourneyReport r, Step s) {
        ModelInfo m = r.model();
        int t = s.contextIds().length;
        int d = m.hiddenSize();
        h.append("<details class=\"step\"").append(s.step() == r.steps().size() - 1 ? " open" : "").append("><summary>Step ")
                .append(s.step() + 1).append(": after <b class=\"tok\">").append(vis(s.embedding().token())).append("</b> (position ")
                .append(s.position()).append(") comes <b class=\"tok\">").append(vis(s.appended().text())).append("</b></summary>\n");

        stage("1", "Text → token ids", "[" + t + "]");
        h.append("<div class=\"chips\">");
        for (int i = Math.max(0, t - 24); i < t; i++) {
            h.append("<span class=\"chip").append(i == s.position() ? " here" : "").append("\"><b>").append(vis(r.textAt(s, i)))
                    .append("</b><i>").append(s.contextIds()[i]).append("</i></span>");
        }
        h.append("</div></div>\n");

        Embedding e = s.embedding();
        stage("2", "Embedding: row E[" + e.tokenId() + "] of E [" + m.vocabSize() + ", " + d + "]", "[" + t + "] → [" + t + ", " + d + "]");
        h.append("<table class=\"kv\"><tr><th>E[id]").append(m.embeddingScale() != 1 ? " × " + fmt(m.embeddingScale()) : "")
                .append("</th><td class=\"mono\">").append(vec(e.row())).append("</td><td>norm ").append(fmt(e.rowNorm())).append("</td></tr>");
        if (e.positionRow() != null) {
            h.append("<tr><th>+ P[").append(s.position()).append("]</th><td class=\"mono\">").append(vec(e.positionRow()))
                    .append("</td><td>norm ").append(fmt(e.positionNorm())).append("</td></tr><tr><th>= x</th><td class=\"mono\">")
                    .append(vec(e.sum())).append("</td><td>norm ").append(fmt(e.sumNorm())).append("</td></tr>");
        }
        h.append("</table><p class=\"note\">Position: ").append(esc(e.positionNote())).append("</p>");
        if (!e.nearest().isEmpty()) {
            h.append("<p class=\"note\">Nearest embedding rows by cosine:");
            for (Geometry.Neighbour n : e.nearest()) {
                h.append(" <b class=\"tok\">").append(vis(n.text())).append("</b> ").append(fmt(n.cosine()));
            }
            h.append("</p>");
        }
        h.append("</div>\n");

        stage("3", m.layers() + " layers: x += attn(" + m.norm() + "(x)); x += mlp(" + m.norm() + "(x))", "[" + t + ", " + d + "]");
        h.append("<table class=\"layers\"><thead><tr><th>layer</th><th>|x| in</th><th>Q / K, V</th><th>head</th><th>reads most</th>"
                + "<th>|attn out|</th><th>|x| mid</th><th>MLP</th><th>|mlp out|</th><th>|x| out</th><th>lens</th></tr></thead><tbody>\n");
        for (Layer l : s.layers()) {
            AttentionAnalysis.Source top = l.sources().isEmpty() ? null : l.sources().get(0);
            h.append("<tr><td>").append(l.layer()).append("</td><td>").append(fmt(l.residInNorm())).append("</td><td class=\"mono\">")
                    .append(shape(l.qShape())).append(" / ").append(shape(l.kShape())).append("</td><td>").append(l.head())
                    .append("</td><td>").append(top == null ? "" : "<b class=\"tok\">" + vis(top.token()) + "</b> " + pct(top.weight()))
                    .append("</td><td>").append(fmt(l.attnOutNorm())).append("</td><td>").append(fmt(l.residMidNorm()))
                    .append("</td><td>").append(pct(l.mlpActiveFraction())).append(" &gt; 0</td><td>").append(fmt(l.mlpOutNorm()))
                    .append("</td><td>").append(fmt(l.residOutNorm())).append("</td><td><b class=\"tok\">").append(vis(l.lens().text()))
                    .append("</b> ").append(pct(l.lens().prob())).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
        for (Layer l : s.layers()) {
            layerDetail(m, s, l, t, r);
        }
        h.append("</div>\n");

        Output o = s.output();
        stage("4", "Final " + o.norm() + ", logits = h · W_Uᵀ" + (m.tiedEmbeddings() ? " (W_U = E, tied)" : ""),
                "[" + t + ", " + d + "] → [" + t + ", " + m.vocabSize() + "]");
        h.append("<p>|h| = ").append(fmt(o.finalNormNorm())).append("; W_U is [").append(m.vocabSize()).append(", ").append(d)
                .append("]. Highest logits at position ").append(s.position()).append(":</p><p>");
        for (TokenProb tp : o.top()) {
            h.append("<span class=\"pill\"><b class=\"tok\">").append(vis(tp.text())).append("</b> ").append(fmt(tp.logit())).append("</span> ");
        }
        h.append("</p></div>\n");

        stage("5", "Softmax" + (o.temperature() != 1 ? " of logits / " + fmt(o.temperature()) : ""), "[" + m.vocabSize() + "]");
        for (int i = 0; i < o.top().size(); i++) {
            TokenProb tp = o.top().get(i);
            bar(vis(tp.text()), o.topProbsAtTemperature()[i], tp.id() == s.decoding().chosenId(),
                    o.temperature() != 1 ? "T=1: " + pct(tp.prob()) : "log-prob " + fmt(tp.logprob()));
        }
        h.append("<p class=\"note\">entropy ").append(fmt(o.entropy())).append(" nats (uniform would be ")
                .append(fmt(Math.log(m.vocabSize()))).append(")</p></div>\n");

        DecodingView.Result dv = s.decoding();
        stage("6", dv.greedy() ? "Decoding: greedy (argmax)" : "Decoding: sampling",
                dv.greedy() ? "argmax of " + dv.keptCount() : dv.keptCount() + " of " + m.vocabSize() + " kept");
        if (!dv.greedy()) {
            h.append("<p class=\"note\">Temperature ").append(fmt(dv.temperature()))
                    .append(dv.topK() > 0 ? ", top-k " + dv.topK() : "").append(dv.topP() < 1 ? ", top-p " + fmt(dv.topP()) : "")
                    .append(dv.minP() > 0 ? ", min-p " + fmt(dv.minP()) : "").append(": ").append(dv.keptCount())
                    .append(" tokens survive; their probabilities, renormalised")
                    .append(dv.survivors().size() < dv.keptCount() ? " (the first " + dv.survivors().size() + " shown)" : "")
                    .append(":</p>");
            for (DecodingView.Candidate c : dv.survivors()) {
                bar(vis(c.text()), c.prob(), c.id() == dv.chosenId(), "raw " + pct(c.rawProb()));
            }
        }
        h.append("<p>Chosen: <b class=\"tok\">").append(vis(dv.chosenText())).append("</b> (id ").append(dv.chosenId())
                .append(", probability ").append(pct(dv.chosenRawProb())).append(dv.greedy() ? "" : ", drawn with seed " + dv.seed())
                .append(")</p>");
        if (s.actualNext() != null) {
            h.append("<p class=\"note\">The input itself continued with <b class=\"tok\">").append(vis(s.actualNext().text()))
                    .append("</b>: rank ").append(s.actualNext().rank()).append(", ").append(pct(s.actualNext().prob())).append(".</p>");
        }
        if (s.attribution() != null) {
            JourneyReport.Attribution at = s.attribution();
            double max = 1e-9;
            for (LogitAttribution.Term term : at.top()) {
                max = Math.max(max, Math.abs(term.value()));
            }
            h.append("<h4>Direct logit attribution of <b class=\"tok\">").append(vis(at.target())).append("</b> (logit ")
                    .append(fmt(at.logit())).append("): the largest terms</h4>");
            for (LogitAttribution.Term term : at.top()) {
                double w = Math.abs(term.value()) / max * 50;
                h.append("<div class=\"dla\"><span class=\"lbl mono\">").append(esc(term.name())).append("</span><span class=\"axis\">")
                        .append("<span class=\"").append(term.value() >= 0 ? "pos" : "neg").append("\" style=\"width:")
                        .append(String.format(Locale.ROOT, "%.1f", w)).append("%\"></span></span><span class=\"num\">")
                        .append(String.format(Locale.ROOT, "%+.2f", term.value())).append("</span></div>\n");
            }
        }
        h.append("</div>\n");

        stage("7", "Appended", "[" + t + "] → [" + (t + 1) + "]");
        h.append("<p><b class=\"tok\">").append(vis(s.appended().text())).append("</b> becomes position ").append(s.appended().position())
                .append(".</p></div>\n</details>\n");
    }

    private void layerDetail(ModelInfo m, Step s, Layer l, int t, JourneyReport r) {
        int p = s.position();
        h.append("<details class=\"layer\"><summary>layer ").append(l.layer()).append(": head ").append(l.head())
                .append(" in detail, MLP</summary><p>").append(esc(l.norm())).append("(x) → Q ").append(shape(l.qShape()))
                .append(", K ").append(shape(l.kShape())).append(", V ").append(shape(l.vShape())).append("; head ").append(l.head())
                .append(": q[").append(p).append("] · k[0..").append(p).append("] / √").append(m.headDim()).append(" → one row of the scores ")
                .append(shape(l.scoresShape())).append(" → softmax:</p><table class=\"scores\"><thead><tr><th>pos</th><th>token</th>"
                        + "<th>q·k/√d</th><th>probability</th></tr></thead><tbody>");
        int first = Math.max(0, l.probs().length - 32);
        for (int j = first; j < l.probs().length; j++) {
            h.append("<tr><td>").append(j).append("</td><td><b class=\"tok\">").append(vis(r.textAt(s, j))).append("</b></td><td>")
                    .append(Float.isFinite(l.scores()[j]) ? fmt(l.scores()[j]) : "masked").append("</td><td><span class=\"mini\" style=\"width:")
                    .append(String.format(Locale.ROOT, "%.1f", l.probs()[j] * 120)).append("px\"></span> ").append(pct(l.probs()[j]))
                    .append("</td></tr>");
        }
        h.append("</tbody></table><p>z = probabilities · V = [").append(m.headDim()).append("], |z| = ").append(fmt(l.zNorm()))
                .append("; the ").append(m.heads()).append(" heads concatenated [").append((long) m.heads() * m.headDim()).append("] · W_Oᵀ ")
                .append(shape(l.woShape())).append(" → [").append(m.hiddenSize()).append("], |attn out| = ").append(fmt(l.attnOutNorm()))
                .append(". Averaged over heads, position ").append(p).append(" reads");
        for (AttentionAnalysis.Source src : l.sourcesAveraged()) {
            h.append(" <b class=\"tok\">").append(vis(src.token())).append("</b> ").append(pct(src.weight()));
        }
        h.append(".</p><p>MLP: [").append(m.hiddenSize()).append("] → [").append(l.mlpWidth()).append("] ").append(esc(l.activation()))
                .append(" (").append(pct(l.mlpActiveFraction())).append(" positive; strongest unit #").append(l.topNeuron()).append(" = ")
                .append(fmt(l.topNeuronValue())).append(") → [").append(m.hiddenSize()).append("], |mlp out| = ").append(fmt(l.mlpOutNorm()))
                .append("</p></details>\n");
    }

    private void stage(String n, String title, String shape) {
        h.append("<div class=\"stage\"><div class=\"stage-h\"><span class=\"n\">").append(n).append("</span>").append(esc(title))
                .append("<span class=\"shape\">").append(esc(shape)).append("</span></div>\n");
    }

    /** The data the script draws: attention patterns (rounded to 3 decimals) and token labels. */
    private static String data(JourneyReport r) {
        Map<String, Object> d = new LinkedHashMap<>();
        AttentionMaps a = r.attention();
        if (a != null) {
            d.put("first", a.first());
            List<String> toks = new ArrayList<>();
            for (String s : a.tokens()) {
                toks.add(TokenLabels.escape(s));
            }
            d.put("tokens", toks);
            float[][][][] p = a.patterns();
            float[][][][] q = new float[p.length][][][];
            for (int l = 0; l < p.length; l++) {
                q[l] = new float[p[l].length][][];
                for (int hh = 0; hh < p[l].length; hh++) {
                    q[l][hh] = new float[p[l][hh].length][];
                    for (int i = 0; i < p[l][hh].length; i++) {
                        float[] row = p[l][hh][i];
                        float[] rr = new float[row.length];
                        for (int j = 0; j < row.length; j++) {
                            rr[j] = Math.round(row[j] * 1000f) / 1000f;
                        }
                        q[l][hh][i] = rr;
                    }
                }
            }
            d.put("patterns", q);
        }
        try {
            // "</" cannot end the script element early once escaped
            return JourneyJson.MAPPER.writeValueAsString(d).replace("</", "<\\/");
        } catch (JsonProcessingException e) {
            throw new GlassboxException("cannot embed the attention data: " + e.getMessage(), e);
        }
    }

    /** White → deep blue by probability. */
    static String heat(double p) {
        double x = Math.max(0, Math.min(1, p));
        int r = (int) Math.round(247 - x * (247 - 8));
        int g = (int) Math.round(251 - x * (251 - 48));
        int b = (int) Math.round(255 - x * (255 - 107));
        return String.format(Locale.ROOT, "rgb(%d,%d,%d)", r, g, b);
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A token's text with control characters escaped and spaces made visible (␣), HTML-escaped. */
    static String vis(String s) {
        return esc(TokenLabels.escape(s == null ? "" : s).replace(' ', '␣'));
    }

    static String vec(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", v[i]));
        }
        return sb.append(", …]").toString();
    }

    static String shape(long[] s) {
        return esc(JourneyText.shape(s));
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String pct(double p) {
        return esc(JourneyText.pct(p));
    }

    static String pctShort(double p) {
        return p >= 0.995 ? "100%" : String.format(Locale.ROOT, "%.0f%%", 100 * p);
    }

    private static final String CSS = """
            :root{--ink:#1b1f24;--dim:#6a737d;--line:#e1e4e8;--accent:#0b5cad;--gen:#1a7f37;--bg:#fafbfc}
            *{box-sizing:border-box}
            body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fff}
            header{padding:16px 24px;background:linear-gradient(90deg,#08306b,#2171b5);color:#fff}
            header h1{margin:0;font-size:22px}header .sub{opacity:.9}header .dim{color:#cfe3f7}
            main{padding:8px 24px 40px;max-width:1400px}
            section{margin:18px 0;padding:14px 16px;border:1px solid var(--line);border-radius:8px;background:var(--bg)}
            h2{margin:0 0 8px;font-size:18px}h3{margin:4px 0 8px;font-size:15px}h4{margin:12px 0 6px;font-size:14px}
            .dim{color:var(--dim)}.note{color:var(--dim);margin:4px 0 10px}.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
            .chips{display:flex;flex-wrap:wrap;gap:4px;margin:6px 0}
            .chip{display:inline-flex;flex-direction:column;align-items:center;padding:3px 7px;border:1px solid #c8d1dc;border-radius:6px;background:#fff}
            .chip b{font-weight:600;white-space:pre}.chip i{font-style:normal;font-size:10px;color:var(--dim)}
            .chip.gen{border-color:var(--gen);background:#e6f4ea}.chip.here{border-color:var(--accent);background:#e7f0fb}.chip.cut{opacity:.45}
            .tok{font-weight:600;background:#eef2f6;border-radius:4px;padding:0 3px;white-space:pre}
            q.gen-text{font-weight:600}
            .cols{display:grid;grid-template-columns:1fr 1fr;gap:24px}
            .bar{display:grid;grid-template-columns:150px 1fr 70px 120px;align-items:center;gap:8px;margin:3px 0}
            .bar .lbl{overflow:hidden;text-overflow:ellipsis;white-space:pre;text-align:right;font-weight:600}
            .bar .track{height:16px;background:#e9edf2;border-radius:4px;overflow:hidden}
            .bar .fill{display:block;height:100%;background:#6baed6}.bar.chosen .fill{background:var(--gen)}.bar.chosen .lbl{color:var(--gen)}
            .bar .num{text-align:right;font-variant-numeric:tabular-nums}.bar .note{font-size:12px}
            .scroll{overflow-x:auto}
            table{border-collapse:collapse}
            table.lens td,table.lens th{border:1px solid #fff;padding:3px 5px;text-align:center;white-space:pre;font-size:12px}
            table.lens td small{display:block;font-size:10px;opacity:.85}table.lens thead th{background:#eef2f6;vertical-align:bottom}
            table.lens tbody th{background:#eef2f6;text-align:right}.pos{display:block;font-size:10px;color:var(--dim)}
            table.lens .tgt{border-left:3px solid #888}
            table.layers,table.kv,table.scores{margin:6px 0;font-size:13px}
            table.layers td,table.layers th,table.kv td,table.kv th,table.scores td,table.scores th{border-bottom:1px solid var(--line);padding:3px 8px;text-align:right}
            table.kv th{text-align:left}
            .stage{margin:10px 0;padding:10px 12px;background:#fff;border:1px solid var(--line);border-radius:6px}
            .stage-h{font-weight:600;display:flex;align-items:center;gap:8px;margin-bottom:6px}
            .stage-h .n{display:inline-block;width:22px;height:22px;border-radius:11px;background:var(--accent);color:#fff;text-align:center;line-height:22px;font-size:12px}
            .stage-h .shape{margin-left:auto;font-family:"DejaVu Sans Mono",monospace;font-size:12px;background:#fff4d6;border:1px solid #f0d58c;border-radius:4px;padding:1px 6px}
            details.step{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:10px 0;background:#fff}
            details.step>summary{cursor:pointer;font-size:15px}
            details.layer{margin:4px 0 4px 12px}details.layer>summary{cursor:pointer;color:var(--accent)}
            .mini{display:inline-block;height:10px;background:#6baed6;vertical-align:middle}
            .pill{display:inline-block;margin:2px;padding:2px 6px;border:1px solid var(--line);border-radius:12px;background:#fff}
            .dla{display:grid;grid-template-columns:220px 1fr 70px;gap:8px;align-items:center;margin:2px 0}
            .dla .axis{position:relative;height:14px;background:#f1f3f5;border-radius:3px}
            .dla .pos{position:absolute;left:50%;height:100%;background:#2ca25f;border-radius:0 3px 3px 0}
            .dla .neg{position:absolute;right:50%;height:100%;background:#de2d26;border-radius:3px 0 0 3px}
            .dla .num{text-align:right;font-variant-numeric:tabular-nums}
            .hm-grid{display:grid;gap:6px;align-items:start}
            .hm{display:flex;flex-direction:column;align-items:center;font-size:10px;color:var(--dim);cursor:pointer}
            .hm canvas{border:1px solid #c8d1dc;image-rendering:pixelated}.hm.sel canvas{outline:2px solid var(--accent)}
            .hm-row{font-size:11px;font-weight:600;color:var(--ink);align-self:center}
            .detail{margin-top:12px}#gb-detail-canvas{border:1px solid #c8d1dc;max-width:100%}
            footer{margin:12px 0;font-size:12px}
            """;

    private static final String JS = """
            (function(){
            'use strict';
            var body=document.body,status=document.getElementById('gb-status');
            window.addEventListener('error',function(e){body.setAttribute('data-gb-error',String(e.message||e));
              if(status){status.textContent='script error: '+(e.message||e);}});
            var data=JSON.parse(document.getElementById('gb-data').textContent);
            function color(p){p=Math.max(0,Math.min(1,p));var r=Math.round(247-p*239),g=Math.round(251-p*203),b=Math.round(255-p*148);
              return 'rgb('+r+','+g+','+b+')';}
            function draw(canvas,m,cell){var n=m.length;canvas.width=n*cell;canvas.height=n*cell;var c=canvas.getContext('2d');
              c.fillStyle='#fff';c.fillRect(0,0,n*cell,n*cell);
              for(var i=0;i<n;i++){for(var j=0;j<m[i].length;j++){if(j>i){continue;}
                c.fillStyle=color(m[i][j]);c.fillRect(j*cell,i*cell,cell,cell);}}}
            var drawn=0,grid=document.getElementById('gb-heatmaps');
            if(grid&&data.patterns){
              var L=data.patterns.length,H=L?data.patterns[0].length:0,n=data.tokens.length;
              var cell=Math.max(2,Math.min(12,Math.floor(96/Math.max(1,n))));
              grid.innerHTML='';var g=document.createElement('div');g.className='hm-grid';
              g.style.gridTemplateColumns='40px repeat('+H+', max-content)';grid.appendChild(g);
              var selected=null;
              for(var l=0;l<L;l++){var lab=document.createElement('div');lab.className='hm-row';lab.textContent='L'+l;g.appendChild(lab);
                for(var h=0;h<H;h++){(function(l,h){var box=document.createElement('div');box.className='hm';
                  var cv=document.createElement('canvas');draw(cv,data.patterns[l][h],cell);box.appendChild(cv);
                  var cap=document.createElement('span');cap.textContent='L'+l+' H'+h;box.appendChild(cap);
                  box.addEventListener('click',function(){if(selected){selected.classList.remove('sel');}selected=box;box.classList.add('sel');detail(l,h);});
                  g.appendChild(box);drawn++;})(l,h);}}
              detail(L-1,0);
            }
            function detail(l,h){var cv=document.getElementById('gb-detail-canvas'),title=document.getElementById('gb-detail-title');
              if(!cv){return;}var m=data.patterns[l][h],toks=data.tokens,n=toks.length;
              var cell=Math.max(10,Math.min(28,Math.floor(560/Math.max(1,n))));var pad=110;
              cv.width=pad+n*cell+10;cv.height=pad+n*cell+10;var c=cv.getContext('2d');c.fillStyle='#fff';c.fillRect(0,0,cv.width,cv.height);
              c.font='11px sans-serif';c.fillStyle='#1b1f24';c.textAlign='right';c.textBaseline='middle';
              for(var i=0;i<n;i++){var t=toks[i].replace(/ /g,'\\u2423');if(t.length>14){t=t.slice(0,13)+'\\u2026';}
                c.fillText(t+' '+(data.first+i),pad-4,pad+i*cell+cell/2);
                c.save();c.translate(pad+i*cell+cell/2,pad-4);c.rotate(-Math.PI/2);c.textAlign='left';c.fillText(t,0,0);c.restore();}
              for(var i=0;i<n;i++){for(var j=0;j<=i&&j<m[i].length;j++){c.fillStyle=color(m[i][j]);c.fillRect(pad+j*cell,pad+i*cell,cell-1,cell-1);
                if(cell>=24){c.fillStyle=m[i][j]>0.55?'#fff':'#333';c.textAlign='center';c.font='9px sans-serif';
                  c.fillText(Math.round(m[i][j]*100),pad+j*cell+cell/2,pad+i*cell+cell/2);c.font='11px sans-serif';c.textAlign='right';c.fillStyle='#1b1f24';}}}
              title.textContent='Layer '+l+', head '+h+': row = query (reading), column = key (read). Hover for values.';
              cv.onmousemove=function(ev){var r=cv.getBoundingClientRect(),sx=cv.width/r.width;
                var j=Math.floor(((ev.clientX-r.left)*sx-pad)/cell),i=Math.floor(((ev.clientY-r.top)*sx-pad)/cell);
                var tip=document.getElementById('gb-tip');if(i>=0&&j>=0&&i<n&&j<=i){tip.textContent='position '+(data.first+i)+' \\u2192 '+
                  (data.first+j)+' ('+toks[i]+' reads '+toks[j]+'): '+(m[i][j]*100).toFixed(1)+'%';}};}
            body.setAttribute('data-gb-ready',String(drawn));
            if(status){status.textContent='rendered '+drawn+' attention heatmaps';}
            })();
            """;
}
