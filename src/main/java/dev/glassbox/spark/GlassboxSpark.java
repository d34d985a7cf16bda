package dev.glassbox.spark;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.export.ActivationExport;
import dev.glassbox.inspect.Scoring;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * glassbox on Apache Spark: scores a column of documents, or exports their activations, with the
 * model loaded once per executor JVM ({@link ModelHolder}) and documents run in batches within
 * each partition ({@code mapPartitions}). The document column holds text (tokenized as
 * {@code --prompt} is) or token ids (an array of integers).
 *
 * <pre>{@code
 * Dataset<Row> scored = GlassboxSpark.score(spark.read().parquet("docs"), "text", SparkOptions.of("/models/gpt2"));
 * scored.select("id", "perplexity").write().parquet("ppl");
 * }</pre>
 */
public final class GlassboxSpark {

    private GlassboxSpark() {}

    /**
     * The input's rows with five columns added, named as {@code score --json} names them:
     * {@code input_ids} (array&lt;bigint&gt;), {@code next_token_logprobs} (array&lt;double&gt;,
     * the log-prob of each token after the first), {@code sum_logprob}, {@code mean_nll} and
     * {@code perplexity} (doubles).
     */
    public static Dataset<Row> score(Dataset<Row> docs, String column, SparkOptions options) {
        int col = documentColumn(docs.schema(), column);
        StructType out = docs.schema()
                .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false), false)
                .add("next_token_logprobs", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
                .add("sum_logprob", DataTypes.DoubleType, false)
                .add("mean_nll", DataTypes.DoubleType, false)
                .add("perplexity", DataTypes.DoubleType, false);
        return docs.mapPartitions(new ScorePartition(col, options), Encoders.row(out));
    }

    /**
     * One row per exported position of each document: the input's columns except the document
     * column, {@code position} (int) and one array&lt;float&gt; column per hook, named by
     * {@link #column} ({@code blocks.1.resid_post} becomes {@code blocks_1_resid_post}), the
     * activation's values at that position row-major, as {@code glassbox cache} exports them.
     */
    public static Dataset<Row> activations(Dataset<Row> docs, String column, List<String> hooks,
            ActivationExport.Positions positions, SparkOptions options) {
        int col = documentColumn(docs.schema(), column);
        StructType out = new StructType();
        for (int i = 0; i < docs.schema().fields().length; i++) {
            if (i != col) {
                out = out.add(docs.schema().fields()[i]);
            }
        }
        out = out.add("position", DataTypes.IntegerType, false);
        for (String h : hooks) {
            out = out.add(column(h), DataTypes.createArrayType(DataTypes.FloatType, false), false);
        }
        return docs.mapPartitions(new ActivationPartition(col, List.copyOf(hooks), positions, options), Encoders.row(out));
    }

    /** The column name of a hook: dots, which Spark reads as struct fields, become underscores. */
    public static String column(String hook) {
        return hook.replace('.', '_');
    }

    private static int documentColumn(StructType schema, String column) {
        int i = Arrays.asList(schema.fieldNames()).indexOf(column);
        if (i < 0) {
            throw new GlassboxException("no column '" + column + "' (columns: " + String.join(", ", schema.fieldNames()) + ")");
        }
        StructField f = schema.fields()[i];
        boolean ids = f.dataType() instanceof ArrayType a && List.of(DataTypes.LongType, DataTypes.IntegerType,
                DataTypes.ShortType, DataTypes.ByteType).contains(a.elementType());
        if (!(f.dataType() instanceof StringType) && !ids) {
            throw new GlassboxException("column '" + column + "' is " + f.dataType().simpleString()
                    + "; give text (string) or token ids (array of integers)");
        }
        return i;
    }

    /** The token ids of a row's document: its text tokenized, or its ids, checked against the model. */
    static long[] ids(Row row, int col, LanguageModel model) {
        if (row.isNullAt(col)) {
            String name = row.schema() == null ? "#" + col : "'" + row.schema().fieldNames()[col] + "'";
            throw new GlassboxException("a document is null: column " + name + " in row " + row);
        }
        Object v = row.get(col);
        long[] ids;
        if (v instanceof String text) {
            if (text.isEmpty()) {
                throw new GlassboxException("a document is empty (row " + row + ")");
            }
            ids = model.requireTokenizer().encode(text);
        } else {
            ids = row.getList(col).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
        }
        int vocab = model.config().vocabSize();
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                throw new GlassboxException("token id " + id + " is outside the vocabulary [0, " + vocab + ") (row " + row + ")");
            }
        }
        if (ids.length == 0 || ids.length > model.config().maxPositions()) {
            throw new GlassboxException("a document has " + ids.length + " tokens; the model takes 1 to "
                    + model.config().maxPositions() + " (row " + row + ")");
        }
        return ids;
    }

    /** Scores a partition, batch by batch. */
    static final class ScorePartition implements MapPartitionsFunction<Row, Row> {
        private final int col;
        private final SparkOptions options;

        ScorePartition(int col, SparkOptions options) {
            this.col = col;
            this.options = options;
        }

        @Override
        public java.util.Iterator<Row> call(java.util.Iterator<Row> rows) {
            LanguageModel model = ModelHolder.get(options);
            return new Batches<Row, Row>(rows, options.batchSize(), batch -> {
                List<Row> out = new ArrayList<>(batch.size());
                List<long[]> ids = batch.stream().map(r -> ids(r, col, model)).toList();
                List<Scoring.Result> scores;
                synchronized (ModelHolder.lock(model)) {
                    scores = Scoring.scoreBatch(model, ids, 1, false, false);
                }
                for (int i = 0; i < batch.size(); i++) {
                    Row r = batch.get(i);
                    Scoring.Result s = scores.get(i);
                    Object[] values = Arrays.copyOf(toArray(r), r.size() + 5);
                    values[r.size()] = ids.get(i);
                    values[r.size() + 1] = s.nextTokenLogprobs();
                    values[r.size() + 2] = s.sumLogprob();
                    values[r.size() + 3] = s.meanNll();
                    values[r.size() + 4] = s.perplexity();
                    out.add(RowFactory.create(values));
                }
                return out;
            });
        }
    }

    /** Exports a partition's activations, batch by batch. */
    static final class ActivationPartition implements MapPartitionsFunction<Row, Row> {
        private final int col;
        private final List<String> hooks;
        private final ActivationExport.Positions positions;
        private final SparkOptions options;

        ActivationPartition(int col, List<String> hooks, ActivationExport.Positions positions, SparkOptions options) {
            this.col = col;
            this.hooks = hooks;
            this.positions = positions;
            this.options = options;
        }

        @Override
        public java.util.Iterator<Row> call(java.util.Iterator<Row> rows) {
            LanguageModel model = ModelHolder.get(options);
            Map<String, long[]> shapes;
            synchronized (ModelHolder.lock(model)) {
                shapes = ActivationExport.rowShapes(model, hooks);
            }
            return new Batches<Row, Row>(rows, options.batchSize(), batch -> {
                List<Row> out = new ArrayList<>();
                List<long[]> ids = batch.stream().map(r -> ids(r, col, model)).toList();
                List<Map<String, float[]>> values;
                synchronized (ModelHolder.lock(model)) {
                    values = ActivationExport.rows(model, ids, shapes, positions);
                }
                for (int i = 0; i < batch.size(); i++) {
                    addRows(out, batch.get(i), positions.of(ids.get(i).length), values.get(i));
                }
                return out;
            });
        }

        private void addRows(List<Row> out, Row doc, int[] at, Map<String, float[]> values) {
            Object[] keep = new Object[doc.size() - 1];
            for (int i = 0, k = 0; i < doc.size(); i++) {
                if (i != col) {
                    keep[k++] = doc.get(i);
                }
            }
            for (int r = 0; r < at.length; r++) {
                Object[] row = Arrays.copyOf(keep, keep.length + 1 + hooks.size());
                row[keep.length] = at[r];
                for (int h = 0; h < hooks.size(); h++) {
                    float[] all = values.get(hooks.get(h));
                    int width = all.length / at.length;
                    row[keep.length + 1 + h] = Arrays.copyOfRange(all, r * width, (r + 1) * width);
                }
                out.add(RowFactory.create(row));
            }
        }
    }

    private static Object[] toArray(Row r) {
        Object[] v = new Object[r.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.get(i);
        }
        return v;
    }
}
