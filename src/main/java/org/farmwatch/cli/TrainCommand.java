package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.classify.TrainingSamples;
import org.farmwatch.config.Settings;
import org.farmwatch.ingest.Catalogue;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.spark.ForestTraining;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.FarmwatchException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code farmwatch train}: a random-forest classifier from labelled samples over one or more scenes. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the random-forest classifier (classifier = forest) from labelled samples.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--samples", required = true, paramLabel = "FILE",
            description = "Points or polygons (GeoPackage or any OGR vector file, path#layer picks a layer) whose label "
                    + "field holds a GB/T 21010 code or a class name.")
    String samples;

    @Option(names = "--label-field", paramLabel = "NAME",
            description = "The label field (default: the first of class, class_code, land_class, DLBM, code, label).")
    String labelField;

    @Option(names = "--scenes", paramLabel = "SCENE", arity = "1..*",
            description = "Scene(s) the samples are read from, as run's --before; several are composited per tile.")
    List<String> scenes;

    @Option(names = "--catalog", paramLabel = "DIR", description = "Instead of --scenes: a folder of scenes, with --period.")
    String catalogue;

    @Option(names = "--period", paramLabel = "START/END", description = "Date window of the --catalog scenes to use.")
    String period;

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "Folder to save the model to (local path or Hadoop URI); replaced if it exists.")
    String model;

    @Option(names = "--trees", defaultValue = "60", paramLabel = "N", description = "Number of trees (default: ${DEFAULT-VALUE}).")
    int trees;

    @Option(names = "--max-depth", defaultValue = "12", paramLabel = "N", description = "Tree depth (default: ${DEFAULT-VALUE}).")
    int maxDepth;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-balance", description = "Do not weight classes by the inverse of their sample cell counts.")
    boolean noBalance;

    @Option(names = "--conf", paramLabel = "FILE", description = "Configuration over the defaults (grid, class codes).")
    Path conf;

    @Mixin
    MasterOption spark;

    @Mixin
    VerboseOption verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String master = spark.checked();
        if ((scenes != null) == (catalogue != null)) {
            throw FarmwatchException.usage("give either --scenes, or --catalog with --period");
        }
        if (catalogue != null && period == null) {
            throw FarmwatchException.usage("--catalog needs --period");
        }
        if (trees < 1 || trees > 1000) {
            throw FarmwatchException.usage("--trees must be within 1..1000, got: " + trees);
        }
        if (maxDepth < 1 || maxDepth > 30) {
            throw FarmwatchException.usage("--max-depth must be within 1..30 (MLlib's limit), got: " + maxDepth);
        }
        Settings settings = Settings.load(conf);
        List<String> args = scenes;
        Catalogue.Window window = null;
        if (catalogue != null) {
            window = Catalogue.Window.parse("--period", period);
            args = Catalogue.scan(Path.of(catalogue));
        }
        List<Scene> opened = new ArrayList<>();
        for (String a : args) {
            Scene s = SceneCatalog.open(a, catalogue != null).withDarkObject(settings.ingest().darkObject());
            if (window == null || window.contains(s.date())) {
                opened.add(s);
            }
        }
        if (opened.isEmpty()) {
            throw FarmwatchException.input("no scene in " + catalogue + " falls in --period " + period);
        }
        TrainingSamples ts = new TrainingSamples(samples, labelField, settings.classify().classCodes());
        SparkSession spark = SparkSessions.create("farmwatch train", master);
        try {
            ForestTraining.Result r = new ForestTraining(System.err).train(spark, new Period("training", opened), ts, settings,
                    new ForestTraining.Params(trees, maxDepth, seed, !noBalance), model);
            spec.commandLine().getOut().printf("model %s: %d trees, %d nodes, from %d tiles; labelled cells per class: %s%n", model, r.trees(),
                    r.nodes(), r.tiles(), r.cells());
        } finally {
            spark.stop();
        }
        return 0;
    }
}
