package org.farmwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.change.ChangeModel;
import org.farmwatch.publish.PostgisVerdictSource;
import org.farmwatch.spark.ChangeModelTraining;
import org.farmwatch.spark.ChangeModels;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.FarmwatchException;

/**
 * {@code nightly.retrain = monthly}: on the first night of a month (by the model's {@code trained_at}), a change
 * model is trained from the verdicts in the one map, one verdict in five held back; it replaces the model in
 * {@code change.model} only when it scores better on the held-back verdicts than the model in place. Too few or
 * one-sided verdicts leave the model as it is; the night goes on either way.
 */
final class NightlyRetrain {
    private NightlyRetrain() {}

    /** Retrains when due; returns what it did, for the log. */
    static String monthly(NightlyConfig nc, String modelDir, String master, PrintWriter err, YearMonth now) {
        Configuration hadoop = new Configuration();
        ChangeModel previous = null;
        try {
            Path dir = new Path(modelDir);
            FileSystem fs = dir.getFileSystem(hadoop);
            if (fs.exists(new Path(dir, ChangeModel.FILE))) {
                previous = ChangeModels.load(modelDir, hadoop);
                YearMonth trained = trainedIn(fs, new Path(dir, "summary.json"));
                if (trained != null && !trained.isBefore(now)) {
                    return "change model " + modelDir + " was trained in " + trained + ": not due";
                }
            }
        } catch (IOException e) {
            throw FarmwatchException.usage("change.model " + modelDir + " cannot be read: " + e.getMessage());
        }
        // Read once on the driver first: a one map without evidence or verdicts is a message, not a failed night.
        PostgisVerdictSource source = new PostgisVerdictSource(nc.onemap(), nc.onemapSchema());
        long[] judged = new long[2];
        try {
            source.read((id, real, features) -> judged[real ? 0 : 1]++);
        } catch (IllegalArgumentException e) {
            return "change model not retrained: " + e.getMessage();
        }
        if (judged[0] == 0 || judged[1] == 0) {
            return "change model not retrained: the one map's verdicts judge " + judged[0] + " patches real conversions "
                    + "and " + judged[1] + " false alarms; a model needs some of each";
        }
        String candidate = modelDir.replaceAll("/+$", "") + ".candidate";
        SparkSession spark = SparkSessions.create("farmwatch nightly retrain " + nc.region(), master);
        try {
            ChangeModelTraining.Result r;
            try {
                r = new ChangeModelTraining(System.err).train(spark,
                        List.of(source),
                        new ChangeModelTraining.Params(100, 8, 1, 0.9), candidate, true, previous);
            } catch (FarmwatchException e) {
                if (e.kind() == FarmwatchException.Kind.INPUT) {
                    return "change model not retrained: " + e.getMessage();
                }
                throw e;
            }
            boolean better = replaces(previous != null, r.heldBackAuc(), r.previousHeldBackAuc());
            Path cand = new Path(candidate);
            FileSystem fs = cand.getFileSystem(hadoop);
            if (!better) {
                fs.delete(cand, true);
                return String.format("change model kept: the new one scored AUC %.3f on the held-back verdicts, the one "
                        + "in place %.3f", r.heldBackAuc(), r.previousHeldBackAuc());
            }
            Path dir = new Path(modelDir);
            Path old = new Path(dir.getParent(), "." + dir.getName() + ".previous-" + Instant.now().toEpochMilli());
            if (fs.exists(dir) && !fs.rename(dir, old)) {
                throw new IOException("cannot move " + dir + " aside");
            }
            if (!fs.rename(cand, dir)) {
                throw new IOException("cannot move " + cand + " to " + dir);
            }
            fs.delete(old, true);
            return String.format("change model retrained from %d real conversions and %d false alarms: AUC %s on the "
                            + "held-back verdicts (the previous model: %s) -> %s", r.confirmed(), r.falseAlarms(),
                    fmt(r.heldBackAuc()), previous == null ? "none" : fmt(r.previousHeldBackAuc()), modelDir);
        } catch (IOException e) {
            throw FarmwatchException.input("cannot replace the change model " + modelDir + ": " + e.getMessage(), e);
        } finally {
            spark.stop();
        }
    }

    /**
     * Whether a new model replaces the one in place: always when there is none, or when the held-back verdicts could
     * not score the old one; otherwise only when it scores a higher AUC on them (a tie keeps the model in place).
     */
    static boolean replaces(boolean hasPrevious, double newAuc, double previousAuc) {
        if (!hasPrevious || Double.isNaN(previousAuc)) {
            return true;
        }
        return !Double.isNaN(newAuc) && newAuc > previousAuc;
    }

    private static YearMonth trainedIn(FileSystem fs, Path summary) throws IOException {
        if (!fs.exists(summary)) {
            return null;
        }
        try (InputStream in = fs.open(summary)) {
            JsonNode at = new ObjectMapper().readTree(in).path("trained_at");
            return at.isTextual() ? YearMonth.from(Instant.parse(at.asText()).atZone(ZoneOffset.UTC)) : null;
        } catch (java.time.DateTimeException | com.fasterxml.jackson.core.JacksonException e) {
            return null; // a summary we cannot read: retrain
        }
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format("%.3f", v);
    }
}
