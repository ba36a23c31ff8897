package org.farmwatch.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.GpkgParcelReader;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.farmland.ParcelSources;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.flag.PastVerdicts;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.spark.FarmwatchJob;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.WKBReader;

/**
 * The driver of jobs/bench's overlay workload (jobs/lib/bench-overlay.sh): reads ready-made change patches
 * from a GeoPackage layer {@code patches} (fields {@code patch_id}, {@code code} = from x 16 + to class id, in
 * the working CRS) on the executors, straight from its SQLite table, and runs {@link FarmwatchJob#overlayAndFlag},
 * the very step {@code run} takes, on them against a farmland source: one timed step from both GeoPackages to the
 * flagged parcels counted. Writes the flagged parcels as CSV and the timings as JSON.
 *
 * <pre>java ... org.farmwatch.bench.OverlayBench --farmland SOURCE --patches GPKG --out DIR [--master M] [--conf FILE] [--again N]</pre>
 * {@code --again N} runs the step N more times, untimed by the comparisons, as a diagnostic of the JIT's share.
 */
public final class OverlayBench {
    private OverlayBench() {}

    public static void main(String[] args) throws IOException {
        org.farmwatch.util.JitPolicy.install();
        Map<String, String> a = new LinkedHashMap<>(Map.of("--master", "local[2]"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        for (String k : List.of("--farmland", "--patches", "--out")) {
            if (!a.containsKey(k)) {
                throw new IllegalArgumentException("overlay bench: " + k + " is required");
            }
        }
        Settings s = a.containsKey("--conf") ? Settings.load(Path.of(a.get("--conf"))) : Settings.defaults();
        String patchFile = Path.of(a.get("--patches")).toAbsolutePath().toString();
        Path out = Path.of(a.get("--out"));
        Files.createDirectories(out);
        Gdal.init();
        String crs;
        long patchFeatures;
        String fidColumn;
        String geomColumn;
        DataSource ds = ogr.Open(patchFile, 0);
        if (ds == null) {
            throw new IllegalArgumentException("overlay bench: cannot open patches " + patchFile);
        }
        try {
            Layer l = ds.GetLayerByName("patches");
            crs = "EPSG:" + l.GetSpatialRef().GetAuthorityCode(null);
            patchFeatures = l.GetFeatureCount(1);
            fidColumn = l.GetFIDColumn().isEmpty() ? "fid" : l.GetFIDColumn();
            geomColumn = l.GetGeometryColumn();
        } finally {
            ds.delete();
        }
        double cell = s.grid().autoCellSize() ? 10 : s.grid().cellSizeMetres();
        // The fixed origin WorkingGrid gives every run.
        GridLayout layout = new GridLayout(crs, 0, 10_000_000, cell, s.grid().tileSize());
        ParcelSource farmland = ParcelSources.open(a.get("--farmland"), s.fields());
        ParcelSource.SourceSummary summary = farmland.check(crs);

        SparkSession spark = SparkSessions.create("farmwatch bench overlay", a.get("--master"));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("parcels_in_source", summary.featureCount());
        // A running session has run a job: Spark's own first-job costs (its classes loaded, its scheduling code
        // compiled) are start-up too. One tiny job on the two threads, touching none of the workload's code.
        jsc.parallelize(List.of(1, 2, 3, 4), 2).map(i -> i * 2).count();
        // Fixed start-up, apart from the work: JVM start to a Spark session that has run a job, with the farmland
        // source checked.
        seconds.put("startup", java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
        seconds.put("startup_cpu", Math.round(processCpuNanos() / 1e7) / 100.0);
        try {
            // Executors read the patches, each a range of fids, in the timed step itself: in a run they come out of
            // the merge step there too, and nothing is kept or counted before the overlay.
            int parts = Math.max(1, jsc.defaultParallelism() * 2);
            List<long[]> ranges = new ArrayList<>();
            for (int i = 0; i < parts; i++) {
                ranges.add(new long[] {patchFeatures * i / parts, patchFeatures * (i + 1) / parts});
            }
            double mmu = s.change().minPatchAreaM2();
            org.apache.spark.util.LongAccumulator patchCount = jsc.sc().longAccumulator("patches");
            org.apache.spark.util.LongAccumulator rulePatchCount = jsc.sc().longAccumulator("rule_patches");
            JavaRDD<ChangePatch> patches = jsc.parallelize(ranges, parts)
                    .mapPartitions(it -> readPatches(patchFile, fidColumn, geomColumn, it, s, mmu, patchCount,
                            rulePatchCount));

            long t0 = System.nanoTime();
            long cpu0 = processCpuNanos();
            // Wall-clock marks, to cut a profile (JFR) down to the timed step.
            System.err.println("[overlay-bench] overlay starts " + java.time.Instant.now());
            Broadcast<FarmwatchJob.Inputs> bin = jsc.broadcast(new FarmwatchJob.Inputs(null, null, farmland, s,
                    "bench-overlay"));
            JavaRDD<FlaggedParcel> flagged = FarmwatchJob.overlayAndFlag(jsc, patches, bin, layout, PastVerdicts.none(),
                    counts);
            // Like for like with the PostGIS SQL, which starts from its two tables: from the patches and parcels at
            // rest (both GeoPackages) to the flagged parcels, in a running session.
            seconds.put("like_for_like", secs(t0));
            // CPU time of the whole JVM (tasks, driver, GC, JIT) over the step: a figure the machine's load bends less.
            seconds.put("like_for_like_cpu", Math.round((processCpuNanos() - cpu0) / 1e7) / 100.0);
            System.err.println("[overlay-bench] overlay ends " + java.time.Instant.now());
            counts.put("patches", patchCount.value());
            counts.put("rule_patches", rulePatchCount.value());
            counts.put("tiles", patches.filter(p -> !p.rule().isEmpty())
                    .flatMap(p -> layout.keysCovering(p.geometry().getEnvelopeInternal()).iterator()).distinct().count());

            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("farmwatch-flagged.csv"),
                    StandardCharsets.UTF_8))) {
                w.println("parcel_id,rule,changed_area_m2,patch_count");
                Iterator<FlaggedParcel> it = flagged.toLocalIterator();
                while (it.hasNext()) {
                    FlaggedParcel f = it.next();
                    w.printf(Locale.ROOT, "%s,%s,%.6f,%d%n", f.parcelId(), f.rule(), f.changedAreaM2(), f.patchCount());
                }
            }
            int again = Integer.parseInt(a.getOrDefault("--again", "0"));
            for (int i = 0; i < again; i++) {
                // Diagnostic, not the headline: the same step again in this JVM, its code compiled by now. The gap to
                // the first pass is what a fresh process pays for class loading and the JIT. The last pass counts.
                long tw = System.nanoTime();
                long cw = processCpuNanos();
                FarmwatchJob.overlayAndFlag(jsc, patches, bin, layout, PastVerdicts.none(), new LinkedHashMap<>());
                seconds.put("overlay_again", secs(tw));
                seconds.put("overlay_again_cpu", Math.round((processCpuNanos() - cw) / 1e7) / 100.0);
                System.err.printf(Locale.ROOT, "[overlay-bench] again %d: %.2f s%n", i + 1, seconds.get("overlay_again"));
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("master", a.get("--master"));
            result.put("grid", Map.of("crs", crs, "cell_size_m", cell, "tile_size", s.grid().tileSize()));
            result.put("farmland", farmland.describe());
            result.put("patches", patchFile);
            result.put("seconds", seconds);
            result.put("counts", counts);
            Files.writeString(out.resolve("farmwatch.json"), Json.write(result) + "\n");
            System.err.printf(Locale.ROOT, "[overlay-bench] farmwatch: %d patches read, overlaid and flagged in %.1f s: "
                    + "%d parcel reads, %d flagged parcels%n", counts.get("patches"), seconds.get("like_for_like"),
                    counts.get("parcels_read"), counts.get("flagged_parcels"));
        } finally {
            spark.stop();
        }
    }

    /**
     * The patches of the given fid ranges ({@code (lo, hi]}), as the merge step would hand them over; read straight
     * from the GeoPackage's SQLite table, as farmwatch reads its parcels ({@link GpkgParcelReader}).
     */
    private static Iterator<ChangePatch> readPatches(String file, String fid, String geom, Iterator<long[]> ranges,
                                                     Settings s, double mmu,
                                                     org.apache.spark.util.LongAccumulator patchCount,
                                                     org.apache.spark.util.LongAccumulator rulePatchCount)
            throws java.sql.SQLException {
        ChangeDetector detector = FarmwatchJob.detector(s);
        List<org.farmwatch.flag.ConversionRule> rules = s.rules();
        List<ChangePatch> out = new ArrayList<>();
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setReadOnly(true);
        try (java.sql.Connection db = config.createConnection("jdbc:sqlite:" + file);
                java.sql.PreparedStatement ps = db.prepareStatement("SELECT \"" + fid + "\", patch_id, code, \"" + geom
                        + "\" FROM patches WHERE \"" + fid + "\" > ? AND \"" + fid + "\" <= ?")) {
            WKBReader reader = new WKBReader();
            while (ranges.hasNext()) {
                long[] r = ranges.next();
                ps.setLong(1, r[0]);
                ps.setLong(2, r[1]);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byte[] blob = rs.getBytes(4);
                        int at = GpkgParcelReader.wkbOffset(blob);
                        Geometry g;
                        try {
                            if (at < 0) {
                                throw new org.locationtech.jts.io.ParseException("not a GeoPackage geometry");
                            }
                            g = reader.read(java.util.Arrays.copyOfRange(blob, at, blob.length));
                        } catch (org.locationtech.jts.io.ParseException e) {
                            throw new IllegalStateException("patch fid " + rs.getLong(1) + ": " + e.getMessage(), e);
                        }
                        double area = g.getArea();
                        if (area < mmu) {
                            continue;
                        }
                        int code = rs.getInt(3);
                        int rule = detector.ruleOf(code);
                        boolean ruled = rule > 0 && rule <= rules.size();
                        patchCount.add(1);
                        rulePatchCount.add(ruled ? 1 : 0);
                        out.add(new ChangePatch(rs.getString(2),
                                ruled ? rules.get(rule - 1).type() : ChangeType.OTHER,
                                ruled ? rules.get(rule - 1).name() : "", LandCover.ofId(code / 16),
                                LandCover.ofId(code % 16), area, 1.0, "2025-04-15", "2025-09-20", g));
                    }
                }
            }
        }
        return out.iterator();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double secs(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }
}
