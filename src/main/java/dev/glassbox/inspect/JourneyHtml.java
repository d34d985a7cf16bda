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
 * The journey as ONE self-contained HTML page: inline CSS and inline JavaScript (both kept as
 * resources beside this class, journey.css and journey.js), no network access (a
 * Content-Security-Policy forbids any), no external scripts, fonts or images. A step picker at the
 * top (links to {@code #step=N}, or the arrow keys) chooses which generated step the page explains;
 * the first, the answer to the prompt, is shown first. For the chosen step: probability bars of
 * the choice, the logit-lens grid (stage × position, top token and probability, coloured on a
 * legend's scale), heatmaps of every layer's and head's attention pattern (drawn on canvases from
 * data embedded in the page, tokens and weight on hover, click one to enlarge it with token
 * labels), and the stage-by-stage walkthrough. Without the script every step is shown in turn.
 *
 * <p>The script marks the page when it has drawn: {@code <body data-gb-step="K" data-gb-ready="N"
 * data-gb-bar-min="PX">} (the step shown, the heatmaps drawn for it, the narrowest probability
 * bar) and the text of {@code #gb-status}; a script error sets {@code data-gb-error} instead.
 * Tests read these through a headless browser's DOM dump.
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
        h.append("<title>glassbox journey: ").append(esc(m.name())).append("</title>\n<style>").append(CSS).append("</style>\n")
                // without the script every step is shown, one after the other
                .append("<noscript><style>.gb-step[hidden]{display:block}#gb-steps{display:none}</style></noscript></head>\n");
        h.append("<body data-gb-ready=\"0\" data-gb-step=\"0\">\n<header><h1>glassbox journey</h1><div class=\"sub\">")
                .append(esc(m.name())).append(" <span class=\"dim\">(").append(esc(m.modelType())).append(")</span> · ")
                .append(m.layers()).append(" layers · ").append(m.heads()).append(" heads")
                .append(m.kvHeads() != m.heads() ? " (" + m.kvHeads() + " key/value)" : "")
                .append(" × ").append(m.headDim()).append(" · D = ").append(m.hiddenSize())
                .append(" · MLP ").append(m.mlpWidth()).append(" · V = ").append(m.vocabSize()).append(" · ")
                .append(esc(m.norm())).append(" · ").append(esc(m.activation())).append(" · ").append(esc(m.positions()))
                .append(" positions</div>\n<div id=\"gb-status\" class=\"dim\">static view (script not run)</div></header>\n");
        stepPicker(r);
        h.append("<main>\n");
        tokens(r);
        for (Step s : r.steps()) {
            h.append("<div class=\"gb-step\" id=\"gb-step-").append(s.step()).append("\" data-step=\"").append(s.step()).append("\"")
                    .append(s.step() == 0 ? "" : " hidden").append(">\n");
            choice(r, s);
            if (s.lens() != null) {
                lens(s.lens(), s);
            }
            if (s.attention() != null) {
                attention(s.attention(), s);
            }
            step(r, s);
            h.append("</div>\n");
        }
        h.append("<footer class=\"dim\">activation cache per step: ").append(esc(JourneyText.bytes(r.cacheBytes())))
                .append(" (only what this page shows) · format ").append(esc(r.format())).append("</footer>\n</main>\n");
        h.append("<div id=\"gb-hover\" class=\"hover\" hidden></div>\n");
        h.append("<script type=\"application/json\" id=\"gb-data\">").append(data(r)).append("</script>\n");
        h.append("<script>").append(JS).append("</script>\n</body></html>\n");
    }

    /** The step picker: every generated token is a link to its own view of the page (#step=N). */
    private void stepPicker(JourneyReport r) {
        h.append("<nav id=\"gb-steps\"><span class=\"lbl\">Step</span>");
        for (Step s : r.steps()) {
            h.append("<a href=\"#step=").append(s.step() + 1).append("\" data-step=\"").append(s.step()).append("\"")
                    .append(s.step() == 0 ? " class=\"on\" aria-current=\"true\"" : "").append(" title=\"step ").append(s.step() + 1)
                    .append(": after ").append(vis(s.embedding().token())).append(" (position ").append(s.position())
                    .append(") comes ").append(vis(s.appended().text())).append("\"><i>").append(s.step() + 1).append("</i> <b>")
                    .append(vis(s.appended().text())).append("</b></a>");
        }
        h.append("<span class=\"dim hint\">").append(r.steps().size() > 1
                ? "Step 1 answers the prompt; each later step continues from the tokens generated before it. Every section below follows the chosen step (← → keys)."
                : "Every section below explains this step.").append("</span></nav>\n");
    }

    private void tokens(JourneyReport r) {
        h.append("<section id=\"gb-tokens\"><h2>Text → tokens → text</h2>");
        if (r.prompt() != null) {
            h.append("<p>Prompt: <q>").append(esc(r.prompt())).append("</q></p>");
        }
        h.append("<div class=\"chips\">");
        for (JourneyReport.TokenInfo t : r.promptTokens()) {
            boolean cut = t.position() > r.position();
            h.append("<span class=\"chip").append(cut ? " cut" : t.position() == r.position() ? " here" : "").append("\" data-pos=\"")
                    .append(cut ? -1 : t.position()).append("\" title=\"position ").append(t.position())
                    .append(", id ").append(t.id()).append(t.string() == null ? "" : ", " + esc(t.string()))
                    .append(cut ? " (after the explained position: not part of the context)" : "").append("\"><b>")
                    .append(vis(t.text())).append("</b><i>").append(t.id()).append("</i></span>");
        }
        for (Step s : r.steps()) {
            JourneyReport.TokenInfo t = s.appended();
            h.append("<span class=\"chip gen").append(s.step() == 0 ? " pred" : " later").append("\" data-pos=\"").append(t.position())
                    .append("\" title=\"generated at step ").append(s.step() + 1).append(", position ").append(t.position())
                    .append(", id ").append(t.id()).append("\"><b>").append(vis(t.text())).append("</b><i>").append(t.id()).append("</i></span>");
        }
        h.append("</div><p class=\"note\"><span class=\"chip here key\">context end</span> the token the chosen step predicts after · "
                + "<span class=\"chip gen pred key\">predicted</span> the token it chose · <span class=\"chip gen later key\">later</span> "
                + "not yet generated at that step</p><p>Generated (").append(r.generatedIds().length).append(", stop: ")
                .append(esc(r.stopReason())).append("): <q class=\"gen-text\">").append(esc(r.generatedText())).append("</q></p></section>\n");
    }

    private void choice(JourneyReport r, Step s) {
        Output o = s.output();
        DecodingView.Result d = s.decoding();
        h.append("<section class=\"choice\"><h2>Step ").append(s.step() + 1).append(": after <b class=\"tok\">")
                .append(vis(s.embedding().token())).append("</b> (position ").append(s.position()).append(") comes <b class=\"tok\">")
                .append(vis(s.appended().text())).append("</b></h2><div class=\"cols\"><div><h3>softmax")
                .append(o.temperature() != 1 ? " at temperature " + fmt(o.temperature()) : "")
                .append(" — top ").append(o.top().size()).append(" of ").append(r.model().vocabSize()).append("</h3>");
        for (int i = 0; i < o.top().size(); i++) {
            TokenProb tp = o.top().get(i);
            bar(vis(tp.text()), o.topProbsAtTemperature()[i], tp.id() == d.chosenId(), "logit " + fmt(tp.logit()));
        }
        h.append("<p class=\"note\">Bar length = probability; green = the token chosen.</p></div><div><h3>")
                .append(d.greedy() ? "greedy decoding" : esc(d.keptCount() + " tokens survive the sampling filters")).append("</h3>");
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
        if (s.actualNext() != null) {
            h.append("<p class=\"note\">The input itself continued with <b class=\"tok\">").append(vis(s.actualNext().text()))
                    .append("</b>: rank ").append(s.actualNext().rank()).append(", ").append(pct(s.actualNext().prob())).append(".</p>");
        }
        h.append("</div></div></section>\n");
    }

    private void bar(String label, double p, boolean chosen, String note) {
        h.append("<div class=\"bar").append(chosen ? " chosen" : "").append("\"><span class=\"lbl\">").append(label)
                .append("</span><span class=\"track\"><span class=\"fill\" style=\"width:")
                .append(String.format(Locale.ROOT, "%.1f", Math.max(0, Math.min(1, p)) * 100)).append("%\"></span></span><span class=\"num\">")
                .append(pct(p)).append("</span><span class=\"dim note\">").append(esc(note)).append("</span></div>\n");
    }

    /** A colour scale from 0 to 100 %, in the colours {@link #heat} gives the cells. */
    private void scale(String what) {
        h.append("<div class=\"scale\"><span class=\"what\">").append(esc(what)).append("</span><span class=\"ramp\" style=\"background:linear-gradient(90deg");
        for (int i = 0; i <= 4; i++) {
            h.append(",").append(heat(i / 4.0));
        }
        h.append(")\"></span><span class=\"ticks\"><span>0%</span><span>25%</span><span>50%</span><span>75%</span><span>100%</span></span></div>");
    }

    private void lens(LensGrid g, Step st) {
        h.append("<section><h2>Logit lens</h2><p class=\"note\">What the model would predict if it stopped early: each cell reads the "
                + "residual stream after one stage (row: the embedding, then every layer, bottom to top) at one position (column) through "
                + "the final norm and the unembedding, and shows the most likely next token there. The last token column is position ")
                .append(st.position()).append(", the one this step predicts from; the right-hand column follows <b class=\"tok\">")
                .append(vis(g.target())).append("</b>, the token this step chose, through the stages (its probability and rank).</p>");
        scale("cell colour = probability of the token shown");
        h.append("<div class=\"scroll\"><table class=\"lens\"><thead><tr><th>stage \\ position</th>");
        for (int i = 0; i < g.tokens().size(); i++) {
            h.append("<th title=\"position ").append(g.first() + i).append(": ").append(vis(g.tokens().get(i))).append("\"><span class=\"pos\">")
                    .append(g.first() + i).append("</span>").append(vis(g.tokens().get(i))).append("</th>");
        }
        h.append("<th class=\"tgt\">p(").append(vis(g.target())).append(")</th></tr></thead><tbody>\n");
        for (int s = g.stages().size() - 1; s >= 0; s--) {
            h.append("<tr><th>").append(esc(g.stages().get(s))).append("</th>");
            for (int i = 0; i < g.top()[s].length; i++) {
                TokenProb tp = g.top()[s][i];
                h.append("<td style=\"background:").append(heat(tp.prob())).append(";color:").append(tp.prob() > 0.55 ? "#fff" : "#111")
                        .append("\" title=\"after ").append(esc(g.stages().get(s))).append(", position ").append(g.first() + i)
                        .append(" (").append(vis(g.tokens().get(i))).append("): ").append(vis(tp.text())).append(" ")
                        .append(pct(tp.prob())).append("\">").append(vis(tp.text())).append("<small>").append(pctShort(tp.prob()))
                        .append("</small></td>");
            }
            h.append("<td class=\"tgt\" style=\"background:").append(heat(g.targetProbs()[s])).append(";color:")
                    .append(g.targetProbs()[s] > 0.55 ? "#fff" : "#111").append("\" title=\"").append(vis(g.target())).append(" after ")
                    .append(esc(g.stages().get(s))).append(": ").append(pct(g.targetProbs()[s])).append(", rank ")
                    .append(g.targetRanks()[s]).append("\">").append(pct(g.targetProbs()[s]))
                    .append("<small>rank ").append(g.targetRanks()[s]).append("</small></td></tr>\n");
        }
        h.append("</tbody></table></div></section>\n");
    }

    private void attention(AttentionMaps a, Step s) {
        int k = s.step();
        h.append("<section><h2>Attention patterns</h2><p class=\"note\">One heatmap per layer (rows) and head (columns) for this step's "
                + "context. In each, row = query position (the token reading), column = key position (the token read), darker = more "
                + "attention; the causal mask leaves the upper triangle empty");
        if (a.first() > 0) {
            h.append("; only the last ").append(a.tokens().size()).append(" positions are shown");
        }
        h.append(". Hover over a heatmap for the tokens and the weight; click one to enlarge it with its token labels.</p>");
        scale("cell colour = attention weight");
        h.append("<div id=\"gb-heatmaps-").append(k).append("\" class=\"scroll heatmaps\" data-step=\"").append(k).append("\"></div>")
                .append("<div class=\"detail\"><div id=\"gb-detail-title-").append(k).append("\" class=\"dim\">Click a heatmap above.</div>")
                .append("<div class=\"scroll\"><canvas id=\"gb-detail-canvas-").append(k).append("\" width=\"10\" height=\"10\"></canvas></div>")
                .append("<div id=\"gb-tip-").append(k).append("\" class=\"dim tip\"></div></div></section>\n");
    }

    private void step(JourneyReport r, Step s) {
        ModelInfo m = r.model();
        int t = s.contextIds().length;
        int d = m.hiddenSize();
        h.append("<section class=\"walk\"><h2>Walkthrough of step ").append(s.step() + 1).append("</h2><p class=\"note\">The token "
                + "being predicted followed through every stage, with the shape of the tensors at that stage. Open a layer for its "
                + "attention head in detail.</p>\n");

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
        h.append("<div class=\"scroll\"><table class=\"layers\"><thead><tr><th>layer</th><th>|x| in</th><th>Q / K, V</th><th>head</th><th>reads most</th>"
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
        h.append("</tbody></table></div>\n");
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
                .append(".</p></div>\n</section>\n");
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

    /**
     * The data the script draws, per step: the explained position, the appended token's position,
     * and the attention patterns (rounded to 3 decimals) with their token labels.
     */
    private static String data(JourneyReport r) {
        List<Map<String, Object>> steps = new ArrayList<>();
        for (Step s : r.steps()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("position", s.position());
            d.put("appended", s.appended().position());
            AttentionMaps a = s.attention();
            if (a != null) {
                d.put("first", a.first());
                List<String> toks = new ArrayList<>();
                for (String t : a.tokens()) {
                    toks.add(TokenLabels.escape(t));
                }
                d.put("tokens", toks);
                d.put("patterns", rounded(a.patterns()));
            }
            steps.add(d);
        }
        try {
            // "</" cannot end the script element early once escaped
            return JourneyJson.MAPPER.writeValueAsString(Map.of("steps", steps)).replace("</", "<\\/");
        } catch (JsonProcessingException e) {
            throw new GlassboxException("cannot embed the attention data: " + e.getMessage(), e);
        }
    }

    private static float[][][][] rounded(float[][][][] p) {
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
        return q;
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

    private static final String CSS = resource("journey.css");

    private static final String JS = resource("journey.js");

    private static String resource(String name) {
        try (java.io.InputStream in = JourneyHtml.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
