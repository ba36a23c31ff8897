package org.farmwatch.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        Set<String> converted = new HashSet<>();
        for (List<String> row : csv(Files.readString(truth, StandardCharsets.UTF_8))) {
            converted.add(row.get(0));
        }
        List<List<String>> rows = csv(Files.readString(list, StandardCharsets.UTF_8).replace("\uFEFF", ""));
        List<String> header = rows.get(0);
        int parcel = column(header, "parcel_id", list);
        int verdict = column(header, " verdict", list);
        int[] n = new int[2];
        StringBuilder out = new StringBuilder("\uFEFF");
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = new ArrayList<>(rows.get(r));
            if (r > 0 && row.size() > verdict) {
                boolean real = converted.contains(row.get(parcel));
                row.set(verdict, real ? "confirmed" : "false_alarm");
                n[real ? 0 : 1]++;
            }
            List<String> cells = new ArrayList<>();
            for (String c : row) {
                cells.add(c.matches(".*[\",\r\n].*") ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
            }
            out.append(String.join(",", cells)).append("\r\n");
        }
        Files.writeString(to, out.toString(), StandardCharsets.UTF_8);
        return n;
    }

    /** The column whose header ends in {@code word}, or holds it followed by a note in brackets. */
    private static int column(List<String> header, String word, Path list) {
        for (int i = 0; i < header.size(); i++) {
            String h = header.get(i);
            if (h.endsWith(word) || h.contains(word + " (")) {
                return i;
            }
        }
        throw FarmwatchException.input(list + " has no column '" + word.trim() + "': " + header);
    }

    /** RFC 4180 rows, the header first. */
    static List<List<String>> csv(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                row.add(cell.toString());
                cell.setLength(0);
            } else if (ch == '\n' || ch == '\r') {
                if (ch == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                row.add(cell.toString());
                cell.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                cell.append(ch);
            }
        }
        if (cell.length() > 0 || !row.isEmpty()) {
            row.add(cell.toString());
            rows.add(row);
        }
        return rows;
    }
}
