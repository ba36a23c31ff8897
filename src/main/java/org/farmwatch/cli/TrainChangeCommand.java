package org.farmwatch.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.publish.GeoPackageVerdictSource;
import org.farmwatch.publish.PatchVerdictSource;
import org.farmwatch.publish.PostgisVerdictSource;
import org.farmwatch.spark.ChangeModelTraining;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.FarmwatchException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code farmwatch train-change}: a model that tells real conversions from false alarms, from inspectors' verdicts. */
@Command(name = "train-change", mixinStandardHelpOptions = true,
        description = {"Train the change model (change.model) from inspectors' verdicts on earlier runs' patches, or "
                + "from labelled change maps where no inspector has been yet.",
            "Each patch of a run's onemap.gpkg keeps what the model judges it by (its patch_evidence table), so "
                + "training reads no imagery."})
final class TrainChangeCommand implements Callable<Integer> {

    @Option(names = "--verdicts", paramLabel = "RUN", arity = "1..*",
            description = "The PostGIS one map (postgresql://user@host[:port]/database; the password from PGPASSWORD or "
                    + "~/.pgpass), or earlier runs' onemap.gpkg (or their output folders), with the inspectors' verdicts "
                    + "imported by import-verdicts. confirmed and approved count as real conversions, false_alarm as "
                    + "false alarms.")
    List<String> verdicts = new ArrayList<>();

    @Option(names = "--onemap-schema", defaultValue = "onemap", paramLabel = "NAME",
            description = "Schema of the PostGIS one map (default: ${DEFAULT-VALUE}).")
    String onemapSchema;

    @Option(names = "--labels", paramLabel = "RUN=LABELS", arity = "1..*",
            description = "An earlier run's onemap.gpkg (or output folder) and a georeferenced change map over it "
                    + "(2 change, 1 no change, other values unlabelled): a patch with at least 25 % of its labelled "
                    + "cells on change counts as confirmed, any other as a false alarm.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Folder to save the model to (local path or Hadoop URI); an earlier change model there is "
                    + "replaced once the new one is written whole.")
    String out;

    @Option(names = "--trees", defaultValue = "100", paramLabel = "N",
            description = "Trees of the random forest (default: ${DEFAULT-VALUE}).")
    int trees;

    @Option(names = "--max-depth", defaultValue = "8", paramLabel = "N", description = "Tree depth (default: ${DEFAULT-VALUE}).")
    int maxDepth;

    @Option(names = "--keep-confirmed", defaultValue = "0.9", paramLabel = "SHARE",
            description = "The share of real conversions the model's threshold must keep in cross-validation; it sets "
                    + "change.modelThreshold = auto (default: ${DEFAULT-VALUE}).")
    double keepConfirmed;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    MasterOption spark;

    @Mixin
    VerboseOption verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String master = spark.checked();
        ChangeModelTraining.Params params;
        try {
            params = new ChangeModelTraining.Params(trees, maxDepth, seed, keepConfirmed);
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(e.getMessage());
        }
        List<PatchVerdictSource> sources = new ArrayList<>();
        for (String v : verdicts) {
            sources.add(v.startsWith("postgresql://") ? new PostgisVerdictSource(v, onemapSchema)
                    : new GeoPackageVerdictSource(GeoPackageVerdictSource.gpkgOf(v), null));
        }
        for (String l : labels) {
            int eq = l.lastIndexOf('=');
            if (eq <= 0 || eq == l.length() - 1) {
                throw FarmwatchException.usage("--labels takes RUN=LABELS (a run's onemap.gpkg or folder, '=', a change "
                        + "map), got: " + l);
            }
            sources.add(new GeoPackageVerdictSource(GeoPackageVerdictSource.gpkgOf(l.substring(0, eq)), l.substring(eq + 1)));
        }
        if (sources.isEmpty()) {
            throw FarmwatchException.usage("give --verdicts or --labels: the judged patches to learn from");
        }
        // Read on the driver once, up front: a bad verdict row or a damaged run stops here, naming it, with no model
        // written. (Cheap: a verdict table and a patch_evidence table per run; the training reads them again.)
        for (PatchVerdictSource s : sources) {
            try {
                s.read((id, real, features) -> { });
            } catch (IllegalArgumentException e) {
                throw FarmwatchException.input(e.getMessage());
            }
        }
        SparkSession session = SparkSessions.create("farmwatch train-change", master);
        try {
            ChangeModelTraining.Result r = new ChangeModelTraining(System.err).train(session, sources, params, out);
            spec.commandLine().getOut().printf("change model %s: %d trees from %d real conversions and %d false alarms; "
                            + "cross-validated AUC %s, threshold %.3f keeps %s of real conversions and removes %s of false "
                            + "alarms%n", out, r.trees(), r.confirmed(), r.falseAlarms(), fmt(r.cvAuc()), r.threshold(),
                    pct(r.cvConfirmedKept()), pct(r.cvFalseAlarmsRemoved()));
        } finally {
            session.stop();
        }
        return 0;
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format("%.3f", v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format("%.0f %%", 100 * v);
    }
}
