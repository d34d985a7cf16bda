package dev.glassbox.spark;

import dev.glassbox.GlassboxException;
import dev.glassbox.export.ActivationExport;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code spark-submit} entry point (see README "Spark"):
 *
 * <pre>
 * spark-submit --class dev.glassbox.spark.SparkMain target/glassbox.jar score --model DIR|ID --input PATH --out PATH
 * spark-submit --class dev.glassbox.spark.SparkMain target/glassbox.jar cache --model DIR|ID --input PATH
 *     --hooks NAME[,NAME...] [--positions all|last] --out PATH
 * </pre>
 *
 * Input: Parquet (a folder or {@code .parquet}), JSON lines ({@code .jsonl}/{@code .json}, column
 * {@code prompt} by default, as {@code score --input}) or plain text ({@code .txt}, one document a
 * line, column {@code value}); {@code --column} names another. Output: Parquet.
 */
public final class SparkMain {

    private static final Set<String> OPTIONS = Set.of("--model", "--input", "--out", "--column", "--hooks",
            "--positions", "--batch-size", "--threads", "--dtype");

    private SparkMain() {}

    public static void main(String[] args) throws Exception {
        try {
            SparkSession spark = SparkSession.builder().appName("glassbox " + (args.length > 0 ? args[0] : "")).getOrCreate();
            try {
                run(spark, args);
            } finally {
                spark.stop();
            }
        } catch (Exception e) { // Spark's SparkException is checked, thrown through Scala
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof GlassboxException) {
                    System.err.println("glassbox: error: " + t.getMessage().replace('\n', ' '));
                    System.exit(2);
                }
            }
            throw e;
        }
    }

    /** Runs one job ({@code score} or {@code cache} and its options) in {@code spark}. */
    public static void run(SparkSession spark, String[] args) {
        if (args.length == 0 || !List.of("score", "cache").contains(args[0])) {
            throw new GlassboxException("usage: SparkMain score|cache --model DIR|ID --input PATH --out PATH "
                    + "[--column NAME] [--hooks A,B --positions all|last] [--batch-size N] [--threads N] [--dtype f32|f16|bf16|auto]");
        }
        Map<String, String> o = parse(Arrays.copyOfRange(args, 1, args.length));
        for (String required : args[0].equals("cache") ? List.of("--model", "--input", "--out", "--hooks") : List.of("--model", "--input", "--out")) {
            if (!o.containsKey(required)) {
                throw new GlassboxException(args[0] + ": missing " + required);
            }
        }
        SparkOptions options = new SparkOptions(o.get("--model"), o.getOrDefault("--dtype", "f32"),
                integer(o, "--batch-size", 8), integer(o, "--threads", 0));
        String input = o.get("--input");
        String lower = input.toLowerCase(Locale.ROOT);
        Dataset<Row> docs;
        String column;
        if (lower.endsWith(".jsonl") || lower.endsWith(".json")) {
            docs = spark.read().json(input);
            column = o.getOrDefault("--column", "prompt");
        } else if (lower.endsWith(".txt")) {
            docs = spark.read().text(input);
            column = o.getOrDefault("--column", "value");
        } else {
            docs = spark.read().parquet(input);
            column = o.getOrDefault("--column", "text");
        }
        Dataset<Row> out = args[0].equals("score")
                ? GlassboxSpark.score(docs, column, options)
                : GlassboxSpark.activations(docs, column, List.of(o.get("--hooks").split(",")),
                        ActivationExport.Positions.parse(o.getOrDefault("--positions", "all")), options);
        out.write().parquet(o.get("--out"));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!OPTIONS.contains(args[i])) {
                throw new GlassboxException("unknown option '" + args[i] + "' (options: " + String.join(", ", OPTIONS.stream().sorted().toList()) + ")");
            }
            if (i + 1 >= args.length) {
                throw new GlassboxException(args[i] + " needs a value");
            }
            o.put(args[i], args[i + 1]);
        }
        return o;
    }

    private static int integer(Map<String, String> o, String key, int fallback) {
        String v = o.get(key);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new GlassboxException(key + " must be an integer, found '" + v + "'");
        }
    }
}
