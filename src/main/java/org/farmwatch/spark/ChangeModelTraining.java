package org.farmwatch.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.DecisionTreeClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.tree.ContinuousSplit;
import org.apache.spark.ml.tree.InternalNode;
import org.apache.spark.ml.tree.LeafNode;
import org.apache.spark.ml.tree.Node;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.farmwatch.change.ChangeFeatures;
import org.farmwatch.change.ChangeModel;
import org.farmwatch.publish.PatchVerdictSource;
import org.farmwatch.util.FarmwatchException;

/**
 * {@code farmwatch train-change} as Spark steps: on the executors, each verdict source (a run's GeoPackage with
 * the verdicts imported into it, or with a labelled change map) becomes one row per judged patch, its features
 * from the run's {@code patch_evidence}; MLlib fits a random forest, classes weighted, and cross-validates it
 * (a forest grows all its trees in one pass per level, where boosting needs a pass per tree: minutes become
 * seconds on a small verdict set); the MLlib model, its trees flattened for {@link ChangeModel} and a JSON summary go into one folder,
 * replaced whole. Only counts and the model reach the driver.
 */
public final class ChangeModelTraining {

    /** Trees, tree depth, seed, and the share of real conversions the chosen threshold must keep. */
    public record Params(int trees, int maxDepth, long seed, double keepConfirmed) implements Serializable {
        public Params {
            if (trees < 1 || trees > 1000) {
                throw new IllegalArgumentException("--trees must be within 1..1000, got: " + trees);
            }
            if (maxDepth < 1 || maxDepth > 30) {
                throw new IllegalArgumentException("--max-depth must be within 1..30 (MLlib's limit), got: " + maxDepth);
            }
            if (!(keepConfirmed > 0 && keepConfirmed <= 1)) {
                throw new IllegalArgumentException("--keep-confirmed must be within (0, 1], got: " + keepConfirmed);
            }
        }
    }

    /**
     * What was trained: judged patches per class, cross-validated figures, the chosen threshold; with a held-back
     * share, the new model's AUC on the held-back verdicts and the previous model's (NaN when there is none).
     */
    public record Result(long confirmed, long falseAlarms, int trees, int nodes, double threshold, double cvAuc,
                         double cvConfirmedKept, double cvFalseAlarmsRemoved, double heldBackAuc,
                         double previousHeldBackAuc, double seconds) {}

    /** One judged patch in this many is held back from training when a previous model is to be compared. */
    static final int HELD_BACK_ONE_IN = 5;

    private static final int FOLDS = 3;
    private final PrintStream log;

    public ChangeModelTraining(PrintStream log) {
        this.log = log;
    }

    public Result train(SparkSession spark, List<PatchVerdictSource> sources, Params params, String modelPath) {
        return train(spark, sources, params, modelPath, false, null);
    }

    /**
     * As {@link #train(SparkSession, List, Params, String)}; with {@code holdBack}, one judged patch in
     * {@value #HELD_BACK_ONE_IN} (by patch id) is left out of training and both the new model and {@code previous}
     * (null: none) are scored on them, so that a scheduled retraining can keep the better one.
     */
    public Result train(SparkSession spark, List<PatchVerdictSource> sources, Params params, String modelPath,
                        boolean holdBack, ChangeModel previous) {
        long t0 = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> rows = jsc.parallelize(sources, sources.size()).zipWithIndex()
                .flatMap(e -> rows(e._1(), e._2().intValue()));
        StructType schema = new StructType()
                .add("label", DataTypes.DoubleType, false)
                .add("source", DataTypes.IntegerType, false)
                .add("patch_id", DataTypes.StringType, false)
                .add("features", new VectorUDT(), false);
        // A source is a task to read; the fits then run on a few partitions: judged patches are few, and each of the
        // forest's passes costs a task per partition.
        Dataset<Row> judged = spark.createDataFrame(rows, schema)
                .coalesce(Math.max(1, Math.min(sources.size(), jsc.defaultParallelism() * 2)))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long confirmed = 0;
            long falseAlarms = 0;
            Map<Integer, long[]> perSource = new LinkedHashMap<>();
            for (Row r : judged.groupBy("source", "label").count().collectAsList()) {
                long n = r.getLong(2);
                boolean real = r.getDouble(1) == 1.0;
                perSource.computeIfAbsent(r.getInt(0), k -> new long[2])[real ? 0 : 1] += n;
                if (real) {
                    confirmed += n;
                } else {
                    falseAlarms += n;
                }
            }
            if (confirmed == 0 || falseAlarms == 0) {
                throw FarmwatchException.input("the verdicts of " + describe(sources) + " judge " + confirmed
                        + " patches real conversions (confirmed or approved) and " + falseAlarms + " false alarms: a change "
                        + "model learns to tell the two apart and needs some of each; train again when inspectors have "
                        + "returned both kinds");
            }
            log.printf("[farmwatch] train-change: %d judged patches from %d sources: %d real conversions, %d false alarms%n",
                    confirmed + falseAlarms, sources.size(), confirmed, falseAlarms);
            // Each class weighs half: a county's verdicts are mostly one kind, and the model must learn both.
            double total = confirmed + falseAlarms;
            Dataset<Row> all = judged.withColumn("weight", functions.when(functions.col("label").equalTo(1.0),
                    total / (2.0 * confirmed)).otherwise(total / (2.0 * falseAlarms)));
            Column held = functions.pmod(functions.hash(functions.col("patch_id"), functions.lit("held back")),
                    functions.lit(HELD_BACK_ONE_IN)).equalTo(0);
            Dataset<Row> weighted = holdBack ? all.filter(functions.not(held)) : all;
            Dataset<Row> heldBack = holdBack ? all.filter(held) : null;

            // Cross-validation: by source when there are enough (a model must hold in a place it was not fitted
            // on), else by patch.
            boolean bySource = perSource.size() >= FOLDS;
            Column fold = bySource ? functions.pmod(functions.col("source"), functions.lit(FOLDS))
                    : functions.pmod(functions.hash(functions.col("patch_id")), functions.lit(FOLDS));
            Dataset<Row> folded = weighted.withColumn("fold", fold);
            Dataset<Row> outOfFold = null;
            for (int k = 0; k < FOLDS; k++) {
                Dataset<Row> train = folded.filter(functions.col("fold").notEqual(k));
                Dataset<Row> test = folded.filter(functions.col("fold").equalTo(k));
                if (train.select("label").distinct().count() < 2 || test.isEmpty()) {
                    continue;
                }
                Dataset<Row> scored = probability(classifier(params).fit(train).transform(test));
                outOfFold = outOfFold == null ? scored : outOfFold.union(scored);
            }
            double auc = Double.NaN;
            double threshold = 0.5;
            double kept = Double.NaN;
            double removed = Double.NaN;
            if (outOfFold != null) {
                outOfFold = outOfFold.persist(StorageLevel.MEMORY_AND_DISK());
                auc = new BinaryClassificationEvaluator().setLabelCol("label").setRawPredictionCol("rawPrediction")
                        .setMetricName("areaUnderROC").evaluate(outOfFold);
                // The threshold that keeps the wanted share of real conversions on patches the folds did not see.
                double[] q = outOfFold.filter(functions.col("label").equalTo(1.0))
                        .stat().approxQuantile("p", new double[] {1 - params.keepConfirmed()}, 1e-4);
                threshold = q.length == 1 ? Math.max(0, Math.min(1, q[0])) : 0.5;
                Row m = outOfFold.agg(
                        functions.sum(functions.when(functions.col("label").equalTo(1.0)
                                .and(functions.col("p").geq(threshold)), 1).otherwise(0)),
                        functions.sum(functions.when(functions.col("label").equalTo(1.0), 1).otherwise(0)),
                        functions.sum(functions.when(functions.col("label").equalTo(0.0)
                                .and(functions.col("p").lt(threshold)), 1).otherwise(0)),
                        functions.sum(functions.when(functions.col("label").equalTo(0.0), 1).otherwise(0))).first();
                kept = m.getLong(1) == 0 ? Double.NaN : m.getLong(0) / (double) m.getLong(1);
                removed = m.getLong(3) == 0 ? Double.NaN : m.getLong(2) / (double) m.getLong(3);
                outOfFold.unpersist();
                log.printf("[farmwatch] train-change: cross-validated (%d folds by %s): AUC %.3f; at threshold %.3f it keeps "
                        + "%.0f %% of real conversions and removes %.0f %% of false alarms%n", FOLDS,
                        bySource ? "source" : "patch", auc, threshold, 100 * kept, 100 * removed);
            }
            RandomForestClassificationModel model = classifier(params).fit(weighted);
            ChangeModel flat = flatten(model, threshold);
            double heldAuc = Double.NaN;
            double previousAuc = Double.NaN;
            if (heldBack != null && heldBack.select("label").distinct().count() == 2) {
                heldAuc = auc(heldBack, flat);
                previousAuc = previous == null ? Double.NaN : auc(heldBack, previous);
                log.printf("[farmwatch] train-change: on the held-back verdicts the new model's AUC is %.3f, the "
                        + "previous model's %s%n", heldAuc, previous == null ? "(none)" : String.format("%.3f", previousAuc));
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("trained_on", describeEach(sources, perSource));
            summary.put("real_conversions", confirmed);
            summary.put("false_alarms", falseAlarms);
            summary.put("trees", params.trees());
            summary.put("max_depth", params.maxDepth());
            summary.put("seed", params.seed());
            summary.put("feature_version", ChangeFeatures.VERSION);
            Map<String, Object> cv = new LinkedHashMap<>();
            cv.put("folds", FOLDS);
            cv.put("by", bySource ? "source" : "patch");
            cv.put("auc", round(auc));
            cv.put("threshold", round(threshold));
            cv.put("keep_confirmed_wanted", params.keepConfirmed());
            cv.put("confirmed_kept", round(kept));
            cv.put("false_alarms_removed", round(removed));
            summary.put("cross_validation", cv);
            if (holdBack) {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("one_in", HELD_BACK_ONE_IN);
                h.put("auc", round(heldAuc));
                h.put("previous_model_auc", round(previousAuc));
                summary.put("held_back", h);
            }
            summary.put("trained_at", java.time.Instant.now().toString());
            summary.put("feature_importances", importances(model));
            save(spark, model, flat, summary, modelPath);
            double secs = Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
            log.printf("[farmwatch] train-change: %d trees, %d nodes -> %s (%.1f s)%n", flat.trees(), flat.nodes(),
                    modelPath, secs);
            return new Result(confirmed, falseAlarms, flat.trees(), flat.nodes(), threshold, auc, kept, removed, heldAuc,
                    previousAuc, secs);
        } finally {
            judged.unpersist();
        }
    }

    private static RandomForestClassifier classifier(Params params) {
        // Leaves of a few patches at least: verdicts are noisy, and a leaf of one patch is that patch's verdict.
        return new RandomForestClassifier().setNumTrees(params.trees()).setMaxDepth(params.maxDepth())
                .setFeatureSubsetStrategy("sqrt").setMinInstancesPerNode(5).setSeed(params.seed())
                .setLabelCol("label").setFeaturesCol("features").setWeightCol("weight");
    }

    /** The AUC of {@code model}, applied in plain Java on the executors, on the judged patches {@code rows}. */
    private static double auc(Dataset<Row> rows, ChangeModel model) {
        Dataset<Row> scored = rows.map((org.apache.spark.api.java.function.MapFunction<Row, Row>) r -> RowFactory.create(
                        r.getDouble(r.fieldIndex("label")), model.probability(
                                ((org.apache.spark.ml.linalg.Vector) r.get(r.fieldIndex("features"))).toArray())),
                org.apache.spark.sql.Encoders.row(new StructType()
                        .add("label", DataTypes.DoubleType).add("p", DataTypes.DoubleType)));
        return new BinaryClassificationEvaluator().setLabelCol("label").setRawPredictionCol("p")
                .setMetricName("areaUnderROC").evaluate(scored);
    }

    /** The probability of a real conversion as column {@code p}. */
    private static Dataset<Row> probability(Dataset<Row> predictions) {
        return predictions.select(functions.col("label"), functions.col("rawPrediction"),
                org.apache.spark.ml.functions.vector_to_array(functions.col("probability"), "float64")
                        .getItem(1).as("p"));
    }

    /** One source's judged patches as rows, read on an executor. */
    static Iterator<Row> rows(PatchVerdictSource source, int index) {
        List<Row> out = new ArrayList<>();
        source.read((patchId, real, features) -> out.add(RowFactory.create(real ? 1.0 : 0.0, index, patchId,
                Vectors.dense(features))));
        return out.iterator();
    }

    /** MLlib's forest as flat arrays, nodes in pre-order so that children follow their parent; leaves hold P(real). */
    public static ChangeModel flatten(RandomForestClassificationModel model, double threshold) {
        List<Integer> feature = new ArrayList<>();
        List<Double> value = new ArrayList<>();
        List<Integer> left = new ArrayList<>();
        List<Integer> right = new ArrayList<>();
        DecisionTreeClassificationModel[] trees = model.trees();
        int[] roots = new int[trees.length];
        for (int t = 0; t < trees.length; t++) {
            roots[t] = add(trees[t].rootNode(), feature, value, left, right);
        }
        return new ChangeModel(threshold, model.treeWeights(), roots,
                feature.stream().mapToInt(Integer::intValue).toArray(),
                value.stream().mapToDouble(Double::doubleValue).toArray(),
                left.stream().mapToInt(Integer::intValue).toArray(), right.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int add(Node node, List<Integer> feature, List<Double> value, List<Integer> left, List<Integer> right) {
        int id = feature.size();
        feature.add(-1);
        value.add(0.0);
        left.add(-1);
        right.add(-1);
        if (node instanceof InternalNode in) {
            if (!(in.split() instanceof ContinuousSplit cs)) {
                throw new IllegalStateException("categorical split in a forest over continuous features");
            }
            feature.set(id, cs.featureIndex());
            value.set(id, cs.threshold());
            left.set(id, add(in.leftChild(), feature, value, left, right));
            right.set(id, add(in.rightChild(), feature, value, left, right));
        } else {
            // As MLlib's predictRaw: each tree votes with its leaf's (weighted) class distribution.
            double[] stats = ((LeafNode) node).impurityStats().stats();
            double total = 0;
            for (double v : stats) {
                total += v;
            }
            value.set(id, total > 0 && stats.length > 1 ? stats[1] / total : 0);
        }
        return id;
    }

    private static Map<String, Object> importances(RandomForestClassificationModel model) {
        double[] imp = model.featureImportances().toArray();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < imp.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -imp[i]));
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i : order) {
            if (imp[i] > 0) {
                out.put(ChangeFeatures.NAMES.get(i), round(imp[i]));
            }
        }
        return out;
    }

    /** Written to a folder beside {@code modelPath}, then moved into place: a failed training leaves the old model. */
    private void save(SparkSession spark, RandomForestClassificationModel model, ChangeModel flat, Map<String, Object> summary,
                      String modelPath) {
        Path dir = new Path(modelPath);
        Path tmp = new Path(dir.getParent(), "." + dir.getName() + ".training-" + System.nanoTime());
        try {
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(dir) && !fs.exists(new Path(dir, ChangeModel.FILE))) {
                throw FarmwatchException.usage("--out " + modelPath + " exists and is not a change model: refusing to "
                        + "replace it");
            }
            model.write().overwrite().save(new Path(tmp, "mllib").toString());
            try (OutputStream o = fs.create(new Path(tmp, ChangeModel.FILE), true)) {
                flat.write(o);
            }
            try (OutputStream o = fs.create(new Path(tmp, "summary.json"), true)) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(o, summary);
            }
            Path old = new Path(dir.getParent(), "." + dir.getName() + ".replaced-" + System.nanoTime());
            if (fs.exists(dir) && !fs.rename(dir, old)) {
                throw new IOException("cannot move the previous model " + dir + " aside");
            }
            if (!fs.rename(tmp, dir)) {
                throw new IOException("cannot move " + tmp + " to " + dir);
            }
            fs.delete(old, true);
        } catch (IOException e) {
            throw FarmwatchException.input("cannot write the change model to " + modelPath + ": " + e.getMessage(), e);
        } finally {
            try {
                FileSystem fs = tmp.getFileSystem(spark.sparkContext().hadoopConfiguration());
                fs.delete(tmp, true);
            } catch (IOException ignored) {
                // The temporary folder is named as such; nothing reads it.
            }
        }
    }

    private static String describe(List<PatchVerdictSource> sources) {
        return sources.size() == 1 ? sources.get(0).describe() : sources.size() + " sources";
    }

    private static List<Map<String, Object>> describeEach(List<PatchVerdictSource> sources, Map<Integer, long[]> counts) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", sources.get(i).describe());
            long[] c = counts.getOrDefault(i, new long[2]);
            m.put("real_conversions", c[0]);
            m.put("false_alarms", c[1]);
            out.add(m);
        }
        return out;
    }

    private static Object round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 1000) / 1000.0;
    }
}
