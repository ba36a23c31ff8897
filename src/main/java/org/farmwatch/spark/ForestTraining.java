package org.farmwatch.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.classification.DecisionTreeClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.tree.ContinuousSplit;
import org.apache.spark.ml.tree.InternalNode;
import org.apache.spark.ml.tree.LeafNode;
import org.apache.spark.ml.tree.Node;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.farmwatch.classify.Classifiers;
import org.farmwatch.classify.ForestClassifier;
import org.farmwatch.classify.LandCover;
import org.farmwatch.classify.PixelFeatures;
import org.farmwatch.classify.TrainingSamples;
import org.farmwatch.config.Settings;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Compositor;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneReader;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.locationtech.jts.geom.Envelope;

/**
 * {@code farmwatch train} as Spark steps: per tile, on the executors, read and composite the scenes
 * exactly as a run does, burn the samples onto the tile and turn each labelled clear cell into a
 * {@link PixelFeatures} row; fit an MLlib random forest on that DataFrame; save the MLlib model and its
 * trees flattened for {@link ForestClassifier} into one folder. Rasters never reach the driver.
 */
public final class ForestTraining {

    /** Forest size and sampling. {@code balance} weights each class by the inverse of its cell count. */
    public record Params(int trees, int maxDepth, long seed, boolean balance) implements java.io.Serializable {}

    /** What was trained: labelled cells per class, tiles read, seconds. */
    public record Result(Map<LandCover, Long> cells, int tiles, int trees, int nodes, double seconds) {}

    private final PrintStream log;

    public ForestTraining(PrintStream log) {
        this.log = log;
    }

    public Result train(SparkSession spark, Period period, TrainingSamples samples, Settings s, Params params,
                        String modelPath) {
        long t0 = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        GridLayout layout = WorkingGrid.choose(s.grid(), period.latest(), period.latest());
        TrainingSamples.Summary summary = samples.check(layout.crs());
        Envelope area = FarmwatchJob.footprint(period, layout.crs()).intersection(summary.extent());
        if (area.isNull()) {
            throw FarmwatchException.input("samples " + samples.describe() + " do not overlap scenes " + period.sceneIds());
        }
        List<TileKey> keys = layout.keysCovering(area);
        log.printf("[farmwatch] train: %s features per class %s (label field %s), %d tiles on %s%n", samples.describe(),
                keysOf(summary.features()), summary.labelField(), keys.size(), layout.crs());
        Broadcast<Period> bp = jsc.broadcast(period);
        JavaRDD<Row> rows = jsc.parallelize(keys, Math.max(1, Math.min(keys.size(), jsc.defaultParallelism() * 2)))
                .mapPartitions(it -> featureRows(it, bp.value(), samples, layout, s));
        StructType schema = new StructType()
                .add("label", DataTypes.DoubleType, false)
                .add("features", new VectorUDT(), false);
        Dataset<Row> cells = spark.createDataFrame(rows, schema).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            // Per-class counts are a handful of numbers: the only thing the driver collects.
            Map<LandCover, Long> perClass = new EnumMap<>(LandCover.class);
            for (Row r : cells.groupBy("label").count().collectAsList()) {
                perClass.put(LandCover.ofId((int) r.getDouble(0)), r.getLong(1));
            }
            if (perClass.size() < 2) {
                throw FarmwatchException.input("samples " + samples.describe() + " label clear cells of "
                        + (perClass.isEmpty() ? "no class" : "one class only (" + keysOf(perClass) + ")")
                        + " in scenes " + period.sceneIds() + ": a classifier needs two classes at least");
            }
            log.printf("[farmwatch] train: labelled clear cells per class %s%n", keysOf(perClass));
            RandomForestClassifier rf = new RandomForestClassifier().setNumTrees(params.trees())
                    .setMaxDepth(params.maxDepth()).setSeed(params.seed()).setFeatureSubsetStrategy("sqrt")
                    .setLabelCol("label").setFeaturesCol("features");
            Dataset<Row> input = cells;
            if (params.balance()) {
                long total = perClass.values().stream().mapToLong(Long::longValue).sum();
                org.apache.spark.sql.Column w = functions.lit(1.0);
                for (Map.Entry<LandCover, Long> e : perClass.entrySet()) {
                    double weight = total / (double) (perClass.size() * e.getValue());
                    w = functions.when(functions.col("label").equalTo((double) e.getKey().id), weight).otherwise(w);
                }
                input = cells.withColumn("weight", w);
                rf.setWeightCol("weight");
            }
            RandomForestClassificationModel model = rf.fit(input);
            ForestClassifier forest = flatten(model);
            save(spark, model, forest, modelPath, perClass, period, samples, params);
            double secs = Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
            log.printf("[farmwatch] train: %d trees, %d nodes -> %s (%.1f s)%n", forest.trees(), forest.nodes(), modelPath, secs);
            return new Result(perClass, keys.size(), forest.trees(), forest.nodes(), secs);
        } finally {
            cells.unpersist();
        }
    }

    /**
     * One executor's tiles: composite, burn samples, one feature row per labelled clear cell of the tile
     * proper. Lazy, tile by tile: a task holds the rows of one tile at a time, not of all its tiles.
     */
    static Iterator<Row> featureRows(Iterator<TileKey> keys, Period period, TrainingSamples samples, GridLayout layout,
                                     Settings s) {
        Gdal.init();
        Scene stats = period.statistics();
        double[] scale = PixelFeatures.scaleOf(stats);
        int halo = s.grid().haloCells();
        SceneReader reader = new SceneReader(layout, halo, s.ingest().cloudBufferMetres());
        int win = reader.windowSize();
        byte[] labels = new byte[win * win];
        short[] valid = new short[win * win];
        return new Iterator<>() {
            private Iterator<Row> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext()) {
                    if (!keys.hasNext()) {
                        reader.close();
                        return false;
                    }
                    current = tileRows(keys.next()).iterator();
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return current.next();
            }

            private List<Row> tileRows(TileKey key) {
                List<TileBands> windows = new ArrayList<>();
                for (Scene scene : period.scenes()) {
                    windows.add(reader.read(scene, key));
                }
                TileBands tile = Compositor.composite(windows, s.ingest().compositeMethod(), valid);
                samples.labels(reader.windowOf(key), win, layout.cellSizeMetres(), layout.crs(), labels);
                List<Row> out = new ArrayList<>();
                double[] x = new double[PixelFeatures.COUNT];
                // The halo belongs to the neighbouring tiles: each cell is a sample once.
                for (int r = halo; r < win - halo; r++) {
                    for (int c = halo; c < win - halo; c++) {
                        int i = r * win + c;
                        if (labels[i] != 0 && PixelFeatures.fill(tile, i, scale, x)) {
                            out.add(RowFactory.create((double) labels[i], Vectors.dense(x.clone())));
                        }
                    }
                }
                return out;
            }
        };
    }

    /** The MLlib forest as flat arrays: per node its split (feature, threshold, children) or its leaf distribution. */
    public static ForestClassifier flatten(RandomForestClassificationModel model) {
        int nc = model.numClasses();
        List<Integer> feature = new ArrayList<>();
        List<Double> threshold = new ArrayList<>();
        List<Integer> left = new ArrayList<>();
        List<Integer> right = new ArrayList<>();
        List<double[]> leaf = new ArrayList<>();
        DecisionTreeClassificationModel[] trees = model.trees();
        int[] roots = new int[trees.length];
        for (int t = 0; t < trees.length; t++) {
            roots[t] = add(trees[t].rootNode(), nc, feature, threshold, left, right, leaf);
        }
        int n = feature.size();
        double[] prob = new double[n * nc];
        for (int i = 0; i < n; i++) {
            if (leaf.get(i) != null) {
                System.arraycopy(leaf.get(i), 0, prob, i * nc, nc);
            }
        }
        return new ForestClassifier(model.numFeatures(), nc, roots, feature.stream().mapToInt(Integer::intValue).toArray(),
                threshold.stream().mapToDouble(Double::doubleValue).toArray(), left.stream().mapToInt(Integer::intValue).toArray(),
                right.stream().mapToInt(Integer::intValue).toArray(), prob);
    }

    private static int add(Node node, int nc, List<Integer> feature, List<Double> threshold, List<Integer> left,
                           List<Integer> right, List<double[]> leaf) {
        int id = feature.size();
        feature.add(-1);
        threshold.add(0.0);
        left.add(-1);
        right.add(-1);
        leaf.add(null);
        if (node instanceof InternalNode in) {
            if (!(in.split() instanceof ContinuousSplit cs)) {
                throw new IllegalStateException("categorical split in a forest over continuous features");
            }
            feature.set(id, cs.featureIndex());
            threshold.set(id, cs.threshold());
            left.set(id, add(in.leftChild(), nc, feature, threshold, left, right, leaf));
            right.set(id, add(in.rightChild(), nc, feature, threshold, left, right, leaf));
        } else {
            // As MLlib's predictRaw: each tree votes with its leaf's class distribution.
            double[] stats = ((LeafNode) node).impurityStats().stats();
            double total = 0;
            for (double v : stats) {
                total += v;
            }
            double[] p = new double[nc];
            for (int c = 0; c < nc && c < stats.length; c++) {
                p[c] = total != 0 ? stats[c] / total : 0;
            }
            leaf.set(id, p);
        }
        return id;
    }

    private void save(SparkSession spark, RandomForestClassificationModel model, ForestClassifier forest, String modelPath,
                      Map<LandCover, Long> perClass, Period period, TrainingSamples samples, Params params) {
        try {
            model.write().overwrite().save(modelPath);
            Path dir = new Path(modelPath);
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (OutputStream o = fs.create(new Path(dir, Classifiers.FOREST_FILE), true)) {
                forest.write(o);
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("samples", samples.describe());
            meta.put("scenes", period.sceneIds());
            meta.put("features", List.of(PixelFeatures.NAMES));
            meta.put("feature_version", PixelFeatures.VERSION);
            meta.put("cells_per_class", keysOf(perClass));
            meta.put("trees", params.trees());
            meta.put("max_depth", params.maxDepth());
            meta.put("seed", params.seed());
            meta.put("balanced", params.balance());
            try (OutputStream o = fs.create(new Path(dir, "farmwatch-model.json"), true)) {
                o.write(Json.write(meta).getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw FarmwatchException.input("cannot write the model to " + modelPath + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> keysOf(Map<LandCover, Long> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k.key(), v));
        return out;
    }
}
