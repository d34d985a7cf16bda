// Shared helpers of the glassbox notebooks, loaded by each notebook's first cell with
//   %load lib/glassbox.jsh
// (after `%jar ../target/glassbox.jar`). Imports, finding the repository, tokens as readable text,
// small numeric helpers, and plots drawn with Java2D and shown inline as PNG images.

import dev.glassbox.*;
import dev.glassbox.hooks.*;
import dev.glassbox.inspect.*;
import dev.glassbox.generate.*;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.*;
import java.util.*;
import java.util.stream.*;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * The repository root: the first folder, going up from the notebook's working folder (Jupyter
 * starts the kernel in the notebook's own folder), that holds pom.xml and the glassbox sources.
 */
Path repoRoot() {
    for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("src/main/java/dev/glassbox"))) {
            return p;
        }
    }
    throw new IllegalStateException("no glassbox checkout above " + System.getProperty("user.dir"));
}

/** A token as it reads in running text, with its space and line breaks made visible: "·Once". */
String tok(LanguageModel m, long id) {
    String t = m.tokenizer() != null ? m.tokenizer().tokenText(id) : "#" + id;
    return t.replace(" ", "·").replace("\n", "⏎").replace("\t", "⇥");
}

String[] toks(LanguageModel m, long[] ids) {
    String[] out = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
        out[i] = tok(m, ids[i]);
    }
    return out;
}

/** System.out.printf that returns nothing (so that a cell ending with it shows no value). */
void printf(String format, Object... args) {
    System.out.print(String.format(Locale.ROOT, format, args));
}

/** A token in quotes for chart labels: '·there'. */
String qtok(LanguageModel m, long id) {
    return "'" + tok(m, id) + "'";
}

/** Row {@code r} of a row-major matrix with {@code width} columns. */
float[] row(float[] flat, int r, int width) {
    return Arrays.copyOfRange(flat, r * width, (r + 1) * width);
}

/** Softmax in double precision. */
double[] softmax(float[] logits) {
    double[] lp = Sampler.logSoftmax(logits);
    double[] p = new double[lp.length];
    for (int i = 0; i < lp.length; i++) {
        p[i] = Math.exp(lp[i]);
    }
    return p;
}

/** The first n values, formatted: [0.123, -1.204, ...]. */
String head(float[] v, int n) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < Math.min(n, v.length); i++) {
        sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", v[i]));
    }
    return sb.append(v.length > n ? ", …]" : "]").toString();
}

double norm(float[] v) {
    double s = 0;
    for (float x : v) {
        s += (double) x * x;
    }
    return Math.sqrt(s);
}

/** The attention pattern of one head as a [T][T] matrix, with the masked future (j > i) as NaN. */
float[][] headPattern(float[] pattern, int head, int t) {
    float[][] p = new float[t][t];
    for (int i = 0; i < t; i++) {
        for (int j = 0; j < t; j++) {
            p[i][j] = j > i ? Float.NaN : pattern[(head * t + i) * t + j];
        }
    }
    return p;
}

/** Shows an image inline (as image/png). */
void showImage(BufferedImage img) {
    org.rapaio.jupyter.kernel.global.Global.display(img);
}

/** Java2D charts, kept small and plain: heat maps, bar charts, a text grid. */
class Plots {
    static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    static final Color INK = new Color(0x22, 0x22, 0x22);
    static final Color BLUE = new Color(0x2b, 0x6c, 0xb0);
    static final Color ORANGE = new Color(0xdd, 0x84, 0x52);
    static final Color GREY = new Color(0xb8, 0xb8, 0xb8);
    static final Color[] SERIES = {BLUE, ORANGE, new Color(0x55, 0xa8, 0x68), new Color(0x84, 0x5e, 0xc2), GREY};

    static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(INK);
        g.setFont(FONT);
        return g;
    }

    static int textWidth(Font f, String s) {
        BufferedImage tmp = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = tmp.createGraphics();
        int w = g.getFontMetrics(f).stringWidth(s);
        g.dispose();
        return w;
    }

    static int maxWidth(Font f, String[] labels) {
        int w = 0;
        for (String s : labels) {
            w = Math.max(w, textWidth(f, s));
        }
        return w;
    }

    static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** White (0) to dark blue (1). */
    static Color seq(double t) {
        t = Math.max(0, Math.min(1, t));
        return new Color((int) (255 - t * (255 - 0x08)), (int) (255 - t * (255 - 0x30)), (int) (255 - t * (255 - 0x6b)));
    }

    /** Blue (-1) through white (0) to red (+1). */
    static Color div(double t) {
        t = Math.max(-1, Math.min(1, t));
        if (t >= 0) {
            return new Color(255, (int) (255 - t * 200), (int) (255 - t * 210));
        }
        return new Color((int) (255 + t * 215), (int) (255 + t * 150), 255);
    }

    /**
     * A heat map of {@code v} [rows][cols] with row and column labels. Sequential colours from
     * {@code lo} to {@code hi}; with {@code diverging}, colours are centred on 0 and scaled by the
     * largest magnitude. Cells print their value when {@code annotate}.
     */
    static BufferedImage heatmap(float[][] v, String[] rows, String[] cols, String title, boolean diverging,
            boolean annotate, int cell) {
        int nr = v.length, nc = v[0].length;
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, mag = 1e-12;
        for (float[] r : v) {
            for (float x : r) {
                if (Float.isFinite(x)) {
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                    mag = Math.max(mag, Math.abs(x));
                }
            }
        }
        if (!diverging) {
            lo = Math.min(lo, 0);
        }
        int left = maxWidth(SMALL, rows) + 12, top = 28 + (title == null ? 0 : 20);
        int colLabel = maxWidth(SMALL, cols);
        int w = left + nc * cell + 70, h = top + nr * cell + colLabel + 16;
        BufferedImage img = new BufferedImage(Math.max(w, textWidth(TITLE, title == null ? "" : title) + 20), h,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        if (title != null) {
            g.setFont(TITLE);
            g.drawString(title, 8, 18);
        }
        g.setFont(SMALL);
        FontMetrics fm = g.getFontMetrics();
        for (int r = 0; r < nr; r++) {
            for (int c = 0; c < nc; c++) {
                float x = v[r][c];
                Color col = !Float.isFinite(x) ? new Color(0xf4, 0xf4, 0xf4)
                        : diverging ? div(x / mag) : seq((x - lo) / Math.max(1e-12, hi - lo));
                g.setColor(col);
                g.fillRect(left + c * cell, top + r * cell, cell, cell);
                if (annotate && Float.isFinite(x) && cell >= 22) {
                    double lum = (0.299 * col.getRed() + 0.587 * col.getGreen() + 0.114 * col.getBlue()) / 255;
                    g.setColor(lum < 0.55 ? Color.WHITE : INK);
                    String s = Math.abs(x) >= 10 ? String.format(Locale.ROOT, "%.0f", x) : String.format(Locale.ROOT, "%.2f", x);
                    if (s.startsWith("0.")) s = s.substring(1);
                    if (s.startsWith("-0.")) s = "-" + s.substring(2);
                    g.drawString(s, left + c * cell + (cell - fm.stringWidth(s)) / 2, top + r * cell + cell / 2 + 4);
                }
            }
        }
        g.setColor(INK);
        for (int r = 0; r < nr; r++) {
            g.drawString(rows[r], left - 6 - fm.stringWidth(rows[r]), top + r * cell + cell / 2 + 4);
        }
        for (int c = 0; c < nc; c++) {
            Graphics2D g2 = (Graphics2D) g.create();
            g2.translate(left + c * cell + cell / 2 + 4, top + nr * cell + 6);
            g2.rotate(Math.PI / 2);
            g2.drawString(cols[c], 0, 0);
            g2.dispose();
        }
        // colour scale
        int sx = left + nc * cell + 14, sh = Math.min(nr * cell, 160);
        for (int i = 0; i < sh; i++) {
            double t = 1 - i / (double) (sh - 1);
            g.setColor(diverging ? div(2 * t - 1) : seq(t));
            g.fillRect(sx, top + i, 12, 1);
        }
        g.setColor(INK);
        g.drawRect(sx, top, 12, sh);
        String hiS = String.format(Locale.ROOT, "%.2g", diverging ? mag : hi);
        String loS = String.format(Locale.ROOT, "%.2g", diverging ? -mag : lo);
        g.drawString(hiS, sx + 16, top + 9);
        g.drawString(loS, sx + 16, top + sh);
        g.dispose();
        return img;
    }

    /** Horizontal bars, one per label, with the value printed after each bar. */
    static BufferedImage bars(String[] labels, double[] values, String title, String fmt, Color color, double max) {
        return groupedBars(labels, new double[][] {values}, null, title, fmt, new Color[] {color}, max);
    }

    /**
     * Horizontal bars in groups: for every label one bar per series. {@code max} is the value of a
     * full-length bar (0: the largest value).
     */
    static BufferedImage groupedBars(String[] labels, double[][] series, String[] names, String title, String fmt,
            Color[] colors, double max) {
        int n = labels.length, s = series.length;
        double top = max > 0 ? max : 1e-12;
        if (max <= 0) {
            for (double[] ser : series) {
                for (double x : ser) {
                    top = Math.max(top, x);
                }
            }
        }
        int bar = s == 1 ? 16 : 11, gap = 6, barMax = 330;
        int left = maxWidth(FONT, labels) + 14, head = 28 + (names == null ? 0 : 20);
        int h = head + n * (s * bar + gap) + 8;
        int w = left + barMax + 70;
        BufferedImage img = new BufferedImage(Math.max(w, textWidth(TITLE, title) + 20), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(TITLE);
        g.drawString(title, 8, 18);
        g.setFont(SMALL);
        if (names != null) {
            int x = left;
            for (int k = 0; k < s; k++) {
                g.setColor(colors[k % colors.length]);
                g.fillRect(x, 28, 10, 10);
                g.setColor(INK);
                g.drawString(names[k], x + 14, 37);
                x += 24 + g.getFontMetrics().stringWidth(names[k]);
            }
        }
        FontMetrics fm = g.getFontMetrics(FONT);
        for (int i = 0; i < n; i++) {
            int y0 = head + i * (s * bar + gap);
            g.setFont(FONT);
            g.setColor(INK);
            g.drawString(labels[i], left - 8 - fm.stringWidth(labels[i]), y0 + (s * bar) / 2 + 5);
            g.setFont(SMALL);
            for (int k = 0; k < s; k++) {
                double x = series[k][i];
                int len = (int) Math.round(Math.max(0, Math.min(1, x / top)) * barMax);
                g.setColor(colors[k % colors.length]);
                g.fillRect(left, y0 + k * bar, Math.max(len, x > 0 ? 1 : 0), bar - 2);
                g.setColor(INK);
                g.drawString(String.format(Locale.ROOT, fmt, x), left + len + 4, y0 + k * bar + bar - 4);
            }
        }
        g.setColor(GREY);
        g.drawLine(left, head - 2, left, h - 6);
        g.dispose();
        return img;
    }

    /** A grid of short texts (e.g. the logit lens' top tokens), each cell shaded by {@code shade} in [0, 1]. */
    static BufferedImage textGrid(String[][] text, float[][] shade, String[] rows, String[] cols, String title) {
        int nr = text.length, nc = text[0].length;
        int cw = 64, ch = 22;
        int left = maxWidth(FONT, rows) + 12, top = 48;
        BufferedImage img = new BufferedImage(Math.max(left + nc * cw + 10, textWidth(TITLE, title) + 20), top + nr * ch + 10,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(TITLE);
        g.drawString(title, 8, 18);
        g.setFont(SMALL);
        FontMetrics fm = g.getFontMetrics();
        for (int c = 0; c < nc; c++) {
            String s = clip(cols[c], 10);
            g.drawString(s, left + c * cw + (cw - fm.stringWidth(s)) / 2, top - 8);
        }
        for (int r = 0; r < nr; r++) {
            g.setFont(FONT);
            g.setColor(INK);
            g.drawString(rows[r], left - 6 - g.getFontMetrics().stringWidth(rows[r]), top + r * ch + 15);
            g.setFont(SMALL);
            for (int c = 0; c < nc; c++) {
                Color col = seq(shade[r][c]);
                g.setColor(col);
                g.fillRect(left + c * cw, top + r * ch, cw - 1, ch - 1);
                g.setColor(shade[r][c] > 0.55 ? Color.WHITE : INK);
                String s = clip(text[r][c], 10);
                g.drawString(s, left + c * cw + (cw - fm.stringWidth(s)) / 2, top + r * ch + 15);
            }
        }
        g.dispose();
        return img;
    }

    /** Images side by side (or in rows of {@code perRow}), on white. */
    static BufferedImage tile(List<BufferedImage> images, int perRow) {
        int rows = (images.size() + perRow - 1) / perRow;
        int[] colW = new int[Math.min(perRow, images.size())];
        int[] rowH = new int[rows];
        for (int i = 0; i < images.size(); i++) {
            colW[i % perRow] = Math.max(colW[i % perRow], images.get(i).getWidth());
            rowH[i / perRow] = Math.max(rowH[i / perRow], images.get(i).getHeight());
        }
        BufferedImage img = new BufferedImage(Arrays.stream(colW).sum(), Arrays.stream(rowH).sum(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        int y = 0;
        for (int r = 0; r < rows; r++) {
            int x = 0;
            for (int c = 0; c < perRow && r * perRow + c < images.size(); c++) {
                g.drawImage(images.get(r * perRow + c), x, y, null);
                x += colW[c];
            }
            y += rowH[r];
        }
        g.dispose();
        return img;
    }
}
