package org.farmwatch.spark;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.change.ChangeModel;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.change.PatchMerger;
import org.farmwatch.change.PatchOutlines;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.DuplicateParcelId;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.farmland.RejectReason;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.flag.ParcelHit;
import org.farmwatch.flag.PastVerdicts;
import org.farmwatch.flag.TileOverlay;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.osr.CoordinateTransformation;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Point;
import scala.Tuple2;

/**
 * The pipeline as Spark steps over grid tiles: detect (read, classify, compare, vectorize per
 * tile), merge patches across tile edges, overlay patches on the parcels of each tile, flag
 * parcels, and simplify the patches' published outlines. The driver handles tile keys, fragment
 * and patch ids and the final streams only; pixels and
 * parcels stay on the executors.
 */
public final class FarmwatchJob {

    /** What one run compares: two scenes, the farmland, the settings. */
    public record Inputs(Period before, Period after, ParcelSource farmland, Settings settings, String runId)
            implements java.io.Serializable {}

    /**
     * What the job computed, as Spark datasets still to be consumed, plus counts and timings. {@code patches} have
     * the cell-edge geometry the overlay used; {@code outlines} are the same patches with the outlines to publish
     * ({@code patch.simplifyMetres}; the same dataset when it is 0). {@code rejects} are
     * the farmland features left out for a repeated parcel id, as run.json "rejected" entries (at most
     * {@value #MAX_LISTED_REJECTS}; {@code counts.parcels_duplicate_id} has them all).
     */
    public record Output(GridLayout layout, int tiles, JavaRDD<ChangePatch> patches, JavaRDD<ChangePatch> outlines,
                         JavaRDD<FlaggedParcel> flagged, Map<String, Double> stageSeconds, Map<String, Long> counts,
                         List<Map<String, Object>> rejects) {}

    /** How many rejected parcel ids run.json lists by name. */
    static final int MAX_LISTED_REJECTS = 1000;

    private final PrintStream log;
    private PastVerdicts verdicts = PastVerdicts.none();
    private ChangeModel changeModel;

    public FarmwatchJob(PrintStream log) {
        this.log = log;
    }

    /** Inspectors' earlier verdicts: patches they judged false alarms or approved are not flagged again. */
    public FarmwatchJob withVerdicts(PastVerdicts past) {
        this.verdicts = past;
        return this;
    }

    /** A change model that judges every patch ({@code change.model}); null for none. */
    public FarmwatchJob withChangeModel(ChangeModel model) {
        this.changeModel = model;
        return this;
    }

    public Output run(SparkSession spark, Inputs in, Path changeTileDir) {
        return run(spark, in, changeTileDir, null);
    }

    /** As {@link #run(SparkSession, Inputs, Path)}, reusing and storing finished tiles in the tile store at {@code storeUri} (null: none). */
    public Output run(SparkSession spark, Inputs in, Path changeTileDir, String storeUri) {
        return run(spark, in, changeTileDir.toAbsolutePath().toString(), storeUri);
    }

    /**
     * As {@link #run(SparkSession, Inputs, Path, String)} with the change-tile folder given as a local path or
     * a Hadoop URI ending in {@code /.change-tiles} (tiles then go there through {@link TileOutbox}).
     */
    public Output run(SparkSession spark, Inputs in, String changeTileDir, String storeUri) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ProgressListener progress = new ProgressListener(log);
        spark.sparkContext().addSparkListener(progress);
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        Settings s = in.settings();

        long t0 = System.nanoTime();
        GridLayout layout = WorkingGrid.choose(s.grid(), in.before().latest(), in.after().latest());
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
        Broadcast<Inputs> bin = jsc.broadcast(in);
        JavaRDD<PatchFragment> fragments = DetectStep.run(jsc, bin, layout, keys, changeTileDir, storeUri, counts, log);
        seconds.put("detect", secs(t0));
        log.printf("[farmwatch] detect: %d tiles, %d change fragments, %.1f s%n", keys.size(), counts.get("fragments"),
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
        double mmu = s.change().minPatchAreaM2();
        double minConfidence = s.change().minConfidence();
        // With a change model, its probability is the confidence, and its threshold demotes further what
        // change.minConfidence would send.
        Broadcast<ChangeModel> model = changeModel == null ? null : jsc.broadcast(changeModel);
        double modelThreshold = changeModel == null ? Double.NaN
                : Double.isNaN(s.change().modelThreshold()) ? changeModel.suggestedThreshold() : s.change().modelThreshold();
        LongAccumulator demotedByModel = jsc.sc().longAccumulator("patches_demoted_by_model");
        JavaRDD<ChangePatch> patches = fragments
                .mapToPair(f -> new Tuple2<>(group.value().getOrDefault(f.fragmentId(), f.fragmentId()), f))
                .groupByKey()
                .map(e -> {
                    List<PatchFragment> parts = new ArrayList<>();
                    e._2().forEach(parts::add);
                    ChangePatch p = PatchMerger.dissolve(parts, layout, detector, s.rules(), beforeDate, afterDate, mmu);
                    if (p == null) {
                        return null;
                    }
                    ChangePatch sent = p.demotedBelow(minConfidence);
                    if (model == null) {
                        return sent;
                    }
                    // The model judges what would be sent to inspectors: it learnt from their verdicts on such patches.
                    ChangePatch judged = sent.judgedBy(model.value(), modelThreshold);
                    if (judged.changeType() != sent.changeType()) {
                        demotedByModel.add(1);
                    }
                    return judged;
                })
                .filter(p -> p != null)
                .persist(StorageLevel.MEMORY_AND_DISK());
        long patchCount = patches.count();
        if (model != null) {
            counts.put("patches_demoted_by_model", demotedByModel.value());
            log.printf("[farmwatch] change model %s: %d patches below its threshold %.3f went to low_confidence%n",
                    s.change().model(), demotedByModel.value(), modelThreshold);
        }
        fragments.unpersist();
        counts.put("edge_joins", (long) joins.size());
        counts.put("patches", patchCount);
        seconds.put("merge", secs(t0));
        log.printf("[farmwatch] merge: %d joins across tile edges, %d patches, %.1f s%n", joins.size(), patchCount,
                seconds.get("merge"));

        // Step 3: overlay patches on the parcels of each tile they touch, then flag per parcel.
        t0 = System.nanoTime();
        progress.step("overlay");
        JavaRDD<FlaggedParcel> flagged = overlayAndFlag(jsc, patches, bin, layout, verdicts, counts);
        seconds.put("overlay", secs(t0));
        log.printf("[farmwatch] overlay: %d parcel reads, %d flagged parcels, %.1f s%n", counts.get("parcels_read"),
                counts.get("flagged_parcels"), seconds.get("overlay"));

        // Step 4: the outlines to publish, simplified as a coverage; the overlay above used the cell edges.
        double simplify = PatchOutlines.tolerance(s.change().simplifyMetres(), layout);
        JavaRDD<ChangePatch> outlines = patches;
        if (simplify > 0) {
            t0 = System.nanoTime();
            progress.step("outline");
            outlines = OutlineStep.run(jsc, patches, layout, simplify, counts);
            seconds.put("outline", secs(t0));
            log.printf("[farmwatch] outline: %.1f m tolerance, %d vertices on cell edges, %d published, %.1f s%n", simplify,
                    counts.get("outline_vertices_cell_edges"), counts.get("outline_vertices_published"), seconds.get("outline"));
        }
        spark.sparkContext().removeSparkListener(progress);
        return new Output(layout, keys.size(), patches, outlines, flagged, seconds, counts, rejects);
    }

    /**
     * Step 3, also what the bench's overlay workload times: patches under a rule go to every tile their box
     * touches; per tile, the parcels are read from the source and intersected. A parcel whose box lies in one
     * tile gets all its hits there and is flagged on the spot; the hits on parcels across tile edges meet by
     * parcel id and are flagged then. Returns the flagged parcels, computed and counted (kept as bytes, decoded
     * by each reader); adds the step's counts. What moves between tasks is plain bytes ({@link OverlayWire}).
     */
    public static JavaRDD<FlaggedParcel> overlayAndFlag(JavaSparkContext jsc, JavaRDD<ChangePatch> patches,
                                                 Broadcast<Inputs> bin, GridLayout layout, PastVerdicts verdicts,
                                                 Map<String, Long> counts) {
        LongAccumulator parcelsRead = jsc.sc().longAccumulator("parcels_read");
        LongAccumulator rejected = jsc.sc().longAccumulator("parcels_rejected");
        LongAccumulator suppressed = jsc.sc().longAccumulator("hits_suppressed_by_verdicts");
        Broadcast<PastVerdicts> past = jsc.broadcast(verdicts);
        // Farmland on a Hadoop file system is fetched with Spark's Hadoop configuration.
        org.farmwatch.util.HadoopFs.Conf hadoop = new org.farmwatch.util.HadoopFs.Conf(jsc.hadoopConfiguration());
        int parts = Math.max(patches.getNumPartitions(), jsc.defaultParallelism() * 2);
        // Each patch as bytes under its tiles' packed keys, packed into a few chunks per partition
        // (OverlayWire.Outbox): Spark moves byte arrays, and the tasks group their tiles' patches themselves.
        // The overlaid tiles are kept, so that they are overlaid once for the two branches below: chunks of bytes,
        // which Spark neither serializes nor has to estimate the size of.
        JavaRDD<byte[]> overlaid = patches
                // Low-priority patches (bare soil) flag no parcel: not worth overlaying.
                .filter(p -> !p.rule().isEmpty() && p.changeType().flagsParcels())
                .mapPartitionsToPair(it -> OverlayWire.Outbox.<ChangePatch>stream(it, parts, (p, outbox) -> {
                    byte[] wire = OverlayWire.patch(p);
                    for (TileKey k : layout.keysCovering(p.geometry().getEnvelopeInternal())) {
                        outbox.add(OverlayWire.partitionOf(Long.hashCode(packed(k)), parts), packed(k), wire);
                    }
                }))
                .partitionBy(new HashPartitioner(parts))
                .mapPartitions(it -> overlay(it, bin.value(), layout, parcelsRead, rejected, past.value(), suppressed,
                        hadoop))
                .persist(StorageLevel.MEMORY_AND_DISK());
        // Parcels flagged in their tile stay where they are; only hits on parcels across tile edges meet, in one
        // exchange by parcel id.
        JavaRDD<byte[]> acrossEdges = overlaid
                .mapPartitionsToPair(it -> OverlayWire.Outbox.<byte[]>stream(it, parts, (chunk, outbox) ->
                        OverlayWire.spans(chunk, OverlayWire.HITS, (from, to) -> {
                            String parcelId = OverlayWire.hitsParcelId(chunk, from + OverlayWire.RECORD_HEADER);
                            outbox.add(OverlayWire.partitionOf(parcelId.hashCode(), parts), chunk, from, to);
                        })))
                .partitionBy(new HashPartitioner(parts))
                .mapPartitions(it -> flag(it, bin.value(), layout))
                .persist(StorageLevel.MEMORY_AND_DISK());
        JavaRDD<byte[]> chunks = overlaid.union(acrossEdges);
        long flaggedCount = chunks.map(c -> OverlayWire.count(c, OverlayWire.FLAGGED)).fold(0L, Long::sum);
        counts.put("parcels_read", parcelsRead.value());
        counts.put("parcels_rejected", rejected.value());
        counts.put("hits_suppressed_by_verdicts", suppressed.value());
        counts.put("flagged_parcels", flaggedCount);
        return chunks.flatMap(OverlayWire::flagged);
    }

    /** A tile key as one long, the shuffle key of the overlay (cheaper to move than the record). */
    static long packed(TileKey k) {
        return (long) k.col() << 32 | (k.row() & 0xffffffffL);
    }

    static TileKey unpacked(long k) {
        return new TileKey((int) (k >> 32), (int) k);
    }

    /** A task's shuffled pairs grouped by key, in first-seen order (the outline step's). */
    static <K, V> LinkedHashMap<K, List<V>> byKey(Iterator<Tuple2<K, V>> pairs) {
        LinkedHashMap<K, List<V>> groups = new LinkedHashMap<>();
        while (pairs.hasNext()) {
            Tuple2<K, V> t = pairs.next();
            groups.computeIfAbsent(t._1(), k -> new ArrayList<>()).add(t._2());
        }
        return groups;
    }

    /** The union of a period's scene footprints in {@code crs}. */
    static Envelope footprint(Period p, String crs) {
        Envelope e = new Envelope();
        p.scenes().forEach(sc -> e.expandToInclude(SceneCatalog.footprint(sc, crs)));
        return e;
    }

    public static ChangeDetector detector(Settings s) {
        return StageOptions.detect(s).detector();
    }

    /** Step 3 in one task: the tiles' patches decoded and overlaid tile by tile ({@link TileOverlay}). */
    private static Iterator<byte[]> overlay(Iterator<Tuple2<Integer, byte[]>> shuffled, Inputs in, GridLayout layout,
                                            LongAccumulator read, LongAccumulator rejected, PastVerdicts past,
                                            LongAccumulator suppressed, org.farmwatch.util.HadoopFs.Conf hadoop) {
        Gdal.init();
        org.farmwatch.util.HadoopFs.use(hadoop.get()); // farmland on a Hadoop file system
        Map<Long, List<byte[]>> byTile = new HashMap<>();
        shuffled.forEachRemaining(t -> OverlayWire.keyed(t._2(),
                (tile, patch) -> byTile.computeIfAbsent(tile, k -> new ArrayList<>()).add(patch)));
        TileOverlay overlay = new TileOverlay(layout, in.settings().rules(), past, lonLat(layout));
        OverlayWire.ChunkWriter out = new OverlayWire.ChunkWriter();
        TileOverlay.Sink sink = new TileOverlay.Sink() {
            @Override
            public void flagged(FlaggedParcel parcel) {
                out.flagged(parcel);
            }

            @Override
            public void acrossEdges(List<ParcelHit> hitsOnOneParcel) {
                out.hits(hitsOnOneParcel);
            }
        };
        // Row by row: neighbouring tiles read neighbouring pages of the farmland file.
        List<TileKey> tiles = new ArrayList<>();
        byTile.keySet().forEach(k -> tiles.add(unpacked(k)));
        tiles.sort(java.util.Comparator.comparingInt(TileKey::row).thenComparingInt(TileKey::col));
        try (ParcelSource.Reader parcels = in.farmland().reader(layout.crs())) {
            for (TileKey tile : tiles) {
                // Decoded tile by tile, and let go of once overlaid.
                List<byte[]> wire = byTile.remove(packed(tile));
                List<ChangePatch> here = new ArrayList<>(wire.size());
                wire.forEach(b -> here.add(OverlayWire.patch(b)));
                read.add(overlay.overlay(tile, here, parcels, sink, reason -> rejected.add(1), () -> suppressed.add(1)));
            }
        }
        return out.chunks();
    }

    /** Flags the parcels across tile edges from all their tiles' hits, which meet here by parcel id. */
    private static Iterator<byte[]> flag(Iterator<Tuple2<Integer, byte[]>> shuffled, Inputs in, GridLayout layout) {
        Gdal.init();
        TileOverlay flagger = new TileOverlay(layout, in.settings().rules(), PastVerdicts.none(), lonLat(layout));
        OverlayWire.ChunkWriter out = new OverlayWire.ChunkWriter();
        List<ParcelHit> hits = new ArrayList<>();
        Map<String, List<byte[]>> byParcel = new LinkedHashMap<>();
        shuffled.forEachRemaining(t -> OverlayWire.records(t._2(), OverlayWire.HITS,
                r -> byParcel.computeIfAbsent(OverlayWire.hitsParcelId(r), k -> new ArrayList<>()).add(r)));
        for (List<byte[]> records : byParcel.values()) {
            hits.clear();
            records.forEach(r -> OverlayWire.hits(r, hits));
            FlaggedParcel f = flagger.flag(hits);
            if (f != null) {
                out.flagged(f);
            }
        }
        return out.chunks();
    }

    /** A parcel's interior point in CGCS2000 longitude and latitude, for inspectors. */
    private static java.util.function.Function<org.farmwatch.farmland.Parcel, double[]> lonLat(GridLayout layout) {
        CoordinateTransformation toCgcs = toCgcs(layout);
        return parcel -> {
            Point c = parcel.geometry().getInteriorPoint();
            double[] ll = toCgcs.TransformPoint(c.getX(), c.getY());
            return new double[] {ll[0], ll[1]};
        };
    }

    private static CoordinateTransformation toCgcs(GridLayout layout) {
        return CoordinateTransformation.CreateCoordinateTransformation(SceneCatalog.srs(layout.crs()),
                SceneCatalog.srs("EPSG:4490"));
    }

    private static double secs(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
    }
}
