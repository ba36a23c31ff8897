package org.farmwatch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

/** The progress line counts tiles where the stage reports them, and never calls a Spark task a tile. */
class ProgressListenerTest {

    @Test
    void aStageOfTileGroupsCountsTilesDoneBesideTheTasks() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        SparkSession spark = SparkSessions.create("progress-test", "local[1]");
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            ProgressListener progress = new ProgressListener(log);
            jsc.sc().addSparkListener(progress);
            LongAccumulator computed = jsc.sc().longAccumulator("tiles_computed");
            LongAccumulator reused = jsc.sc().longAccumulator("tiles_reused");
            progress.step("detect");
            // Three tasks of three "tiles" each, as parallelize groups tile keys; slow enough to print.
            long n = jsc.parallelize(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9), 3).mapPartitions(it -> {
                int k = 0;
                while (it.hasNext()) {
                    int t = it.next();
                    (t == 1 ? reused : computed).add(1);
                    k++;
                }
                Thread.sleep(1_200);
                return List.of(k).iterator();
            }).count();
            assertEquals(3, n);
            jsc.sc().listenerBus().waitUntilEmpty();
        } finally {
            spark.stop();
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\\[farmwatch] detect: (\\d+) tiles? done \\((\\d+)/3 Spark tasks\\)").matcher(out);
        assertTrue(m.find(), out);
        int tiles = Integer.parseInt(m.group(1));
        int tasks = Integer.parseInt(m.group(2));
        assertEquals(3 * tasks, tiles, out);
        assertFalse(out.contains("/3 tasks,"), "tasks called by no other name: " + out);
    }

    @Test
    void aStageWithoutTileCountersSaysSparkTasks() {
        assertEquals("[farmwatch] overlay: 3/8 Spark tasks, 6 s, ETA 10 s", ProgressListener.line("overlay", 3, 8, 0, 6));
        assertEquals("[farmwatch] detect: 7 tiles done (7/8 Spark tasks), 14 s, ETA 2 s",
                ProgressListener.line("detect", 7, 8, 7, 14));
        assertEquals("[farmwatch] detect: 1 tile done (1/8 Spark tasks), 2 s, ETA 14 s",
                ProgressListener.line("detect", 1, 8, 1, 2));
    }
}
