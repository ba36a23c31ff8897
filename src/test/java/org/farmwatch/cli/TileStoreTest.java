package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tile store on the sample: a second run reuses every tile and publishes exactly the same; a
 * re-delivered scene recomputes exactly the tiles it touches; a detection setting recomputes all, a
 * farmland setting none. Also the run's bytes_read and the Spark event log.
 */
class TileStoreTest {

    @TempDir
    Path tmp;

    static Map<String, Object> counts(Path out) throws Exception {
        return Json.object(Json.parseObject(Files.readString(out.resolve("run.json"))).get("counts"));
    }

    static long count(Path out, String key) throws Exception {
        return ((Number) counts(out).get(key)).longValue();
    }

    private Path conf(String name, String... lines) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    private static Cli run(Path out, Path conf, String runId, String... after) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--before", ExitCodesTest.BEFORE, "--after"));
        args.addAll(List.of(after));
        args.addAll(List.of("--farmland", ExitCodesTest.FARMLAND, "--out", out.toString(), "--conf", conf.toString(),
                "--master", "local[2]", "--run-id", runId));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        return r;
    }

    @Test
    void aSecondRunReusesEveryTileAndPublishesExactlyTheSame() throws Exception {
        Gdal.init();
        Path store = tmp.resolve("store");
        // No halo: every scene cell lies in exactly one tile window, which bounds bytes_read.
        Path conf = conf("a.conf", "store.dir = " + store, "grid.haloCells = 0");
        Path first = tmp.resolve("runs/first");
        run(first, conf, "first", ExitCodesTest.AFTER);
        long tiles = count(first, "tiles");
        assertTrue(tiles > 1, "the sample spans several tiles");
        assertEquals(tiles, count(first, "tiles_computed"));
        assertEquals(0, count(first, "tiles_reused"));
        try (Stream<Path> s = Files.walk(store)) {
            assertEquals(tiles, s.filter(p -> p.toString().endsWith(".tile")).count(), "one entry per tile");
        }
        // Without a halo every scene cell lies in one tile window, and the sample's tiles cover both
        // scenes whole: bytes_read is then exactly the decoded size of their band files.
        long whole = decodedSize(Path.of(ExitCodesTest.BEFORE)) + decodedSize(Path.of(ExitCodesTest.AFTER));
        assertEquals(whole, count(first, "bytes_read"));

        Path second = tmp.resolve("runs/second");
        run(second, conf, "second", ExitCodesTest.AFTER);
        assertEquals(tiles, count(second, "tiles_reused"));
        assertEquals(0, count(second, "tiles_computed"));
        assertEquals(0, count(second, "bytes_read"), "nothing read from the scenes");
        assertEquals(counts(first).get("clear_cells"), counts(second).get("clear_cells"));
        assertEquals(counts(first).get("changed_cells"), counts(second).get("changed_cells"));

        Path off = tmp.resolve("runs/off");
        run(off, conf("off.conf", "store.dir = off", "grid.haloCells = 0"), "off", ExitCodesTest.AFTER);
        assertEquals(0, count(off, "tiles_reused"));
        for (String layer : List.of("change_patches", "flagged_parcels")) {
            List<String> clean = OutputRows.of(off.resolve("onemap.gpkg"), layer);
            assertFalse(clean.isEmpty(), layer);
            assertEquals(clean, OutputRows.of(first.resolve("onemap.gpkg"), layer), layer + ": storing changes nothing");
            assertEquals(clean, OutputRows.of(second.resolve("onemap.gpkg"), layer), layer + ": reusing changes nothing");
        }
        assertEquals(rasterBytes(off.resolve("change_detail.tif")), rasterBytes(second.resolve("change_detail.tif")));
        assertEquals(rasterBytes(off.resolve("change.tif")), rasterBytes(second.resolve("change.tif")));
        // The true-colour composites of reused tiles come back from the store as well.
        for (String tc : List.of("before_truecolour.tif", "after_truecolour.tif")) {
            assertEquals(rasterBytes(off.resolve(tc)), rasterBytes(second.resolve(tc)), tc);
        }

        // The Spark event log, on by default, beside the outputs.
        try (Stream<Path> s = Files.list(tmp.resolve("runs/.farmwatch/spark-events"))) {
            List<Path> logs = s.toList();
            assertEquals(3, logs.size(), "one event log per run: " + logs);
            assertTrue(Files.readString(logs.get(0)).contains("SparkListenerApplicationStart"));
        }
    }

    @Test
    void bytesReadCountsWarpedWindowsToo() throws Exception {
        Gdal.init();
        // On UTM the sample is warped, window by window; without a halo the windows' footprints on the
        // scene cover it once, plus the slivers where their slightly rotated bounding boxes overlap.
        Path out = tmp.resolve("utm/out");
        run(out, conf("utm.conf", "store.dir = off", "grid.crs = EPSG:32650", "grid.haloCells = 0"), "utm",
                ExitCodesTest.AFTER);
        long whole = 0;
        for (String scene : List.of(ExitCodesTest.BEFORE, ExitCodesTest.AFTER)) {
            whole += decodedSize(Path.of(scene));
        }
        long bytes = count(out, "bytes_read");
        assertTrue(bytes >= whole && bytes <= 1.1 * whole, "bytes_read " + bytes + ", scenes " + whole);
    }

    private static long decodedSize(Path scene) throws Exception {
        long n = 0;
        try (Stream<Path> files = Files.list(scene)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tif")).toList()) {
                Dataset d = gdal.Open(f.toString());
                n += (long) d.getRasterXSize() * d.getRasterYSize() * gdal.GetDataTypeSize(d.GetRasterBand(1).getDataType()) / 8;
                d.delete();
            }
        }
        return n;
    }

    @Test
    void aRedeliveredSceneRecomputesTheTilesItTouchesAndOnlyDetectionSettingsRecomputeAll() throws Exception {
        Gdal.init();
        // A second current scene: a 2.56 km square of the sample's, centred on grid tile corners,
        // so that it touches 3 x 3 tiles of 1280 m, 640 m clear of any other tile.
        double minX = 39_482_240;
        double maxY = 4_067_840;
        double side = 2_560;
        Path extra = tmp.resolve("S2_20250921");
        Files.createDirectories(extra);
        try (Stream<Path> files = Files.list(Path.of(ExitCodesTest.AFTER))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tif")).toList()) {
                Dataset src = gdal.Open(f.toString());
                Dataset dst = gdal.Translate(extra.resolve(f.getFileName().toString().replace("20250920T", "20250921T")).toString(),
                        src, new TranslateOptions(new java.util.Vector<>(List.of("-projwin", "" + minX, "" + maxY,
                                "" + (minX + side), "" + (maxY - side), "-q"))));
                dst.delete();
                src.delete();
            }
        }
        double span = 128 * 10;
        long touched = (long) (Math.floor((minX + side) / span) - Math.floor(minX / span) + 1)
                * (long) (Math.floor((1e7 - (maxY - side)) / span) - Math.floor((1e7 - maxY) / span) + 1);
        assertEquals(9, touched);

        Path store = tmp.resolve("store");
        Path conf = conf("c.conf", "store.dir = " + store, "grid.tileSize = 128");
        String[] after = {ExitCodesTest.AFTER, extra.toString()};
        Path runs = tmp.resolve("runs");
        run(runs.resolve("r1"), conf, "r1", after);
        long tiles = count(runs.resolve("r1"), "tiles");
        assertTrue(tiles > 3 * touched, tiles + " tiles");
        assertEquals(tiles, count(runs.resolve("r1"), "tiles_computed"));

        // The scene is delivered again (same cells, new files): its tiles only are computed again.
        try (Stream<Path> files = Files.list(extra)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tif")).toList()) {
                Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 3_600_000));
            }
        }
        run(runs.resolve("r2"), conf, "r2", after);
        assertEquals(touched, count(runs.resolve("r2"), "tiles_computed"));
        assertEquals(tiles - touched, count(runs.resolve("r2"), "tiles_reused"));
        assertEquals(OutputRows.of(runs.resolve("r1/onemap.gpkg"), "flagged_parcels"),
                OutputRows.of(runs.resolve("r2/onemap.gpkg"), "flagged_parcels"));

        // A farmland setting does not touch detection: everything reused.
        Path farmlandConf = conf("c2.conf", "store.dir = " + store, "grid.tileSize = 128",
                "farmland.field.township = township, ZLDWMC, QSDWMC, XZMC");
        run(runs.resolve("r3"), farmlandConf, "r3", after);
        assertEquals(tiles, count(runs.resolve("r3"), "tiles_reused"));

        // A detection setting changes every tile.
        Path detectConf = conf("c3.conf", "store.dir = " + store, "grid.tileSize = 128", "change.threshold = 6");
        run(runs.resolve("r4"), detectConf, "r4", after);
        assertEquals(tiles, count(runs.resolve("r4"), "tiles_computed"));
        assertEquals(0, count(runs.resolve("r4"), "tiles_reused"));
    }

    @Test
    void aBlankStoreDirOrOneWithoutAFileSystemIsAUsageError() throws Exception {
        Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", tmp.resolve("o").toString(), "--conf", conf("bad.conf", "store.dir =").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("store.dir"), r.err());
        r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", tmp.resolve("o").toString(), "--master", "local[2]", "--conf",
                conf("nofs.conf", "store.dir = nosuchfs://host/store").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("store.dir nosuchfs://host/store"), r.err());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing published");
    }

    private static String rasterBytes(Path tif) {
        Dataset d = gdal.Open(tif.toString());
        try {
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= d.getRasterCount(); i++) {
                b.append(d.GetRasterBand(i).Checksum()).append(',');
            }
            return d.getRasterXSize() + "x" + d.getRasterYSize() + ":" + java.util.Arrays.toString(d.GetGeoTransform()) + ":" + b;
        } finally {
            d.delete();
        }
    }
}
