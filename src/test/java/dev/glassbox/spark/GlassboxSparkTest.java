package dev.glassbox.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.Reference;
import dev.glassbox.cli.CliRun;
import dev.glassbox.export.ActivationExport;
import dev.glassbox.hooks.ActivationCache;
import dev.glassbox.inspect.Scoring;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * glassbox on Spark in local mode (two task threads, two partitions): scores equal {@code score --input}'s
 * and each document's own, activations equal {@code runWithCache} per document, and the executor JVM
 * loads the model once.
 */
class GlassboxSparkTest {

    static final String MODEL = Reference.model("fixtures/gpt2-tiny").toAbsolutePath().toString();
    static final List<String> TEXTS = List.of(
            "In the beginning God created the heaven and the earth.",
            "And the earth was without form",
            "Light",
            "And God said, Let there be light: and there was light.",
            "And God saw the light, that it was good",
            "and God divided the light from the darkness.");

    static SparkSession spark;
    static LanguageModel model;
    static Dataset<Row> docs;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("glassbox-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
        model = LanguageModel.load(Reference.model("fixtures/gpt2-tiny"));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            rows.add(RowFactory.create((long) i, TEXTS.get(i)));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
        docs = spark.createDataFrame(rows, schema).repartition(2);
    }

    @AfterAll
    static void stop() {
        spark.stop();
        model.close();
    }

    static SparkOptions options() {
        return SparkOptions.of(MODEL).withBatchSize(2).withThreads(1);
    }

    /**
     * Spark's scores equal {@code score --input FILE.jsonl}'s (issue 14.5) for the same documents, run
     * in-process through the CLI, and both equal {@code model.score} of each document alone.
     */
    @Test
    void scoresEqualScoreInput(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            lines.add(json.createObjectNode().put("id", i).put("prompt", TEXTS.get(i)).toString());
        }
        java.nio.file.Path input = java.nio.file.Files.write(tmp.resolve("docs.jsonl"), lines);
        CliRun cli = CliRun.of("score", "--model", MODEL, "--input", input.toString(), "--batch-size", "4");
        assertEquals(0, cli.code(), cli.err());
        List<JsonNode> byId = new ArrayList<>();
        for (String l : cli.out().split("\n")) {
            if (!l.isBlank()) {
                byId.add(json.readTree(l));
            }
        }
        assertEquals(TEXTS.size(), byId.size());

        List<Row> out = GlassboxSpark.score(docs, "text", options()).collectAsList();
        assertEquals(TEXTS.size(), out.size());
        for (Row r : out) {
            int id = (int) r.getLong(0);
            JsonNode cliLine = byId.get(id);
            assertEquals(id, cliLine.get("id").asInt(), "score --input keeps input order");
            assertEquals(TEXTS.get(id), r.getString(1));
            long[] sparkIds = r.getList(2).stream().mapToLong(x -> (Long) x).toArray();
            long[] cliIds = new long[cliLine.get("input_ids").size()];
            for (int k = 0; k < cliIds.length; k++) {
                cliIds[k] = cliLine.get("input_ids").get(k).asLong();
            }
            assertArrayEquals(cliIds, sparkIds, "document " + id);
            double[] lps = r.getList(3).stream().mapToDouble(x -> (Double) x).toArray();
            JsonNode cliLps = cliLine.get("next_token_logprobs");
            assertEquals(cliLps.size(), lps.length, "document " + id);
            for (int k = 0; k < lps.length; k++) {
                assertEquals(cliLps.get(k).asDouble(), lps[k], 1e-4, "document " + id + " token " + k);
            }
            assertEquals(cliLine.get("sum_logprob").asDouble(), r.getDouble(4), 1e-4, "document " + id);
            assertEquals(cliLine.get("mean_nll").asDouble(), r.getDouble(5), 1e-4, "document " + id);
            double ppl = cliLine.get("perplexity").asDouble();
            assertEquals(ppl, r.getDouble(6), 1e-4 * ppl, "document " + id);

            Scoring.Result alone = model.score(TEXTS.get(id));
            assertArrayEquals(alone.inputIds(), sparkIds);
            assertArrayEquals(alone.nextTokenLogprobs(), lps, 1e-5, "document " + id);
            assertEquals(alone.perplexity(), r.getDouble(6), 1e-4 * alone.perplexity());
        }
        assertEquals(1, ModelHolder.loads(), "one model per JVM, shared by both partitions' tasks");
    }

    @Test
    void activationsEqualRunWithCache() {
        List<String> hooks = List.of("blocks.1.resid_post", "blocks.0.attn.z");
        Dataset<Row> acts = GlassboxSpark.activations(docs, "text", hooks, ActivationExport.Positions.ALL, options());
        assertEquals(List.of("id", "position", "blocks_1_resid_post", "blocks_0_attn_z"), Arrays.asList(acts.columns()));
        List<Row> out = acts.collectAsList();
        int expectedRows = 0;
        for (String t : TEXTS) {
            expectedRows += model.toTokens(t).length;
        }
        assertEquals(expectedRows, out.size());
        for (Row r : out) {
            long[] ids = model.toTokens(TEXTS.get((int) r.getLong(0)));
            int t = r.getInt(1);
            try (ActivationCache c = model.runWithCache(ids, hooks.toArray(String[]::new))) {
                for (int h = 0; h < hooks.size(); h++) {
                    float[] all = c.floats(hooks.get(h));
                    int width = all.length / ids.length;
                    assertArrayEquals(Arrays.copyOfRange(all, t * width, (t + 1) * width), floats(r.getList(2 + h)), 1e-5f,
                            "document " + r.getLong(0) + " position " + t + " " + hooks.get(h));
                }
            }
        }
        List<Row> last = GlassboxSpark.activations(docs, "text", List.of("ln_final"), ActivationExport.Positions.LAST, options())
                .collectAsList();
        assertEquals(TEXTS.size(), last.size());
        for (Row r : last) {
            long[] ids = model.toTokens(TEXTS.get((int) r.getLong(0)));
            assertEquals(ids.length - 1, r.getInt(1));
            try (ActivationCache c = model.runWithCache(ids, "ln_final")) {
                float[] all = c.floats("ln_final");
                assertArrayEquals(Arrays.copyOfRange(all, all.length - 64, all.length), floats(r.getList(2)), 1e-5f);
            }
        }
        assertEquals(1, ModelHolder.loads());
    }

    @Test
    void sparkSubmitEntryPointWritesParquet(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path input = java.nio.file.Files.writeString(tmp.resolve("docs.jsonl"),
                "{\"id\": 0, \"prompt\": \"" + TEXTS.get(0) + "\"}\n{\"id\": 3, \"prompt\": \"" + TEXTS.get(3) + "\"}\n");
        String out = tmp.resolve("scores").toString();
        SparkMain.run(spark, new String[] {"score", "--model", MODEL, "--input", input.toString(), "--out", out,
            "--batch-size", "4", "--threads", "1"});
        List<Row> rows = spark.read().parquet(out).select("id", "perplexity").collectAsList();
        assertEquals(2, rows.size());
        for (Row r : rows) {
            double expected = model.score(TEXTS.get((int) r.getLong(0))).perplexity();
            assertEquals(expected, r.getDouble(1), 1e-4 * expected);
        }
        GlassboxException e = assertThrows(GlassboxException.class,
                () -> SparkMain.run(spark, new String[] {"cache", "--model", MODEL, "--input", input.toString(), "--out", out}));
        assertEquals("cache: missing --hooks", e.getMessage());
    }

    @Test
    void badColumnIsAClearError() {
        GlassboxException e = assertThrows(GlassboxException.class, () -> GlassboxSpark.score(docs, "body", options()));
        assertEquals("no column 'body' (columns: id, text)", e.getMessage());
        GlassboxException t = assertThrows(GlassboxException.class, () -> GlassboxSpark.score(docs, "id", options()));
        assertTrue(t.getMessage().startsWith("column 'id' is bigint; give text (string) or token ids"), t.getMessage());
    }

    static float[] floats(List<Object> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (Float) values.get(i);
        }
        return f;
    }
}
