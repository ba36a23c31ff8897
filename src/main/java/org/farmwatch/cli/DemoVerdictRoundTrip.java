package org.farmwatch.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.publish.GeoPackageVerdictSource;
import org.farmwatch.publish.GeoPackageVerdicts;
import org.farmwatch.publish.OneMapVerdicts;
import org.farmwatch.publish.VerdictFile;
import org.farmwatch.spark.ChangeModelTraining;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.FarmwatchException;

/**
 * {@code farmwatch demo --verdict-round-trip}: after the demo's run (with a more sensitive detector, {@link #SENSITIVE}),
 * its inspector list is filled in as the sample's
 * planted truth says (a flagged parcel the sample converted is {@code confirmed}, any other a {@code false_alarm}),
 * imported into the run's GeoPackage, a change model is trained on those verdicts, and the sample is run again with
 * it: the loop an operator closes every month, on the sample.
 */
final class DemoVerdictRoundTrip {
    private DemoVerdictRoundTrip() {}

    /**
     * At the default settings the sample has no false alarm to learn from (every flag is a planted conversion), so
     * the round trip runs it with a more sensitive detector, as an operator wanting fewer misses might.
     */
    static final String SENSITIVE = "change.spectralThreshold = 0.12\nchange.vegetationThreshold = 0.05\n"
            + "change.minConfidence = 0\nchange.threshold = 2.5\n";

    /** {@code conf} (null: none) with the sensitive detector's keys, and {@code more} lines, in a temporary file. */
    static Path conf(Path conf, String more) {
        try {
            Path f = Files.createTempFile("farmwatch-demo", ".conf");
            String base = conf == null ? "" : Files.readString(conf, StandardCharsets.UTF_8) + "\n";
            Files.writeString(f, base + SENSITIVE + more);
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw FarmwatchException.input("demo: cannot write a configuration: " + e.getMessage(), e);
        }
    }

    /** After the demo's run into {@code out} with {@link #conf}: the verdicts, the model, the run with it. */
    static void after(Path out, Path sample, Path conf, String master, PrintStream log) {
        Path list = out.resolve("inspector/flagged_parcels.csv");
        Path filled = out.resolveSibling(out.getFileName() + "-verdicts.csv");
        Path model = out.resolveSibling(out.getFileName() + "-change-model");
        Path second = out.resolveSibling(out.getFileName() + "-with-model");
        try {
            int[] judged = fill(list, sample.resolve("truth.csv"), filled);
            log.printf("[farmwatch] demo: the inspectors' list filled in from %s: %d confirmed, %d false alarms -> %s%n",
                    sample.resolve("truth.csv"), judged[0], judged[1], filled);
            OneMapVerdicts.Summary s = GeoPackageVerdicts.importFile(out.resolve("onemap.gpkg"), filled.toString(),
                    VerdictFile.read(filled));
            log.printf("[farmwatch] demo: import-verdicts: %s -> %s%n", s.line(), out.resolve("onemap.gpkg"));
        } catch (IOException e) {
            throw FarmwatchException.input("demo: cannot fill in the inspectors' list " + list + ": " + e.getMessage(), e);
        }
        SparkSession spark = SparkSessions.create("farmwatch demo train-change", master);
        try {
            ChangeModelTraining.Result r = new ChangeModelTraining(log).train(spark,
                    List.of(new GeoPackageVerdictSource(out.resolve("onemap.gpkg").toString(), null)),
                    new ChangeModelTraining.Params(100, 8, 1, 0.9), model.toString());
            log.printf("[farmwatch] demo: train-change: %d real conversions and %d false alarms -> %s%n", r.confirmed(),
                    r.falseAlarms(), model);
            if (r.falseAlarms() < 5) {
                log.printf("[farmwatch] demo: (a model from so few false alarms learns little; a county's month of "
                        + "verdicts holds hundreds)%n");
            }
        } catch (FarmwatchException e) {
            log.printf("[farmwatch] demo: no change model: %s%n", e.getMessage());
            return;
        } finally {
            spark.stop();
        }
        Path withModel = conf(conf, "change.model = " + model.toAbsolutePath() + "\n");
        new PipelineRun(log).execute(PipelineRun.Request.scenes(
                sample.resolve("scenes/20250415").toString(), sample.resolve("scenes/20250920").toString(),
                sample.resolve("farmland.gpkg").toString(), second.toString(), withModel, "demo-with-model", master));
        try {
            int[] before = judge(out, sample.resolve("truth.csv"));
            int[] after = judge(second, sample.resolve("truth.csv"));
            log.printf("[farmwatch] demo: flagged parcels without the model %d (%d false alarms by the planted truth), "
                    + "with it %d (%d false alarms) -> %s; judged on the verdicts it learnt from, this shows the loop, it "
                    + "does not measure it (jobs/accuracy --verdict-loop does)%n", before[0] + before[1], before[1], after[0] + after[1],
                    after[1], second);
        } catch (IOException e) {
            throw FarmwatchException.input("demo: cannot read the lists: " + e.getMessage(), e);
        }
    }

    /** {real, false alarms} among the flagged parcels of a run's list, by the planted truth. */
    private static int[] judge(Path run, Path truth) throws IOException {
        Path filled = Files.createTempFile("farmwatch-demo", ".csv");
        try {
            return fill(run.resolve("inspector/flagged_parcels.csv"), truth, filled);
        } finally {
            Files.deleteIfExists(filled);
        }
    }

    /** Fills the verdict column of {@code list} from the planted truth; returns {confirmed, false alarms}. */
    static int[] fill(Path list, Path truth, Path to) throws IOException {
        // truth.csv is the sample's own: "parcel_id,change_type" lines of plain ids.
        Set<String> converted = new HashSet<>();
        List<String> lines = Files.readAllLines(truth, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            converted.add(line.split(",", 2)[0]);
        }
        int[] n = new int[2];
        for (String v : VerdictFile.fillCsv(list, id -> converted.contains(id) ? "confirmed" : "false_alarm", to)) {
            n[v.equals("confirmed") ? 0 : 1]++;
        }
        return n;
    }
}
