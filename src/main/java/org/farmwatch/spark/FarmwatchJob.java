package org.farmwatch.spark;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.change.PatchMerger;
import org.farmwatch.change.Persistence;
import org.farmwatch.change.TileVectorizer;
import org.farmwatch.classify.Classifier;
import org.farmwatch.classify.Classifiers;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.DuplicateParcelId;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.farmland.RejectReason;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.flag.ParcelFlagger;
import org.farmwatch.flag.ParcelHit;
import org.farmwatch.flag.ParcelOverlay;
import org.farmwatch.flag.PastVerdicts;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Compositor;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.SceneReader;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.publish.ChangeRaster;
import org.farmwatch.publish.TrueColourCog;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.osr.CoordinateTransformation;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Point;
import org.locationtech.jts.index.strtree.STRtree;
import scala.Tuple2;

/**
 * The pipeline as Spark steps over grid tiles: detect (read, classify, compare, vectorize per
 * tile), merge patches across tile edges, overlay patches on the parcels of each tile, and flag
 * parcels. The driver handles tile keys, fragment ids and the final streams only; pixels and
 * parcels stay on the executors.
 */
public final class FarmwatchJob {

    /** What one run compares: two scenes, the farmland, the settings. */
    public record Inputs(Period before, Period after, ParcelSource farmland, Settings settings, String runId)
            implements java.io.Serializable {}

    /**
     * What the job computed, as Spark datasets still to be consumed, plus counts and timings. {@code rejects} are
     * the farmland features left out for a repeated parcel id, as run.json "rejected" entries (at most
     * {@value #MAX_LISTED_REJECTS}; {@code counts.parcels_duplicate_id} has them all).
     */
    public record Output(GridLayout layout, int tiles, JavaRDD<ChangePatch> patches, JavaRDD<FlaggedParcel> flagged,
                         Map<String, Double> stageSeconds, Map<String, Long> counts, List<Map<String, Object>> rejects) {}

    /** How many rejected parcel ids run.json lists by name. */
    static final int MAX_LISTED_REJECTS = 1000;

    private final PrintStream log;
    private PastVerdicts verdicts = PastVerdicts.none();

    public FarmwatchJob(PrintStream log) {
        this.log = log;
    }

    /** Inspectors' earlier verdicts: patches they judged false alarms or approved are not flagged again. */
    public FarmwatchJob withVerdicts(PastVerdicts past) {
        this.verdicts = past;
        return this;
    }

    public Output run(SparkSession spark, Inputs in, Path changeTileDir) {
        return run(spark, in, changeTileDir, null);
    }

    /** As {@link #run(SparkSession, Inputs, Path)}, reusing and storing finished tiles in the tile store at {@code storeUri} (null: none). */
    public Output run(SparkSession spark, Inputs in, Path changeTileDir, String storeUri) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ProgressListener progress = new ProgressListener(log);
        spark.sparkContext().addSparkListener(progress);
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        Settings s = in.settings();

        long t0 = System.nanoTime();
        GridLayout layout = WorkingGrid.choose(s, in.before().latest(), in.after().latest());
        Envelope area = footprint(in.before(), layout.crs()).intersection(footprint(in.after(), layout.crs()));
        if (area.isNull() || area.getArea() <= 0) {
            throw FarmwatchException.input("scenes " + in.before().sceneIds() + " and " + in.after().sceneIds()
                    + " do not overlap");
        }
        ParcelSource.SourceSummary farmland = in.farmland().check(layout.crs());
        area = area.intersection(farmland.extent());
        if (area.isNull() || area.getArea() <= 0) {
            throw FarmwatchException.input("farmland " + in.farmland().describe() + " does not overlap the scenes");
        }
        if (!verdicts.isEmpty() && !verdicts.crs().equalsIgnoreCase(layout.crs())) {
            throw FarmwatchException.usage("the one map's judged patches are in " + verdicts.crs() + " but this run's grid is "
                    + layout.crs() + "; set grid.crs = " + verdicts.crs() + " or use another --onemap-schema");
        }
        List<TileKey> keys = layout.keysCovering(area);
        counts.put("tiles", (long) keys.size());
        counts.put("parcels_in_source", farmland.featureCount());
        // Features that repeat a parcel id are left out by the source (the first usable one is kept): listed,
        // so that the flag step, which gathers hits by parcel id, never merges two parcels or counts one twice.
        List<Map<String, Object>> rejects = new ArrayList<>();
        long duplicateFeatures = 0;
        for (DuplicateParcelId d : farmland.duplicates()) {
            duplicateFeatures += d.rejectedFids().size();
            if (rejects.size() < MAX_LISTED_REJECTS) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("parcel_id", d.parcelId());
                m.put("source_fids", d.rejectedFids());
                m.put("reason", RejectReason.DUPLICATE_PARCEL_ID.text());
                m.put("detail", d.detail());
                rejects.add(m);
            }
        }
        counts.put("parcels_duplicate_id", duplicateFeatures);
        if (duplicateFeatures > 0) {
            log.printf("[farmwatch] farmland: %d parcel ids are carried by several features; %d later features left "
                    + "out (run.json \"rejected\")%n", farmland.duplicates().size(), duplicateFeatures);
        }
        log.printf("[farmwatch] grid %s, %.0f m cells, %d x %d cell tiles: %d tiles to process%n", layout.crs(),
                layout.cellSizeMetres(), layout.tileSize(), layout.tileSize(), keys.size());
        seconds.put("plan", secs(t0));

        // Step 1: per tile, read both scenes, classify, detect change, vectorize.
        t0 = System.nanoTime();
        progress.step("detect");
        int parallelism = Math.max(1, Math.min(keys.size(), jsc.defaultParallelism() * 2));
        // parallelize() slices the row-major key list into contiguous runs: neighbouring tiles stay together.
        JavaRDD<TileKey> tiles = jsc.parallelize(keys, parallelism);
        Broadcast<Inputs> bin = jsc.broadcast(in);
        LongAccumulator clearCells = jsc.sc().longAccumulator("clear_cells");
        LongAccumulator changedCells = jsc.sc().longAccumulator("changed_cells");
        String tileDir = changeTileDir.toAbsolutePath().toString();
        TileStore store = storeUri == null ? null : TileStore.open(storeUri, jsc.hadoopConfiguration(), layout,
                in.before(), in.after(), s);
        DetectCounters dc = new DetectCounters(jsc);
        LongAccumulator classifyDetectNanos = jsc.sc().longAccumulator("classify_detect_cpu_ns");
        JavaRDD<PatchFragment> fragments = tiles.mapPartitions(it -> detect(it, bin.value(), layout, tileDir,
                clearCells, changedCells, store, dc, classifyDetectNanos)).persist(StorageLevel.MEMORY_AND_DISK());
        long fragmentCount = fragments.count();
        if (clearCells.value() == 0) {
            // All masked: "no change" would read like a clear scene with nothing found.
            throw FarmwatchException.input("--after scenes " + in.after().sceneIds()
                    + " have no clear observation over the farmland (all cells cloud-masked or outside the scenes)");
        }
        counts.put("fragments", fragmentCount);
        counts.put("clear_cells", clearCells.value());
        counts.put("changed_cells", changedCells.value());
        dc.report(counts, store, log);
        seconds.put("detect", secs(t0));
        // For the bench's classify + detect figure: grid cells (tile cores) over summed task CPU time.
        counts.put("classify_detect_cells", (long) keys.size() * layout.tileSize() * layout.tileSize());
        counts.put("classify_detect_cpu_ms", classifyDetectNanos.value() / 1_000_000);
        log.printf("[farmwatch] detect: %d tiles, %d change fragments, %.1f s%n", keys.size(), fragmentCount,
                seconds.get("detect"));

        // Step 2: join fragments across tile edges. Only fragment ids reach the driver.
        t0 = System.nanoTime();
        progress.step("merge");
        double tol = layout.cellSizeMetres() * 1e-3;
        List<String[]> joins = fragments.filter(f -> f.edges() != 0)
                .flatMapToPair(f -> PatchMerger.edgeKeys(f).stream().map(k -> new Tuple2<>(k, f)).iterator())
                .groupByKey()
                .flatMap(e -> PatchMerger.joinsAcross(e._2(), tol).iterator())
                .collect();
        Broadcast<Map<String, String>> group = jsc.broadcast(new HashMap<>(PatchMerger.groups(joins)));
        ChangeDetector detector = detector(s);
        String beforeDate = in.before().date().toString();
        // (A period's date is its latest acquisition.)
        String afterDate = in.after().date().toString();
        double mmu = s.minPatchAreaM2();
        JavaRDD<ChangePatch> patches = fragments
                .mapToPair(f -> new Tuple2<>(group.value().getOrDefault(f.fragmentId(), f.fragmentId()), f))
                .groupByKey()
                .map(e -> {
                    List<PatchFragment> parts = new ArrayList<>();
                    e._2().forEach(parts::add);
                    return PatchMerger.dissolve(parts, layout, detector, s.rules(), beforeDate, afterDate, mmu);
                })
                .filter(p -> p != null)
                .persist(StorageLevel.MEMORY_AND_DISK());
        long patchCount = patches.count();
        fragments.unpersist();
        counts.put("edge_joins", (long) joins.size());
        counts.put("patches", patchCount);
        seconds.put("merge", secs(t0));
        log.printf("[farmwatch] merge: %d joins across tile edges, %d patches, %.1f s%n", joins.size(), patchCount,
                seconds.get("merge"));

        // Step 3: overlay patches on the parcels of each tile they touch, then flag per parcel.
        t0 = System.nanoTime();
        progress.step("overlay");
        LongAccumulator parcelsRead = jsc.sc().longAccumulator("parcels_read");
        LongAccumulator rejected = jsc.sc().longAccumulator("parcels_rejected");
        LongAccumulator suppressed = jsc.sc().longAccumulator("hits_suppressed_by_verdicts");
        Broadcast<PastVerdicts> past = jsc.broadcast(verdicts);
        JavaPairRDD<TileKey, ChangePatch> byTile = patches
                .filter(p -> !p.rule().isEmpty())
                .flatMapToPair(p -> layout.keysCovering(p.geometry().getEnvelopeInternal()).stream()
                        .map(k -> new Tuple2<>(k, p)).iterator());
        JavaRDD<ParcelHit> hits = byTile.groupByKey().mapPartitions(it -> overlay(it, bin.value(), layout,
                parcelsRead, rejected, past.value(), suppressed));
        JavaRDD<FlaggedParcel> flagged = hits
                .mapToPair(h -> new Tuple2<>(h.parcel().parcelId(), h))
                .groupByKey()
                .mapPartitions(it -> flag(it, bin.value(), layout))
                .persist(StorageLevel.MEMORY_AND_DISK());
        long flaggedCount = flagged.count();
        counts.put("parcels_read", parcelsRead.value());
        counts.put("parcels_rejected", rejected.value());
        counts.put("hits_suppressed_by_verdicts", suppressed.value());
        counts.put("flagged_parcels", flaggedCount);
        seconds.put("overlay", secs(t0));
        log.printf("[farmwatch] overlay: %d parcel reads, %d flagged parcels, %.1f s%n", parcelsRead.value(),
                flaggedCount, seconds.get("overlay"));
        spark.sparkContext().removeSparkListener(progress);
        return new Output(layout, keys.size(), patches, flagged, seconds, counts, rejects);
    }

    /** The union of a period's scene footprints in {@code crs}. */
    static Envelope footprint(Period p, String crs) {
        Envelope e = new Envelope();
        p.scenes().forEach(sc -> e.expandToInclude(SceneCatalog.footprint(sc, crs)));
        return e;
    }

    static ChangeDetector detector(Settings s) {
        return new ChangeDetector(s.rules(), s.changeThreshold(), s.spectralThreshold(), s.vegetationThreshold(),
                s.keepOther());
    }

    /** Tiles taken from the tile store, tiles computed, and bytes of raster data read from the scenes. */
    record DetectCounters(LongAccumulator reused, LongAccumulator computed, LongAccumulator bytesRead)
            implements java.io.Serializable {
        DetectCounters(JavaSparkContext jsc) {
            this(jsc.sc().longAccumulator("tiles_reused"), jsc.sc().longAccumulator("tiles_computed"),
                    jsc.sc().longAccumulator("bytes_read"));
        }

        void report(Map<String, Long> counts, TileStore store, PrintStream log) {
            counts.put("tiles_reused", reused.value());
            counts.put("tiles_computed", computed.value());
            counts.put("bytes_read", bytesRead.value());
            log.printf("[farmwatch] tile store %s: %d tiles reused, %d computed, %.1f MB of raster data read%n",
                    store == null ? "off" : store.describe(), reused.value(), computed.value(), bytesRead.value() / 1e6);
        }
    }

    private static Iterator<PatchFragment> detect(Iterator<TileKey> keys, Inputs in, GridLayout layout, String tileDir,
                                                 LongAccumulator clear, LongAccumulator changed, TileStore store,
                                                 DetectCounters dc, LongAccumulator classifyDetectNanos) {
        Gdal.init();
        Settings s = in.settings();
        Classifier classifier = Classifiers.from(s);
        ChangeDetector detector = detector(s);
        Persistence persistence = Double.isNaN(s.persistenceShare()) ? null : new Persistence(s.persistenceShare());
        TileVectorizer vectorizer = new TileVectorizer(layout, s.haloCells(), s.minPatchAreaM2());
        List<PatchFragment> out = new ArrayList<>();
        Scene beforeStats = in.before().statistics();
        Scene afterStats = in.after().statistics();
        // CPU time (not wall: the machine may be shared) of classification and change detection alone.
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        // True-colour tiles for the QGIS composites, from the composites already in memory.
        Path trueColour = TrueColourCog.tilesBeside(Path.of(tileDir));
        double[] beforeStretch = TrueColourCog.stretch(beforeStats);
        double[] afterStretch = TrueColourCog.stretch(afterStats);
        try (SceneReader reader = new SceneReader(layout, s.haloCells(), s.cloudBufferMetres())) {
            int win = reader.windowSize();
            byte[] beforeClass = new byte[win * win];
            byte[] afterClass = new byte[win * win];
            byte[] code = new byte[win * win];
            float[] conf = new float[win * win];
            short[] beforeValid = new short[win * win];
            short[] afterValid = new short[win * win];
            // The tile's radiometric fit of the current period to the baseline; reused from tile to tile.
            org.farmwatch.change.RadiometricFit fit = null;
            // Per current observation, its own classes (persistence); kept from tile to tile.
            List<byte[]> observations = new ArrayList<>();
            while (keys.hasNext()) {
                TileKey key = keys.next();
                // What this loop reads (scenes, statistics, settings) must enter TileStore's digest.
                Path tileFile = Path.of(tileDir, key.col() + "_" + key.row() + ".tif");
                String digest = store == null ? null : store.digest(key);
                TileStore.Entry stored = digest == null ? null : store.load(digest);
                Path beforeRgb = trueColour.resolve("before").resolve(key.col() + "_" + key.row() + ".tif");
                Path afterRgb = trueColour.resolve("after").resolve(key.col() + "_" + key.row() + ".tif");
                if (stored != null) {
                    TileStore.writeFile(tileFile, stored.changeTile());
                    TileStore.writeFile(beforeRgb, stored.beforeTrueColour());
                    TileStore.writeFile(afterRgb, stored.afterTrueColour());
                    out.addAll(stored.fragments());
                    clear.add(stored.clearCells());
                    changed.add(stored.changedCells());
                    dc.reused().add(1);
                    continue;
                }
                long bytesBefore = reader.bytesRead();
                TileBands before = composite(reader, in.before(), key, s.compositeMethod(), beforeValid, null);
                List<TileBands> afterWindows = new ArrayList<>();
                TileBands after = composite(reader, in.after(), key, s.compositeMethod(), afterValid, afterWindows);
                long cpu0 = cpu.getCurrentThreadCpuTime();
                classifier.classify(before, beforeStats, beforeClass);
                classifier.classify(after, afterStats, afterClass);
                fit = detector.detect(before, beforeStats, beforeClass, after, afterStats, afterClass, code, conf, fit);
                if (persistence != null && afterWindows.size() > 1) {
                    // Each current observation classified on its own: a change must hold in most of them.
                    while (observations.size() < afterWindows.size()) {
                        observations.add(new byte[win * win]);
                    }
                    for (int o = 0; o < afterWindows.size(); o++) {
                        classifier.classify(afterWindows.get(o), in.after().scenes().get(o), observations.get(o));
                    }
                    persistence.confirm(code, conf, observations.subList(0, afterWindows.size()), detector);
                }
                classifyDetectNanos.add(cpu.getCurrentThreadCpuTime() - cpu0);
                clear.add(after.clearCount());
                List<PatchFragment> found = vectorizer.vectorize(key, code, conf);
                out.addAll(found);
                long n = ChangeRaster.writeTile(Path.of(tileDir), layout, key, s.haloCells(), code, beforeClass, afterClass,
                        beforeValid, afterValid, detector, s.rules());
                changed.add(n);
                TrueColourCog.writeTile(trueColour.resolve("before"), layout, key, s.haloCells(), before, beforeStretch);
                TrueColourCog.writeTile(trueColour.resolve("after"), layout, key, s.haloCells(), after, afterStretch);
                dc.bytesRead().add(reader.bytesRead() - bytesBefore);
                dc.computed().add(1);
                if (store != null) {
                    store.save(digest, new TileStore.Entry(found, after.clearCount(), n, TileStore.readFile(tileFile),
                            TileStore.readFile(beforeRgb), TileStore.readFile(afterRgb)));
                }
            }
        }
        return out.iterator();
    }

    /**
     * One period's clear-sky window of a tile: every scene read and masked, then composited. The scenes'
     * own windows, in the period's scene order, are added to {@code keep} unless it is null.
     */
    private static TileBands composite(SceneReader reader, Period period, TileKey key, Compositor.Method method,
                                       short[] validCount, List<TileBands> keep) {
        List<TileBands> windows = new ArrayList<>(period.scenes().size());
        for (Scene scene : period.scenes()) {
            windows.add(reader.read(scene, key));
        }
        if (keep != null) {
            keep.addAll(windows);
        }
        return Compositor.composite(windows, method, validCount);
    }

    private static Iterator<ParcelHit> overlay(Iterator<Tuple2<TileKey, Iterable<ChangePatch>>> groups, Inputs in,
                                               GridLayout layout, LongAccumulator read, LongAccumulator rejected,
                                               PastVerdicts past, LongAccumulator suppressed) {
        Gdal.init();
        ParcelOverlay overlay = new ParcelOverlay(layout, in.settings().rules());
        List<ParcelHit> out = new ArrayList<>();
        while (groups.hasNext()) {
            Tuple2<TileKey, Iterable<ChangePatch>> g = groups.next();
            TileKey tile = g._1();
            STRtree index = ParcelOverlay.index(g._2());
            java.util.function.Consumer<ParcelHit> sink = out::add;
            if (!past.isEmpty()) {
                // A patch judged false alarm or approved on this parcel before, and not grown since, is no new finding.
                Map<String, ChangePatch> byId = new HashMap<>();
                g._2().forEach(p -> byId.put(p.patchId(), p));
                sink = hit -> {
                    if (past.suppressing(hit.parcel().parcelId(), byId.get(hit.patchId())) == null) {
                        out.add(hit);
                    } else {
                        suppressed.add(1);
                    }
                };
            }
            java.util.function.Consumer<ParcelHit> hits = sink;
            in.farmland().forEachIn(layout.extentOf(tile), layout.crs(), parcel -> {
                read.add(1);
                overlay.overlay(tile, index, parcel, hits);
            }, reason -> rejected.add(1));
        }
        return out.iterator();
    }

    private static Iterator<FlaggedParcel> flag(Iterator<Tuple2<String, Iterable<ParcelHit>>> parcels, Inputs in,
                                                GridLayout layout) {
        Gdal.init();
        ParcelFlagger flagger = new ParcelFlagger(in.settings().rules());
        CoordinateTransformation toCgcs = CoordinateTransformation.CreateCoordinateTransformation(
                SceneCatalog.srs(layout.crs()), SceneCatalog.srs("EPSG:4490"));
        List<FlaggedParcel> out = new ArrayList<>();
        while (parcels.hasNext()) {
            Tuple2<String, Iterable<ParcelHit>> p = parcels.next();
            Iterator<ParcelHit> first = p._2().iterator();
            Point c = first.next().parcel().geometry().getInteriorPoint();
            double[] ll = toCgcs.TransformPoint(c.getX(), c.getY());
            FlaggedParcel f = flagger.flag(p._2(), new double[] {ll[0], ll[1]});
            if (f != null) {
                out.add(f);
            }
        }
        return out.iterator();
    }

    private static double secs(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
    }
}
