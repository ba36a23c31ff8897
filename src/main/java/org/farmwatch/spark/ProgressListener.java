package org.farmwatch.spark;

import java.io.PrintStream;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Prints the progress of each Spark stage of a long step, with an ETA; at most one line every two seconds. A Spark
 * task is a group of tiles, not one, so the line says so: in the detect step it counts the tiles done (the
 * {@code tiles_computed} and {@code tiles_reused} accumulators each finished task reports) beside the tasks,
 * {@code detect: 7 tiles done (7/8 Spark tasks), 14 s, ETA 2 s}; the other steps count tasks only.
 */
final class ProgressListener extends SparkListener {
    /** The named accumulators whose task updates are tiles done. */
    static final java.util.Set<String> TILE_COUNTERS = java.util.Set.of("tiles_computed", "tiles_reused");

    private final PrintStream out;
    private volatile String step = "";
    private volatile int total;
    private volatile int done;
    private volatile long tiles;
    private volatile long started;
    private volatile long lastPrint;

    ProgressListener(PrintStream out) {
        this.out = out;
    }

    void step(String name) {
        this.step = name;
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
        total = e.stageInfo().numTasks();
        done = 0;
        tiles = 0;
        started = System.nanoTime();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!e.taskInfo().successful()) {
            return; // a task lost with its executor runs again: it is not done
        }
        done++;
        tiles += tilesOf(e);
        long now = System.nanoTime();
        // Quiet for short stages; then at most a line every two seconds.
        if (total > 1 && now - started > 2_000_000_000L && now - lastPrint > 2_000_000_000L) {
            lastPrint = now;
            out.println(line(step, done, total, tiles, (now - started) / 1e9));
        }
    }

    /** One progress line; {@code tiles} is 0 for stages that do not count tiles. */
    static String line(String step, int done, int total, long tiles, double secs) {
        double eta = done > 0 ? secs / done * (total - done) : 0;
        String what = tiles > 0
                ? String.format("%d %s done (%d/%d Spark tasks)", tiles, tiles == 1 ? "tile" : "tiles", done, total)
                : String.format("%d/%d Spark tasks", done, total);
        return String.format("[farmwatch] %s: %s, %.0f s, ETA %.0f s", step, what, secs, eta);
    }

    /** Tiles the task reports through the tile accumulators. */
    private static long tilesOf(SparkListenerTaskEnd e) {
        long n = 0;
        scala.collection.Iterator<AccumulableInfo> it = e.taskInfo().accumulables().iterator();
        while (it.hasNext()) {
            AccumulableInfo a = it.next();
            if (a.name().isDefined() && TILE_COUNTERS.contains(a.name().get()) && a.update().isDefined()
                    && a.update().get() instanceof Number v) {
                n += v.longValue();
            }
        }
        return n;
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted e) {
        lastPrint = 0;
    }
}
