package org.farmwatch.spark;

import java.io.PrintStream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/** Prints tasks done out of total, with an ETA, for each Spark stage of a long step; at most one line every two seconds. */
final class ProgressListener extends SparkListener {
    private final PrintStream out;
    private volatile String step = "";
    private volatile int total;
    private volatile int done;
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
        started = System.nanoTime();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!e.taskInfo().successful()) {
            return; // a task lost with its executor runs again: it is not done
        }
        done++;
        long now = System.nanoTime();
        // Quiet for short stages; then at most a line every two seconds.
        if (total > 1 && now - started > 2_000_000_000L && now - lastPrint > 2_000_000_000L) {
            lastPrint = now;
            double secs = (now - started) / 1e9;
            double eta = done > 0 ? secs / done * (total - done) : 0;
            out.printf("[farmwatch] %s: %d/%d tasks, %.0f s, ETA %.0f s%n", step, done, total, secs, eta);
        }
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted e) {
        lastPrint = 0;
    }
}
