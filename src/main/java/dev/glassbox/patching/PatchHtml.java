package dev.glassbox.patching;

import java.util.Locale;

/**
 * One self-contained HTML page of patching heatmaps (no scripts or styles fetched): a grid per
 * patched activation, tokens along the columns, layers (and heads) along the rows, coloured by the
 * normalized metric on a diverging scale with a legend; hovering a cell shows its values.
 */
public final class PatchHtml {

    private PatchHtml() {}

    public static String render(PatchResult r, String title) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>").append(esc(title)).append("</title><style>").append(CSS).append("</style></head><body>");
        b.append("<h1>").append(esc(title)).append("</h1>");
        b.append(LEGEND);
        body(b, r);
        return b.append("</body></html>\n").toString();
    }

    /**
     * Several results side by side (e.g. exact and attribution patching of the same inputs), as
     * an HTML fragment with its own styles, for a notebook's text/html output.
     */
    public static String sideBySide(PatchResult... results) {
        StringBuilder b = new StringBuilder("<div class=\"gbpatch\"><style>").append(CSS.replace("body{", ".gbpatch{"))
                .append(".cols{display:flex;gap:2em;flex-wrap:wrap}</style>").append(LEGEND).append("<div class=\"cols\">");
        for (PatchResult r : results) {
            b.append("<div>");
            body(b, r);
            b.append("</div>");
        }
        return b.append("</div></div>").toString();
    }

    private static void body(StringBuilder b, PatchResult r) {
        b.append(String.format(Locale.ROOT, "<p class=\"sum\">%s patching · metric = logit(target) − logit(baseline) at the last position · "
                + "clean %.4f · corrupt %.4f · colour: normalized (patched − corrupt) / (clean − corrupt)</p>",
                r.method().equals("attribution") ? "Attribution" : "Activation", r.cleanMetric(), r.corruptMetric()));
        for (PatchGrid g : r.grids().keySet()) {
            b.append("<section><h2>").append(g.jsonName()).append("</h2><div class=\"scroll\"><table><tr><th></th>");
            for (String t : r.positions()) {
                b.append("<th class=\"tok\">").append(esc(show(t))).append("</th>");
            }
            b.append("</tr>");
            float[][][] v = r.grids().get(g);
            for (int l = 0; l < v.length; l++) {
                for (int h = 0; h < v[l].length; h++) {
                    String row = g.perHead() ? "L" + l + " H" + h : "layer " + l;
                    b.append("<tr><th>").append(row).append("</th>");
                    for (int p = 0; p < v[l][h].length; p++) {
                        double n = r.normalize(v[l][h][p]);
                        b.append(String.format(Locale.ROOT, "<td style=\"background:%s\" title=\"%s · position %d %s\nraw %.5f\nnormalized %.4f\"></td>",
                                colour(n), esc(row), p, esc(show(r.positions().get(p))), v[l][h][p], n));
                    }
                    b.append("</tr>");
                }
            }
            b.append("</table></div></section>");
        }
    }

    /** Blue (−1) through white (0) to red (+1), clipped beyond. */
    static String colour(double n) {
        if (!Double.isFinite(n)) {
            return "#ccc";
        }
        double x = Math.max(-1, Math.min(1, n));
        int fade = (int) Math.round(255 * (1 - Math.abs(x)));
        return x >= 0 ? String.format("rgb(255,%d,%d)", fade, fade) : String.format("rgb(%d,%d,255)", fade, fade);
    }

    private static String show(String token) {
        return token.replace("\n", "\\n").replace("\t", "\\t");
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String CSS = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;max-width:100%}"
            + "h1{font-size:1.3em}h2{font-size:1.05em;margin:1.2em 0 .4em}.sum{color:#555}"
            + ".scroll{overflow-x:auto}table{border-collapse:collapse}td{width:2.2em;height:1.3em;border:1px solid #fff;cursor:crosshair}"
            + "th{font-weight:normal;font-size:12px;padding:0 .4em;text-align:right;white-space:nowrap}"
            + "th.tok{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;font-family:monospace}"
            + ".legend{display:flex;align-items:center;gap:.5em;font-size:12px}"
            + ".bar{width:220px;height:12px;background:linear-gradient(to right,rgb(0,0,255),#fff,rgb(255,0,0))}";

    private static final String LEGEND = "<div class=\"legend\"><span>−1</span><div class=\"bar\"></div><span>+1 (clean)</span>"
            + "<span>· 0 = corrupt · hover a cell for its values</span></div>";
}
