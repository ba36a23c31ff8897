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
        double minX = SQUARE_MIN_X;
        double maxY = SQUARE_MAX_Y;
        double side = SQUARE_SIDE;
        Path extra = squareOfCurrentScene("20250921");
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
    void withSceneWindowsKeptANewSceneIsTheOnlyOneRead() throws Exception {
        Gdal.init();
        // A new current scene: a 2.56 km square of the sample's touching 3 x 3 tiles of 1280 m.
        Path extra = squareOfCurrentScene("20250922");
        Path store = tmp.resolve("store");
        // No halo: each scene cell lies in one tile window, so bytes_read is exactly what was decoded.
        Path conf = conf("s.conf", "store.dir = " + store, "store.scenes = on", "grid.tileSize = 128", "grid.haloCells = 0");
        Path runs = tmp.resolve("runs");
        run(runs.resolve("n1"), conf, "n1", ExitCodesTest.AFTER);
        long tiles = count(runs.resolve("n1"), "tiles");
        long windows = count(runs.resolve("n1"), "scene_windows_read");
        assertEquals(0, count(runs.resolve("n1"), "scene_windows_reused"));
        assertTrue(windows >= tiles, windows + " scene windows over " + tiles + " tiles");
        try (Stream<Path> s = Files.walk(store)) {
            assertEquals(windows, s.filter(p -> p.toString().endsWith(".scene")).count(), "one entry per scene window");
        }

        // The next night brings the new scene: the period's statistics change, so every tile is detected again,
        // but only the new scene is read from its files.
        run(runs.resolve("n2"), conf, "n2", ExitCodesTest.AFTER, extra.toString());
        assertEquals(tiles, count(runs.resolve("n2"), "tiles_computed"));
        assertEquals(windows, count(runs.resolve("n2"), "scene_windows_reused"));
        assertEquals(9, count(runs.resolve("n2"), "scene_windows_read"), "the new scene's 3 x 3 tiles");
        assertEquals(decodedSize(extra), count(runs.resolve("n2"), "bytes_read"), "only the new scene was decoded");

        // The same inputs without any store: the same findings.
        Path clean = runs.resolve("n3");
        run(clean, conf("off.conf", "store.dir = off", "grid.tileSize = 128", "grid.haloCells = 0"), "n3",
                ExitCodesTest.AFTER, extra.toString());
        for (String layer : List.of("change_patches", "flagged_parcels")) {
            List<String> rows = OutputRows.of(clean.resolve("onemap.gpkg"), layer);
            assertFalse(rows.isEmpty(), layer);
            assertEquals(rows, OutputRows.of(runs.resolve("n2/onemap.gpkg"), layer), layer + ": stored windows change nothing");
        }
        assertEquals(rasterBytes(clean.resolve("change_detail.tif")), rasterBytes(runs.resolve("n2/change_detail.tif")));

        // A damaged scene window is read again from the scene, not trusted.
        Path one;
        try (Stream<Path> s = Files.walk(store)) {
            one = s.filter(p -> p.toString().endsWith(".scene")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(one);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(one, bytes);
        Cli r = run(runs.resolve("n4"), conf("s4.conf", "store.dir = " + store, "store.scenes = on", "grid.tileSize = 128",
                "grid.haloCells = 0", "change.spectralThreshold = 0.31"), "n4", ExitCodesTest.AFTER, extra.toString());
        assertEquals(1, count(runs.resolve("n4"), "scene_windows_read"), "the damaged window, read again: " + r.err());
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

    /** The store opened directly, as FarmwatchJob does, for the sample's periods on {@code layout}. */
    private static org.farmwatch.pipeline.TileStore open(Path store, org.farmwatch.grid.GridLayout layout) {
        org.farmwatch.ingest.Period before = new org.farmwatch.ingest.Period("before",
                List.of(org.farmwatch.ingest.SceneCatalog.open(ExitCodesTest.BEFORE)));
        org.farmwatch.ingest.Period after = new org.farmwatch.ingest.Period("after",
                List.of(org.farmwatch.ingest.SceneCatalog.open(ExitCodesTest.AFTER)));
        return org.farmwatch.pipeline.TileStore.open(store.toUri().toString(), new org.apache.hadoop.conf.Configuration(),
                layout, before, after, org.farmwatch.spark.StageOptions.detect(org.farmwatch.config.Settings.defaults()));
    }

    private static List<Path> gridFiles(Path store) throws Exception {
        try (Stream<Path> s = Files.walk(store)) {
            return s.filter(p -> p.getFileName().toString().equals("grid.json")).sorted().toList();
        }
    }

    @Test
    void theGridIsDescribedOnceBesideItsEntries() throws Exception {
        Gdal.init();
        Path store = tmp.resolve("store");
        org.farmwatch.grid.GridLayout grid = new org.farmwatch.grid.GridLayout("EPSG:4527", 0, 10_000_000, 10, 512);
        org.farmwatch.pipeline.TileStore first = open(store, grid);
        List<Path> described = gridFiles(store);
        assertEquals(1, described.size(), described.toString());
        Path gridJson = described.get(0);
        Map<String, Object> g = Json.parseObject(Files.readString(gridJson));
        assertEquals("EPSG:4527", g.get("crs"));
        assertTrue(String.valueOf(g.get("crs_wkt")).contains("CGCS2000"), String.valueOf(g.get("crs_wkt")));
        assertEquals(0.0, ((Number) g.get("origin_x")).doubleValue());
        assertEquals(10_000_000.0, ((Number) g.get("origin_y")).doubleValue());
        assertEquals(10.0, ((Number) g.get("cell_size_m")).doubleValue());
        assertEquals(512, ((Number) g.get("tile_size")).intValue());
        assertEquals(first.describe(), gridJson.getParent().toUri().toString().replaceAll("/$", ""));

        // An entry goes beside grid.json; a second opening neither rewrites it nor loses the entry.
        org.farmwatch.grid.TileKey key = new org.farmwatch.grid.TileKey(7713, 1158);
        String digest = first.digest(key);
        assertTrue(first.save(digest, new org.farmwatch.pipeline.TileStore.Entry(
                new org.farmwatch.pipeline.TileResult(List.of(), 5, 2), new byte[] {1},
                new byte[] {2}, new byte[] {3})));
        try (Stream<Path> s = Files.walk(gridJson.getParent())) {
            assertEquals(1, s.filter(p -> p.toString().endsWith(".tile")).count());
        }
        FileTime written = FileTime.fromMillis(Files.getLastModifiedTime(gridJson).toMillis() - 60_000);
        Files.setLastModifiedTime(gridJson, written);
        org.farmwatch.pipeline.TileStore again = open(store, grid);
        assertEquals(written, Files.getLastModifiedTime(gridJson), "grid.json is written once");
        assertEquals(digest, again.digest(key));
        assertEquals(5, again.load(digest).result().clearCells());
    }

    @Test
    void anotherGridGetsItsOwnFolderAndAGridJsonThatDisagreesStopsTheRun() throws Exception {
        Gdal.init();
        Path store = tmp.resolve("store");
        org.farmwatch.grid.GridLayout a = new org.farmwatch.grid.GridLayout("EPSG:4527", 0, 10_000_000, 10, 512);
        org.farmwatch.grid.GridLayout b = new org.farmwatch.grid.GridLayout("EPSG:4527", 0, 10_000_000, 10, 256);
        org.farmwatch.pipeline.TileStore sa = open(store, a);
        org.farmwatch.pipeline.TileStore sb = open(store, b);
        List<Path> described = gridFiles(store);
        assertEquals(2, described.size(), "one folder per grid: " + described);
        assertFalse(sa.describe().equals(sb.describe()));
        // The same key on another grid is another tile: never served from the first grid's entry.
        org.farmwatch.grid.TileKey key = new org.farmwatch.grid.TileKey(7713, 1158);
        sa.save(sa.digest(key), new org.farmwatch.pipeline.TileStore.Entry(
                new org.farmwatch.pipeline.TileResult(List.of(), 5, 2), new byte[] {1}, new byte[] {2},
                new byte[] {3}));
        assertEquals(null, sb.load(sb.digest(key)));

        // A grid.json edited to another tile size: the folder no longer says what its entries are.
        Path aJson = Path.of(java.net.URI.create(sa.describe() + "/grid.json"));
        Files.writeString(aJson, Files.readString(aJson).replace("\"tile_size\": 512", "\"tile_size\": 1024"));
        org.farmwatch.util.FarmwatchException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.farmwatch.util.FarmwatchException.class, () -> open(store, a));
        assertEquals(2, e.kind().exitCode);
        assertTrue(e.getMessage().contains(aJson.toString()) && e.getMessage().contains("tile_size"), e.getMessage());
        Files.writeString(aJson, "not json");
        e = org.junit.jupiter.api.Assertions.assertThrows(org.farmwatch.util.FarmwatchException.class, () -> open(store, a));
        assertTrue(e.getMessage().contains(aJson.toString()), e.getMessage());
    }

    /** Where {@link #squareOfCurrentScene} cuts: centred on grid tile corners, 640 m clear of other tiles of 1280 m. */
    private static final double SQUARE_MIN_X = 39_482_240;
    private static final double SQUARE_MAX_Y = 4_067_840;
    private static final double SQUARE_SIDE = 2_560;

    /** A second current scene dated {@code date} (yyyyMMdd): a 2.56 km square cut from the sample's. */
    private Path squareOfCurrentScene(String date) throws Exception {
        Path extra = tmp.resolve("S2_" + date);
        Files.createDirectories(extra);
        try (Stream<Path> files = Files.list(Path.of(ExitCodesTest.AFTER))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tif")).toList()) {
                Dataset src = gdal.Open(f.toString());
                Dataset dst = gdal.Translate(extra.resolve(f.getFileName().toString().replace("20250920T", date + "T")).toString(),
                        src, new TranslateOptions(new java.util.Vector<>(List.of("-projwin", "" + SQUARE_MIN_X,
                                "" + SQUARE_MAX_Y, "" + (SQUARE_MIN_X + SQUARE_SIDE), "" + (SQUARE_MAX_Y - SQUARE_SIDE), "-q"))));
                dst.delete();
                src.delete();
            }
        }
        return extra;
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
