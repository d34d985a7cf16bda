// Shared helpers of the glassbox notebooks, loaded by each notebook's first cell with
//   %load lib/glassbox.jsh
// (after `%jar ../target/glassbox.jar` and `%jar ../target/notebook-lib/jfreechart.jar`, which the
// Maven build copies there). Imports, finding the repository, tokens as readable text, small numeric
// helpers, charts drawn by JFreeChart and shown inline as PNG images, and HTML shown inline.

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
import java.awt.Graphics2D;
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
    double[] lp = Softmax.logSoftmax(logits);
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

/** Shows an HTML fragment inline (as text/html). */
void showHtml(String html) {
    org.rapaio.jupyter.kernel.global.Global.display("text/html", html);
}

/**
 * Shows a whole HTML page inline (e.g. JourneyHtml.render(...)) in a frame of its own, so that the
 * page's styles and scripts do not touch the notebook's.
 */
void showPage(String html, int height) {
    String escaped = html.replace("&", "&amp;").replace("\"", "&quot;");
    showHtml("<iframe srcdoc=\"" + escaped + "\" style=\"width:100%;height:" + height
            + "px;border:1px solid #ddd\" sandbox=\"allow-scripts\"></iframe>");
}

/**
 * Charts drawn by JFreeChart, kept small and plain: heat maps (attention patterns, per-head
 * scores), horizontal bar charts, a grid of short texts; each returned as an image to show.
 */
class Plots {
    static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    static final Color INK = new Color(0x22, 0x22, 0x22);
    static final Color BLUE = new Color(0x2b, 0x6c, 0xb0);
    static final Color ORANGE = new Color(0xdd, 0x84, 0x52);
    static final Color GREY = new Color(0xb8, 0xb8, 0xb8);
    static final Color MASKED = new Color(0xf4, 0xf4, 0xf4);
    static final Color[] SERIES = {BLUE, ORANGE, new Color(0x55, 0xa8, 0x68), new Color(0x84, 0x5e, 0xc2), GREY};

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

    static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** A JFreeChart paint scale from a colour function over [lo, hi] (NaN: the masked grey). */
    static org.jfree.chart.renderer.PaintScale scale(double lo, double hi, java.util.function.DoubleFunction<Color> colour) {
        return new org.jfree.chart.renderer.PaintScale() {
            public double getLowerBound() { return lo; }
            public double getUpperBound() { return hi; }
            public java.awt.Paint getPaint(double v) {
                return Double.isNaN(v) ? MASKED : colour.apply((v - lo) / Math.max(1e-12, hi - lo));
            }
        };
    }

    /** Category labels on a numeric axis (columns along x, rows down y). */
    static org.jfree.chart.axis.SymbolAxis labels(String[] names, Font font, boolean vertical) {
        var axis = new org.jfree.chart.axis.SymbolAxis(null, names);
        axis.setTickLabelFont(font);
        axis.setGridBandsVisible(false);
        axis.setAxisLineVisible(false);
        axis.setTickMarksVisible(false);
        axis.setVerticalTickLabels(vertical);
        axis.setTickLabelInsets(new org.jfree.chart.ui.RectangleInsets(0, 2, 0, 2));
        // every label, even where they crowd (SymbolAxis would skip some)
        axis.setAutoTickUnitSelection(false);
        axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
        return axis;
    }

    static BufferedImage draw(org.jfree.chart.JFreeChart chart, int w, int h) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        if (chart.getTitle() != null) {
            chart.getTitle().setFont(TITLE);
            chart.getTitle().setPaint(INK);
            chart.getTitle().setHorizontalAlignment(org.jfree.chart.ui.HorizontalAlignment.LEFT);
        }
        return chart.createBufferedImage(w, h);
    }

    static int longest(String[] labels) {
        return Arrays.stream(labels).mapToInt(String::length).max().orElse(1);
    }

    /** A grid of cells: values coloured by {@code paint}, each cell labelled by {@code label} (or not). */
    static BufferedImage grid(float[][] v, String[] rows, String[] cols, String title,
            org.jfree.chart.renderer.PaintScale paint, boolean legend, String[][] label, int cw, int ch) {
        int nr = v.length, nc = v[0].length;
        var data = new org.jfree.data.xy.DefaultXYZDataset();
        double[][] xyz = new double[3][nr * nc];
        for (int r = 0; r < nr; r++) {
            for (int c = 0; c < nc; c++) {
                int i = r * nc + c;
                xyz[0][i] = c;
                xyz[1][i] = r;
                xyz[2][i] = Float.isFinite(v[r][c]) ? v[r][c] : Double.NaN;
            }
        }
        data.addSeries("cells", xyz);
        var renderer = new org.jfree.chart.renderer.xy.XYBlockRenderer() {
            @Override public java.awt.Paint getItemLabelPaint(int series, int item) {
                // white text on dark cells
                Color c = (Color) paint.getPaint(xyz[2][item]);
                return 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue() < 0.55 * 255 ? Color.WHITE : INK;
            }
        };
        renderer.setPaintScale(paint);
        renderer.setBlockWidth(0.96);
        renderer.setBlockHeight(0.96);
        if (label != null) {
            renderer.setDefaultItemLabelGenerator((d, s, i) -> label[i / nc][i % nc]);
            renderer.setDefaultItemLabelsVisible(true);
            renderer.setDefaultItemLabelFont(SMALL);
            renderer.setDefaultPositiveItemLabelPosition(new org.jfree.chart.labels.ItemLabelPosition(
                    org.jfree.chart.labels.ItemLabelAnchor.CENTER, org.jfree.chart.ui.TextAnchor.CENTER));
        }
        // labels no taller than a cell (JFreeChart drops labels that would overlap)
        var x = labels(cols, SMALL.deriveFont(Math.min(10f, cw - 2f)), true);
        var y = labels(rows, (label == null ? SMALL : FONT).deriveFont(Math.min(label == null ? 10f : 12f, ch - 2f)), false);
        y.setInverted(true);   // row 0 at the top, as in a matrix
        var plot = new org.jfree.chart.plot.XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setOutlineVisible(false);
        var chart = new org.jfree.chart.JFreeChart(title, TITLE, plot, false);
        int legendW = 0;
        if (legend) {
            var axis = new org.jfree.chart.axis.NumberAxis();
            axis.setRange(paint.getLowerBound(), paint.getUpperBound());
            axis.setTickLabelFont(SMALL);
            var bar = new org.jfree.chart.title.PaintScaleLegend(paint, axis);
            bar.setPosition(org.jfree.chart.ui.RectangleEdge.RIGHT);
            bar.setStripWidth(12);
            bar.setMargin(4, 10, 4, 4);
            bar.setBackgroundPaint(Color.WHITE);
            chart.addSubtitle(bar);
            legendW = 80;
        }
        int left = 7 * longest(rows) + 24, bottom = 6 * longest(cols) + 24, top = title == null ? 12 : 34;
        int w = Math.max(left + nc * cw + legendW + 16, title == null ? 0 : 8 * title.length());
        return draw(chart, w, top + nr * ch + bottom);
    }

    /**
     * A heat map of {@code v} [rows][cols] with row and column labels. Sequential colours from
     * min(lo, 0) to hi; with {@code diverging}, colours are centred on 0 and scaled by the largest
     * magnitude. Non-finite cells (the masked future) are grey. Cells print their value when
     * {@code annotate} and a cell is at least 22 pixels.
     */
    static BufferedImage heatmap(float[][] v, String[] rows, String[] cols, String title, boolean diverging,
            boolean annotate, int cell) {
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
        var paint = diverging ? scale(-mag, mag, t -> div(2 * t - 1)) : scale(Math.min(lo, 0), Math.max(hi, 1e-12), Plots::seq);
        String[][] text = null;
        if (annotate && cell >= 22) {
            text = new String[v.length][v[0].length];
            for (int r = 0; r < v.length; r++) {
                for (int c = 0; c < v[0].length; c++) {
                    float x = v[r][c];
                    String s = !Float.isFinite(x) ? "" : Math.abs(x) >= 10 ? String.format(Locale.ROOT, "%.0f", x)
                            : String.format(Locale.ROOT, "%.2f", x).replaceFirst("^(-?)0\\.", "$1.");
                    text[r][c] = s;
                }
            }
        }
        return grid(v, rows, cols, title, paint, true, text, cell, cell);
    }

    /** Horizontal bars, one per label, with the value printed after each bar. */
    static BufferedImage bars(String[] labels, double[] values, String title, String fmt, Color color, double max) {
        return groupedBars(labels, new double[][] {values}, null, title, fmt, new Color[] {color}, max);
    }

    /**
     * Horizontal bars in groups: for every label one bar per series (a legend names the series).
     * {@code max} is the value of a full-length bar (0: the largest value).
     */
    static BufferedImage groupedBars(String[] labels, double[][] series, String[] names, String title, String fmt,
            Color[] colors, double max) {
        var data = new org.jfree.data.category.DefaultCategoryDataset();
        // Labels must be unique as category keys: a zero-width suffix keeps repeated labels apart.
        String[] keys = new String[labels.length];
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < labels.length; i++) {
            String k = labels[i];
            while (!seen.add(k)) k += "\u200b";
            keys[i] = k;
        }
        for (int k = 0; k < series.length; k++) {
            String name = names == null ? "value" : names[k];
            for (int i = 0; i < labels.length; i++) data.addValue(series[k][i], name, keys[i]);
        }
        var chart = org.jfree.chart.ChartFactory.createBarChart(title, null, null, data,
                org.jfree.chart.plot.PlotOrientation.HORIZONTAL, names != null, false, false);
        var plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        plot.setRangeGridlinePaint(new Color(0xe4, 0xe4, 0xe4));
        var renderer = (org.jfree.chart.renderer.category.BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.02);
        renderer.setMaximumBarWidth(0.9);
        for (int k = 0; k < series.length; k++) renderer.setSeriesPaint(k, colors[k % colors.length]);
        renderer.setDefaultItemLabelGenerator(new org.jfree.chart.labels.StandardCategoryItemLabelGenerator(
                "{2}", new java.text.DecimalFormat() {
                    @Override public StringBuffer format(double x, StringBuffer b, java.text.FieldPosition f) {
                        return b.append(String.format(Locale.ROOT, fmt, x));
                    }
                }));
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(SMALL);
        var domain = plot.getDomainAxis();
        domain.setTickLabelFont(FONT);
        domain.setCategoryMargin(0.15);
        domain.setLowerMargin(0.01);
        domain.setUpperMargin(0.01);
        var range = (org.jfree.chart.axis.NumberAxis) plot.getRangeAxis();
        range.setTickLabelFont(SMALL);
        double top = max;
        if (top <= 0) {
            top = 1e-12;
            for (double[] ser : series) for (double x : ser) top = Math.max(top, x);
        }
        range.setRange(Math.min(0, Arrays.stream(series).flatMapToDouble(Arrays::stream).min().orElse(0)), top * 1.15);
        if (chart.getLegend() != null) {
            chart.getLegend().setItemFont(SMALL);
            chart.getLegend().setPosition(org.jfree.chart.ui.RectangleEdge.TOP);
            chart.getLegend().setFrame(org.jfree.chart.block.BlockBorder.NONE);
        }
        int barH = series.length == 1 ? 18 : 12;
        int h = 70 + (names == null ? 0 : 24) + labels.length * (series.length * barH + 8);
        return draw(chart, Math.max(7 * longest(labels) + 460, 8 * title.length()), h);
    }

    /** A grid of short texts (e.g. the logit lens' top tokens), each cell shaded by {@code shade} in [0, 1]. */
    static BufferedImage textGrid(String[][] text, float[][] shade, String[] rows, String[] cols, String title) {
        String[][] clipped = Arrays.stream(text).map(r -> Arrays.stream(r).map(s -> clip(s, 10)).toArray(String[]::new))
                .toArray(String[][]::new);
        String[] colNames = Arrays.stream(cols).map(s -> clip(s, 10)).toArray(String[]::new);
        return grid(shade, rows, colNames, title, scale(0, 1, Plots::seq), false, clipped, 64, 22);
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
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
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
