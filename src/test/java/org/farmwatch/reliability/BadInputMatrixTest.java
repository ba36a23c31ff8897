package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.farmwatch.reliability.Fixtures.assertCleanFailure;
import static org.farmwatch.reliability.Fixtures.assertEarlierOutputUntouched;
import static org.farmwatch.reliability.Fixtures.assertNoStaging;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Vector;
import java.util.concurrent.atomic.AtomicInteger;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input matrix of `farmwatch run`: every case ends in the documented exit code (2 usage,
 * 3 input, 4 service, 1 other) with one error line naming the culprit, no stack trace, no staging
 * folder left behind, an earlier output in DIR untouched, and a DIR that did not exist not created.
 * Cases the command line must accept (warped bands of other sizes, farmland in other CRSs) run to
 * completion over a 4 km crop of the demo scenes. Already covered in cli/ExitCodesTest: dates in the
 * wrong order, a farmland file that is not a GIS file, farmland outside the scenes (real data),
 * {@code --colour}, a missing required option, {@code patch.minAreaM2 = -5x}, an unreachable database.
 */
class BadInputMatrixTest {

    /** 4 km crops of the demo scenes: a run over them does one tile of work. */
    static Path smallBefore;
    static Path smallAfter;

    @TempDir
    Path tmp;
    /** DIR holding an earlier run's output. */
    Path out;

    @BeforeAll
    static void smallScenes() throws IOException {
        Path[] pair = Fixtures.smallPair();
        smallBefore = pair[0];
        smallAfter = pair[1];
    }

    String testName;

    @BeforeEach
    void earlierOutput(org.junit.jupiter.api.TestInfo info) throws IOException {
        out = Fixtures.earlierOutput(tmp.resolve("out"));
        testName = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("?");
    }

    /** One line per case on the test output, for the matrix in the README. */
    private void note(FarmwatchRun r, String line) {
        System.out.println("[matrix] " + testName + " | exit " + r.exit() + " | " + line);
    }

    // ---- helpers ----

    /**
     * Runs the case twice, into DIR with an earlier output and into a DIR that does not exist, and
     * checks both failed cleanly; returns the error line.
     */
    private String fails(int exit, List<String> culprits, String... options) throws IOException {
        FarmwatchRun r = FarmwatchRun.run(withOut(options, out));
        note(r, r.errorLines().isEmpty() ? r.err() : r.errorLines().get(0));
        String line = assertCleanFailure(r, exit, culprits.toArray(String[]::new));
        assertEarlierOutputUntouched(out);
        assertNoStaging(out);
        Path fresh = tmp.resolve("fresh-out");
        FarmwatchRun r2 = FarmwatchRun.run(withOut(options, fresh));
        assertCleanFailure(r2, exit, culprits.toArray(String[]::new));
        assertFalse(Files.exists(fresh), "a failed run must not create " + fresh);
        assertNoStaging(fresh);
        return line;
    }

    private static String[] withOut(String[] options, Path dir) {
        String[] a = Arrays.copyOf(options, options.length + 2);
        a[options.length] = "--out";
        a[options.length + 1] = dir.toString();
        return a;
    }

    private static String[] scenes(Path before, Path after, Object farmland) {
        return new String[] {"--before", before.toString(), "--after", after.toString(), "--farmland", farmland.toString()};
    }

    /** A successful run over the small scenes into a fresh DIR; returns run.json. */
    private Map<String, Object> succeeds(Path before, Path after, Object farmland, String... extra) throws IOException {
        Path dir = tmp.resolve("ok-out");
        List<String> args = new ArrayList<>(List.of(scenes(before, after, farmland)));
        args.addAll(List.of(extra));
        args.addAll(List.of("--out", dir.toString()));
        FarmwatchRun r = FarmwatchRun.run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r::toString);
        assertNoStaging(dir);
        Map<String, Object> run = Json.parseObject(Files.readString(dir.resolve("run.json")));
        note(r, "counts " + run.get("counts"));
        return run;
    }

    private static long count(Map<String, Object> runJson, String key) {
        return ((Number) Json.object(runJson.get("counts")).get(key)).longValue();
    }

    /**
     * Makes {@code p} unreadable to this process: chmod 000, and where that does not stop reads (root, as CI runs)
     * by means that stop root too: a file becomes a folder of the same name (a folder where a file is expected), a
     * folder a symbolic link to itself (which the kernel refuses to resolve). Returns how, for the matrix.
     */
    private static String makeUnreadable(Path p) throws IOException {
        boolean folder = Files.isDirectory(p);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
        if (!readable(p, folder)) {
            return "chmod 000";
        }
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(folder ? "rwx------" : "rw-------"));
        if (folder) {
            try (var s = Files.walk(p)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            Files.createSymbolicLink(p, p.getFileName());
        } else {
            Files.delete(p);
            Files.createDirectory(p);
        }
        assertFalse(readable(p, folder), p + " is still readable");
        return folder ? "a link to itself" : "a folder where the file was";
    }

    private static boolean readable(Path p, boolean folder) {
        if (folder) {
            try (var s = Files.list(p)) {
                s.count();
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        try (InputStream in = Files.newInputStream(p)) {
            in.read();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void overwrite(Path f, long at, byte[] bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(at);
            raf.write(bytes);
        }
    }

    private static byte[] garbage(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // ---- missing and unreadable paths ----

    @Test
    void missingBeforeSceneIsInput() throws Exception {
        fails(3, List.of("no/such/scene"), scenes(Path.of("no/such/scene"), SAMPLE_AFTER, SAMPLE_FARMLAND));
    }

    @Test
    void missingFarmlandFileIsInput() throws Exception {
        fails(3, List.of("no-such-parcels.gpkg"), scenes(SAMPLE_BEFORE, SAMPLE_AFTER, tmp.resolve("no-such-parcels.gpkg")));
    }

    @Test
    void missingConfigurationFileIsUsage() throws Exception {
        List<String> a = new ArrayList<>(List.of(scenes(SAMPLE_BEFORE, SAMPLE_AFTER, SAMPLE_FARMLAND)));
        a.addAll(List.of("--conf", tmp.resolve("no-such.conf").toString()));
        fails(2, List.of("no-such.conf"), a.toArray(String[]::new));
    }

    @Test
    void unreadableBandFileIsInput() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("SMALL_20250920"));
        Path b08 = Fixtures.band(after, "B08");
        System.out.println("[matrix] " + testName + " made unreadable by " + makeUnreadable(b08));
        fails(3, List.of(b08.getFileName().toString()), scenes(smallBefore, after, SAMPLE_FARMLAND));
    }

    @Test
    void unreadableSceneFolderIsInput() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("SMALL_20250920"));
        try {
            System.out.println("[matrix] " + testName + " made unreadable by " + makeUnreadable(after));
            fails(3, List.of(after.toString()), scenes(smallBefore, after, SAMPLE_FARMLAND));
        } finally {
            if (!Files.isSymbolicLink(after)) {
                Files.setPosixFilePermissions(after, PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

    @Test
    void unreadableFarmlandFileIsInput() throws Exception {
        Path gpkg = tmp.resolve("farmland.gpkg");
        Files.copy(SAMPLE_FARMLAND, gpkg);
        System.out.println("[matrix] " + testName + " made unreadable by " + makeUnreadable(gpkg));
        fails(3, List.of("farmland.gpkg"), scenes(smallBefore, smallAfter, gpkg));
    }

    // ---- truncated and corrupt rasters ----

    @Test
    void truncatedBandIsInput() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("CUT_20250920"));
        Path b08 = Fixtures.band(after, "B08");
        try (RandomAccessFile raf = new RandomAccessFile(b08.toFile(), "rw")) {
            raf.setLength(raf.length() * 6 / 10);
        }
        fails(3, List.of(b08.getFileName().toString()), scenes(smallBefore, after, SAMPLE_FARMLAND));
    }

    @Test
    void aTruncatedBandSaysWhatIsWrong() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("CUT_20250920"));
        Path b08 = Fixtures.band(after, "B08");
        try (RandomAccessFile raf = new RandomAccessFile(b08.toFile(), "rw")) {
            raf.setLength(raf.length() * 6 / 10);
        }
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, after, SAMPLE_FARMLAND), out));
        String line = assertCleanFailure(r, 3, b08.getFileName().toString());
        assertFalse(line.strip().endsWith("failed:"), "the error says why the band cannot be read: " + line);
    }

    @Test
    void bandFileOfGarbageBytesIsInput() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("JUNK_20250920"));
        Path b04 = Fixtures.band(after, "B04");
        Files.write(b04, garbage((int) Files.size(b04), 4));
        fails(3, List.of(b04.getFileName().toString()), scenes(smallBefore, after, SAMPLE_FARMLAND));
    }

    @Test
    void bandWithGarbageInItsCompressedTilesIsInput() throws Exception {
        // The TIFF header and directory stay intact, so the file opens; the DEFLATE tiles behind them do not decode.
        Path after = Fixtures.copyScene(SAMPLE_AFTER, tmp.resolve("ROT_20250920"));
        Path b04 = Fixtures.band(after, "B04");
        long size = Files.size(b04);
        overwrite(b04, 16_384, garbage((int) (size - 16_384 - 4096), 7));
        fails(3, List.of(b04.getFileName().toString()), scenes(SAMPLE_BEFORE, after, SAMPLE_FARMLAND));
    }

    // ---- missing bands, mismatched sizes, no georeference ----

    @Test
    void sceneFolderMissingABandIsInput() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("NOB11_20250920"));
        Files.delete(Fixtures.band(after, "B11"));
        fails(3, List.of("B11", after.getFileName().toString()), scenes(smallBefore, after, SAMPLE_FARMLAND));
    }

    @Test
    void bandsOfMismatchedSizesAreWarpedAndSucceed() throws Exception {
        // B03 at 30 m instead of 10 m, B08 cut 1 km short on the east and south: each band is warped onto the grid.
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("MIX_20250920"));
        Path b03 = Fixtures.band(after, "B03");
        Path b08 = Fixtures.band(after, "B08");
        Path tmp03 = tmp.resolve("b03.tif");
        Path tmp08 = tmp.resolve("b08.tif");
        Fixtures.translate(b03, tmp03, "-tr", "30", "30", "-r", "average");
        Fixtures.translate(b08, tmp08, "-srcwin", "0", "0", "300", "300");
        Files.move(tmp03, b03, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp08, b08, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, Object> run = succeeds(smallBefore, after, SAMPLE_FARMLAND);
        assertTrue(count(run, "patches") > 0, "change is still found: " + run.get("counts"));
    }

    @Test
    void scenesInDifferentCrssSucceed() throws Exception {
        // The after scene warped to UTM 50N (EPSG:32650) at 10 m, the before scene left in CGCS2000 zone 39.
        Path after = tmp.resolve("UTM_20250920");
        Files.createDirectories(after);
        try (var s = Files.list(smallAfter)) {
            for (Path f : s.toList()) {
                boolean scl = f.getFileName().toString().contains("_SCL");
                Dataset src = gdal.Open(f.toString());
                org.gdal.gdal.WarpOptions o = new org.gdal.gdal.WarpOptions(new Vector<>(List.of("-t_srs", "EPSG:32650",
                        "-tr", scl ? "20" : "10", scl ? "20" : "10", "-r", scl ? "near" : "bilinear", "-co", "COMPRESS=DEFLATE")));
                Dataset d = gdal.Warp(after.resolve(f.getFileName()).toString(), new Dataset[] {src}, o);
                d.delete();
                o.delete();
                src.delete();
            }
        }
        Map<String, Object> run = succeeds(smallBefore, after, SAMPLE_FARMLAND);
        assertTrue(count(run, "patches") > 0, "change is still found: " + run.get("counts"));
    }

    @Test
    void bandWithoutGeoreferenceIsInput() throws Exception {
        Gdal.init();
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("NOGEO_20250920"));
        Path b04 = Fixtures.band(after, "B04");
        Dataset src = gdal.Open(b04.toString());
        int w = src.getRasterXSize();
        int h = src.getRasterYSize();
        short[] cells = new short[w * h];
        src.GetRasterBand(1).ReadRaster(0, 0, w, h, gdalconstConstants.GDT_UInt16, cells);
        src.delete();
        Files.delete(b04);
        Dataset bare = gdal.GetDriverByName("GTiff").Create(b04.toString(), w, h, 1, gdalconstConstants.GDT_UInt16);
        bare.GetRasterBand(1).WriteRaster(0, 0, w, h, gdalconstConstants.GDT_UInt16, cells);
        bare.delete();
        String line = fails(3, List.of(b04.getFileName().toString()), scenes(smallBefore, after, SAMPLE_FARMLAND));
        assertTrue(line.contains("georeference"), line);
    }

    // ---- scenes that do not overlap ----

    @Test
    void scenesThatDoNotOverlapEachOtherAreInput() throws Exception {
        // The after scene moved 1000 km east, in the same CRS.
        Path after = tmp.resolve("FAR_20250920");
        Files.createDirectories(after);
        try (var s = Files.list(smallAfter)) {
            for (Path f : s.toList()) {
                Dataset d = gdal.Open(f.toString());
                double[] gt = d.GetGeoTransform();
                double ulx = gt[0] + 1_000_000;
                double uly = gt[3];
                double lrx = ulx + gt[1] * d.getRasterXSize();
                double lry = uly + gt[5] * d.getRasterYSize();
                d.delete();
                Fixtures.translate(f, after.resolve(f.getFileName()), "-a_ullr", Fixtures.fmt(ulx), Fixtures.fmt(uly),
                        Fixtures.fmt(lrx), Fixtures.fmt(lry));
            }
        }
        String line = fails(3, List.of(), scenes(smallBefore, after, SAMPLE_FARMLAND));
        assertTrue(line.contains("do not overlap") && line.contains("FAR_20250920"), line);
    }

    @Test
    void farmlandBesideTheScenesIsInput() throws Exception {
        // The demo parcels, but all of them 0.5 degrees west of the scenes.
        Path gpkg = tmp.resolve("west.gpkg");
        vectorTranslate(SAMPLE_FARMLAND, gpkg, "GPKG", "-dialect", "SQLite", "-sql",
                "SELECT TBBH, ZLDWMC, DLBM, ST_Translate(geom, -0.5, 0, 0) AS geom FROM farmland", "-nln", "farmland");
        String line = fails(3, List.of("west.gpkg"), scenes(smallBefore, smallAfter, gpkg));
        assertTrue(line.contains("does not overlap"), line);
    }

    // ---- fully clouded scenes ----

    /** The small after scene with its SCL band all 9 (cloud, high probability). */
    private Path overcastAfter() throws IOException {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("OVERCAST_20250920"));
        Dataset scl = gdal.Open(Fixtures.band(after, "SCL").toString(), gdalconstConstants.GA_Update);
        scl.GetRasterBand(1).Fill(9);
        scl.delete();
        return after;
    }

    @Test
    void aFullyCloudedAfterSceneFindsNoChange() throws Exception {
        Path after = overcastAfter();
        Path dir = tmp.resolve("o-out");
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, after, SAMPLE_FARMLAND), dir));
        note(r, r.exit() == 0 ? "succeeded: " + r.log().lines().filter(l -> l.contains(" done: ")).findFirst().orElse("")
                : r.errorLines().toString());
        if (r.exit() == 0) {
            Map<String, Object> run = Json.parseObject(Files.readString(dir.resolve("run.json")));
            assertEquals(0L, count(run, "patches"), "no change can be seen through cloud");
            assertEquals(0L, count(run, "clear_cells"), "run.json says nothing was clear");
        } else {
            // The alternative we accept: refusing the scene as input, naming it.
            assertCleanFailure(r, 3, "OVERCAST_20250920");
        }
    }

    @Test
    void aFullyCloudedAfterSceneIsReportedAsSuch() throws Exception {
        Path after = overcastAfter();
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, after, SAMPLE_FARMLAND), tmp.resolve("o-out")));
        String said = (r.err() + r.log()).replace(after.toString(), "").toLowerCase(java.util.Locale.ROOT);
        assertTrue(said.contains("no clear") || said.contains("cloud"), "the run says the after scene was clouded: " + r);
    }

    // ---- farmland: empty layer, defective geometries, duplicate ids, mixed CRSs ----

    @Test
    void anEmptyFarmlandLayerIsInput() throws Exception {
        Gdal.init();
        Path gpkg = tmp.resolve("empty.gpkg");
        DataSource ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg.toString());
        SpatialReference srs = new SpatialReference();
        srs.ImportFromEPSG(4490);
        Layer l = ds.CreateLayer("farmland", srs, ogr.wkbPolygon, new Vector<>());
        for (String f : List.of("TBBH", "ZLDWMC", "DLBM")) {
            l.CreateField(new FieldDefn(f, ogr.OFTString));
        }
        ds.delete();
        String line = fails(3, List.of("empty.gpkg"), scenes(smallBefore, smallAfter, gpkg));
        assertTrue(line.contains("no parcels"), line);
    }

    @Test
    void farmlandWithoutACrsIsInput() throws Exception {
        // A Shapefile whose .prj went missing.
        Path shp = tmp.resolve("noprj.shp");
        vectorTranslate(SAMPLE_FARMLAND, shp, "ESRI Shapefile");
        Files.delete(tmp.resolve("noprj.prj"));
        String line = fails(3, List.of("noprj.shp"), scenes(smallBefore, smallAfter, shp));
        assertTrue(line.contains("CRS"), line);
    }

    @Test
    void defectiveGeometriesAndDuplicateIdsAreRepairedOrRejectedWithCounts() throws Exception {
        DefectiveFarmland f = DefectiveFarmland.write(tmp.resolve("defects.gpkg"), smallAfter);
        Path dir = tmp.resolve("defects-out");
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, smallAfter, f.path()), dir));
        assertEquals(0, r.exit(), r::toString);
        Map<String, Object> run = Json.parseObject(Files.readString(dir.resolve("run.json")));
        Map<String, Object> counts = Json.object(run.get("counts"));
        System.out.println("[reliability] defective farmland: counts " + counts + ", rejected " + run.get("rejected"));
        Map<String, Integer> flagged = DefectiveFarmland.flaggedIds(dir.resolve("onemap.gpkg"));
        System.out.println("[reliability] defective farmland: flagged ids " + flagged);
        // What the farmland reader makes of each defect, read directly (the run keeps only a count).
        List<String> read = new ArrayList<>();
        List<String> rejects = new ArrayList<>();
        new org.farmwatch.farmland.OgrParcelSource(f.path().toString(), org.farmwatch.farmland.FieldMapping.DEFAULT)
                .forEachIn(new org.locationtech.jts.geom.Envelope(Fixtures.SMALL[0], Fixtures.SMALL[2], Fixtures.SMALL[1],
                        Fixtures.SMALL[3]), "EPSG:4527", p -> {
                            if (!p.parcelId().matches("\\d+") || f.convertedInScene().subList(0, 3).contains(p.parcelId())) {
                                read.add(p.parcelId() + " " + p.geometry().getGeometryType() + (p.geometry().isValid() ? "" : " INVALID"));
                            }
                        }, rejects::add);
        System.out.println("[reliability] defective farmland: read " + read + "; rejected " + rejects);
        // The self-intersecting copy of a converted parcel is repaired, not lost.
        assertTrue(flagged.containsKey(f.bowtieId()), "the repaired bow-tie parcel is flagged: " + flagged.keySet());
        // Parcels without usable geometry are counted as rejected.
        assertTrue(((Number) counts.get("parcels_rejected")).longValue() >= 1, "rejects are counted: " + counts);
    }

    @Test
    void duplicateParcelIdsAreReportedNotMerged() throws Exception {
        DefectiveFarmland f = DefectiveFarmland.write(tmp.resolve("defects.gpkg"), smallAfter);
        Path dir = tmp.resolve("dup-out");
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, smallAfter, f.path()), dir));
        assertEquals(0, r.exit(), r::toString);
        List<String> rows = DefectiveFarmland.flaggedRows(dir.resolve("onemap.gpkg"), f.convertedInScene().subList(0, 3));
        System.out.println("[reliability] duplicated parcels as flagged: " + rows);
        // The exact duplicate (same id, same polygon) must not count its changed area twice.
        for (String row : rows) {
            double changed = Double.parseDouble(row.replaceAll(".*changed_area_m2=(\\S+).*", "$1"));
            double polygon = Double.parseDouble(row.replaceAll(".*polygon_m2=(\\S+).*", "$1"));
            assertTrue(changed <= polygon * 1.01, "changed area within the parcel: " + row);
        }
        String runJson = Files.readString(dir.resolve("run.json"));
        assertTrue(runJson.contains(f.sharedId()), "run.json names the duplicated parcel id " + f.sharedId() + ": " + runJson);
        // As import-farmland does: the first feature of each repeated id is kept, the later ones are rejected.
        Map<String, Object> run = Json.parseObject(runJson);
        List<String> duplicated = Json.array(run.get("rejected")).stream().map(Json::object)
                .filter(m -> "duplicate parcel_id".equals(m.get("reason"))).map(m -> (String) m.get("parcel_id")).sorted().toList();
        assertEquals(f.convertedInScene().subList(1, 3).stream().sorted().toList(), duplicated, "rejected: " + run.get("rejected"));
        assertEquals(2L, ((Number) Json.object(run.get("counts")).get("parcels_duplicate_id")).longValue());
        Map<String, Integer> flagged = DefectiveFarmland.flaggedIds(dir.resolve("onemap.gpkg"));
        for (String id : f.convertedInScene().subList(0, 3)) {
            assertEquals(1, flagged.getOrDefault(id, 0), "parcel " + id + " is flagged once: " + rows);
        }
    }

    @Test
    void farmlandAsGeoJsonInWgs84Succeeds() throws Exception {
        Path json = tmp.resolve("farmland-4326.geojson");
        vectorTranslate(SAMPLE_FARMLAND, json, "GeoJSON", "-t_srs", "EPSG:4326");
        Map<String, Object> run = succeeds(smallBefore, smallAfter, json);
        assertTrue(count(run, "flagged_parcels") > 0, "parcels in EPSG:4326 are flagged: " + run.get("counts"));
    }

    @Test
    void farmlandAsUtmShapefileSucceeds() throws Exception {
        Path shp = tmp.resolve("farmland-utm50n.shp");
        vectorTranslate(SAMPLE_FARMLAND, shp, "ESRI Shapefile", "-t_srs", "EPSG:32650");
        Map<String, Object> run = succeeds(smallBefore, smallAfter, shp);
        assertTrue(count(run, "flagged_parcels") > 0, "parcels in UTM 50N are flagged: " + run.get("counts"));
    }

    static void vectorTranslate(Path from, Path to, String format, String... options) {
        Gdal.init();
        Vector<String> v = new Vector<>(List.of("-f", format));
        v.addAll(List.of(options));
        org.gdal.gdal.VectorTranslateOptions o = new org.gdal.gdal.VectorTranslateOptions(v);
        Dataset src = gdal.OpenEx(from.toString(), gdalconstConstants.OF_VECTOR);
        Dataset d = gdal.VectorTranslate(to.toString(), src, o);
        d.delete();
        src.delete();
        o.delete();
    }

    // ---- STAC items ----

    /** A STAC item over copies of the demo after scene's bands: one asset per band, hrefs as given. */
    private Path stacItem(String properties, Map<String, String> hrefOverrides) throws IOException {
        Path dir = tmp.resolve("stac");
        Files.createDirectories(dir);
        String[][] bands = {{"B02", "blue"}, {"B03", "green"}, {"B04", "red"}, {"B08", "nir"}, {"B11", "swir16"}, {"B12", "swir22"}};
        StringBuilder assets = new StringBuilder();
        for (String[] b : bands) {
            Path src = Fixtures.band(smallAfter, b[0]);
            Path link = dir.resolve(b[0] + ".tif");
            if (!Files.exists(link)) {
                Files.copy(src, link);
            }
            String href = hrefOverrides.getOrDefault(b[1], b[0] + ".tif");
            if (href == null) {
                continue;
            }
            if (assets.length() > 0) {
                assets.append(',');
            }
            assets.append('"').append(b[0]).append("\": {\"href\": ").append(Json.write(href))
                    .append(", \"eo:bands\": [{\"name\": \"").append(b[0]).append("\", \"common_name\": \"").append(b[1])
                    .append("\"}]}");
        }
        String item = "{\"type\": \"Feature\", \"stac_version\": \"1.0.0\", \"id\": \"S2_20250920\", \"geometry\": null,"
                + "\"properties\": " + properties + ", \"assets\": {" + assets + "}}";
        Path file = dir.resolve("item.json");
        Files.writeString(file, item);
        return file;
    }

    private static final String DATED = "{\"datetime\": \"2025-09-20T03:05:29Z\"}";

    @Test
    void aStacItemAsSceneSucceeds() throws Exception {
        // The reference case for the STAC rows below.
        Path item = stacItem(DATED, Map.of());
        Map<String, Object> run = succeeds(smallBefore, item, SAMPLE_FARMLAND);
        assertTrue(count(run, "patches") > 0, run.get("counts").toString());
    }

    @Test
    void aStacItemWithoutDatetimeIsInput() throws Exception {
        Path item = stacItem("{\"platform\": \"sentinel-2a\"}", Map.of());
        String line = fails(3, List.of("item.json"), scenes(smallBefore, item, SAMPLE_FARMLAND));
        assertTrue(line.contains("datetime"), line);
    }

    @Test
    void aStacItemWithABadDatetimeIsInput() throws Exception {
        Path item = stacItem("{\"datetime\": \"yesterday\"}", Map.of());
        fails(3, List.of("item.json", "yesterday"), scenes(smallBefore, item, SAMPLE_FARMLAND));
    }

    @Test
    void aStacItemWithoutAssetsIsInput() throws Exception {
        Path dir = tmp.resolve("stac");
        Files.createDirectories(dir);
        Path item = dir.resolve("item.json");
        Files.writeString(item, "{\"type\": \"Feature\", \"id\": \"bare\", \"properties\": " + DATED + ", \"assets\": {}}");
        String line = fails(3, List.of("item.json"), scenes(smallBefore, item, SAMPLE_FARMLAND));
        assertTrue(line.contains("assets"), line);
    }

    @Test
    void aStacItemMissingTheRedAssetIsInput() throws Exception {
        Map<String, String> noRed = new java.util.HashMap<>();
        noRed.put("red", null);
        Path item = stacItem(DATED, noRed);
        fails(3, List.of("item.json", "red"), scenes(smallBefore, item, SAMPLE_FARMLAND));
    }

    @Test
    void aStacAssetHrefEscapingTheFolderIsRefused() throws Exception {
        Path item = stacItem(DATED, Map.of("red", "../../etc/passwd"));
        String line = fails(3, List.of("item.json", "../../etc/passwd"), scenes(smallBefore, item, SAMPLE_FARMLAND));
        assertTrue(line.contains("escapes"), line);
    }

    @Test
    void aStacAssetAbsoluteFileUrlIsRefused() throws Exception {
        Path item = stacItem(DATED, Map.of("red", "file:///etc/passwd"));
        fails(3, List.of("item.json", "file:///etc/passwd"), scenes(smallBefore, item, SAMPLE_FARMLAND));
    }

    @Test
    void aStacAssetRemoteHrefIsRefused() throws Exception {
        try (HttpProbe probe = HttpProbe.start()) {
            Path item = stacItem(DATED, Map.of("red", probe.url("B04.tif")));
            String line = fails(3, List.of("item.json", probe.url("B04.tif")), scenes(smallBefore, item, SAMPLE_FARMLAND));
            assertTrue(line.contains("remote"), line);
            assertEquals(0, probe.requests(), "no request reaches the remote host");
        }
    }

    @Test
    void aStacAssetGdalVsiPathIsRefused() throws Exception {
        try (HttpProbe probe = HttpProbe.start()) {
            String href = "/vsicurl/" + probe.url("B04.tif");
            Path item = stacItem(DATED, Map.of("red", href));
            fails(3, List.of("item.json"), scenes(smallBefore, item, SAMPLE_FARMLAND));
            assertEquals(0, probe.requests(), "no request reaches the remote host");
        }
    }

    @Test
    void aBandFileThatIsAVrtFetchingARemoteUrlIsRefused() throws Exception {
        try (HttpProbe probe = HttpProbe.start()) {
            Path after = Fixtures.copyScene(smallAfter, tmp.resolve("VRT_20250920"));
            Path b04 = Fixtures.band(after, "B04");
            // Still named *_B04.tif: GDAL recognises a VRT by its content, not by its name.
            Files.writeString(b04, remoteVrt(probe.url("B04.tif")));
            FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, after, SAMPLE_FARMLAND), out));
            assertEquals(0, probe.requests(), "no request reaches the remote host");
            assertCleanFailure(r, 3, b04.getFileName().toString());
            assertEarlierOutputUntouched(out);
        }
    }

    @Test
    void aStacAssetVrtFetchingARemoteUrlIsRefused() throws Exception {
        try (HttpProbe probe = HttpProbe.start()) {
            Path item = stacItem(DATED, Map.of("red", "red.vrt"));
            Files.writeString(item.resolveSibling("red.vrt"), remoteVrt(probe.url("B04.tif")));
            FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, item, SAMPLE_FARMLAND), out));
            assertEquals(0, probe.requests(), "no request reaches the remote host");
            assertCleanFailure(r, 3, "red.vrt");
        }
    }

    @Test
    void aStacItemWithAZeroScaleIsInput() throws Exception {
        Path dir = tmp.resolve("stac");
        stacItem(DATED, Map.of());
        Path item = dir.resolve("scaled.json");
        String json = Files.readString(dir.resolve("item.json")).replace("\"common_name\": \"red\"}]",
                "\"common_name\": \"red\"}], \"raster:bands\": [{\"scale\": 0}]");
        Files.writeString(item, json);
        fails(3, List.of("scaled.json"), scenes(smallBefore, item, SAMPLE_FARMLAND));
    }

    static String remoteVrt(String url) {
        return "<VRTDataset rasterXSize=\"400\" rasterYSize=\"400\">\n"
                + "  <SRS>EPSG:4527</SRS>\n"
                + "  <GeoTransform>39481000, 10, 0, 4070000, 0, -10</GeoTransform>\n"
                + "  <VRTRasterBand dataType=\"UInt16\" band=\"1\">\n"
                + "    <SimpleSource>\n"
                + "      <SourceFilename relativeToVRT=\"0\">/vsicurl/" + url + "</SourceFilename>\n"
                + "      <SourceBand>1</SourceBand>\n"
                + "    </SimpleSource>\n"
                + "  </VRTRasterBand>\n"
                + "</VRTDataset>\n";
    }

    /** A local HTTP server that counts the requests it gets and answers each with 404. */
    static final class HttpProbe implements AutoCloseable {
        private final com.sun.net.httpserver.HttpServer server;
        private final AtomicInteger requests = new AtomicInteger();

        private HttpProbe(com.sun.net.httpserver.HttpServer server) {
            this.server = server;
        }

        static HttpProbe start() throws IOException {
            com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(
                    new InetSocketAddress("127.0.0.1", 0), 0);
            HttpProbe p = new HttpProbe(s);
            s.createContext("/", ex -> {
                p.requests.incrementAndGet();
                ex.sendResponseHeaders(404, -1);
                ex.close();
            });
            s.start();
            return p;
        }

        String url(String name) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
        }

        int requests() {
            return requests.get();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    // ---- the command line: unknown options, bad values ----

    @Test
    void unknownSubcommandIsUsage() throws Exception {
        FarmwatchRun r = FarmwatchRun.of("runn", "--before", SAMPLE_BEFORE.toString());
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("runn"), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }

    @Test
    void unknownOptionAmongValidOnesIsUsage() throws Exception {
        List<String> a = new ArrayList<>(List.of(scenes(SAMPLE_BEFORE, SAMPLE_AFTER, SAMPLE_FARMLAND)));
        a.add("--cellsize=5");
        fails(2, List.of("--cellsize"), a.toArray(String[]::new));
    }

    @Test
    void anOptionMissingItsValueIsUsage() throws Exception {
        FarmwatchRun r = FarmwatchRun.of("run", "--before", SAMPLE_BEFORE.toString(), "--after", SAMPLE_AFTER.toString(),
                "--farmland", SAMPLE_FARMLAND.toString(), "--out");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.errorLines().get(0).contains("--out"), r::toString);
    }

    @Test
    void aRunIdWithPathCharactersIsUsage() throws Exception {
        List<String> a = new ArrayList<>(List.of(scenes(SAMPLE_BEFORE, SAMPLE_AFTER, SAMPLE_FARMLAND)));
        a.addAll(List.of("--run-id", "../../escape"));
        fails(2, List.of("--run-id"), a.toArray(String[]::new));
    }

    @Test
    void aBadSparkMasterIsUsage() throws Exception {
        List<String> a = new ArrayList<>(List.of(scenes(smallBefore, smallAfter, SAMPLE_FARMLAND)));
        a.addAll(List.of("--out", out.toString(), "--master", "bogus://nowhere"));
        a.add(0, "run");
        FarmwatchRun r = FarmwatchRun.of(a.toArray(String[]::new));
        assertCleanFailure(r, 2, "--master");
        assertEarlierOutputUntouched(out);
        assertNoStaging(out);
    }

    @Test
    void outThatIsAnExistingFileIsUsage() throws Exception {
        Path notes = tmp.resolve("notes.txt");
        Files.writeString(notes, "field notes");
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, smallAfter, SAMPLE_FARMLAND), notes));
        assertTrue(Files.isRegularFile(notes), "the file named by --out is left alone, but it is now a folder");
        assertEquals("field notes", Files.readString(notes));
        assertCleanFailure(r, 2, "--out");
    }

    @Test
    void outThatIsAnInputSceneIsUsage() throws Exception {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve("OWN_20250920"));
        Path b04 = Fixtures.band(after, "B04");
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, after, SAMPLE_FARMLAND), after));
        assertTrue(Files.exists(b04), "the input scene is still there, but --out replaced it with the output");
        assertCleanFailure(r, 2, "--out");
    }

    @Test
    void aFailedRunCreatesNoParentFolders() throws Exception {
        Path gpkg = tmp.resolve("west.gpkg");
        vectorTranslate(SAMPLE_FARMLAND, gpkg, "GPKG", "-dialect", "SQLite", "-sql",
                "SELECT TBBH, ZLDWMC, DLBM, ST_Translate(geom, -0.5, 0, 0) AS geom FROM farmland", "-nln", "farmland");
        Path deep = tmp.resolve("new/deeper/out");
        FarmwatchRun r = FarmwatchRun.run(withOut(scenes(smallBefore, smallAfter, gpkg), deep));
        assertCleanFailure(r, 3, "west.gpkg");
        assertFalse(Files.exists(tmp.resolve("new")), "no folder is left behind by a failed run");
    }

    // ---- bad configuration values: exit 2 naming the key, before any work ----

    private String badConf(String conf, String... culprits) throws IOException {
        Path file = tmp.resolve("bad.conf");
        Files.writeString(file, conf, StandardCharsets.UTF_8);
        List<String> a = new ArrayList<>(List.of(scenes(smallBefore, smallAfter, SAMPLE_FARMLAND)));
        a.addAll(List.of("--conf", file.toString()));
        FarmwatchRun r = FarmwatchRun.run(withOut(a.toArray(String[]::new), out));
        note(r, r.errorLines().isEmpty() ? r.log().lines().filter(l -> l.contains("[farmwatch]")).toList().toString()
                : r.errorLines().get(0));
        String line = assertCleanFailure(r, 2, culprits);
        assertFalse(r.log().contains("reading scenes"), "configuration is checked before any work: " + r.log());
        assertEarlierOutputUntouched(out);
        assertNoStaging(out);
        return line;
    }

    @Test
    void unknownConfigurationKeyIsUsage() throws Exception {
        badConf("grid.tilesize = 256\n", "grid.tilesize");
    }

    @Test
    void nonNumericConfigurationValueIsUsage() throws Exception {
        badConf("grid.haloCells = eight\n", "grid.haloCells", "eight");
    }

    @Test
    void negativeConfigurationValueIsUsage() throws Exception {
        badConf("cloud.bufferMetres = -30\n", "cloud.bufferMetres", "-30");
    }

    @Test
    void badEnumConfigurationValueIsUsage() throws Exception {
        badConf("classify.darkObjectSubtraction = sometimes\n", "classify.darkObjectSubtraction", "sometimes");
    }

    @Test
    void badRuleScopeIsUsage() throws Exception {
        badConf("rule.non_grain.scope = everywhere\n", "rule.non_grain.scope", "everywhere");
    }

    @Test
    void ruleShareAboveOneIsUsage() throws Exception {
        badConf("rule.non_grain.minShare = 1.5\n", "non_grain", "1.5");
    }

    @Test
    void gridTileSizeNotAPowerOfTwoIsUsage() throws Exception {
        badConf("grid.tileSize = 300\n", "grid.tileSize", "300");
    }

    @Test
    void negativeMinimumMappingUnitIsUsage() throws Exception {
        badConf("patch.minAreaM2 = -5\n", "patch.minAreaM2", "-5");
    }

    @Test
    void nonBooleanKeepOtherIsUsage() throws Exception {
        badConf("change.keepOther = yes\n", "change.keepOther", "yes");
    }

    @Test
    void fractionalCellCountIsUsage() throws Exception {
        badConf("grid.haloCells = 2.5\n", "grid.haloCells", "2.5");
    }

    @Test
    void geographicGridCrsIsUsage() throws Exception {
        badConf("grid.crs = EPSG:4326\n", "grid.crs", "EPSG:4326");
    }

    @Test
    void unknownGridCrsIsUsage() throws Exception {
        badConf("grid.crs = EPSG:99999\n", "grid.crs", "EPSG:99999");
    }
}
