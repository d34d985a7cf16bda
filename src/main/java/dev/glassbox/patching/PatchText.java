package dev.glassbox.patching;

import java.util.Locale;

/** A patching result as terminal text: each grid's normalized values, tokens along the columns. */
public final class PatchText {

    private PatchText() {}

    public static String render(PatchResult r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s patching: clean metric %.4f, corrupt metric %.4f (normalized values: 0 = corrupt, 1 = clean)%n",
                r.method(), r.cleanMetric(), r.corruptMetric()));
        for (PatchGrid g : r.grids().keySet()) {
            b.append('\n').append(g.jsonName()).append('\n').append(String.format("%-8s", ""));
            for (String t : r.positions()) {
                b.append(String.format(" %7s", clip(t.replace("\n", "\\n"), 7)));
            }
            b.append('\n');
            float[][][] v = r.grids().get(g);
            for (int l = 0; l < v.length; l++) {
                for (int h = 0; h < v[l].length; h++) {
                    b.append(String.format("%-8s", g.perHead() ? "L" + l + "H" + h : "L" + l));
                    for (float x : v[l][h]) {
                        b.append(String.format(Locale.ROOT, " %7.3f", r.normalize(x)));
                    }
                    b.append('\n');
                }
            }
        }
        return b.toString();
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
