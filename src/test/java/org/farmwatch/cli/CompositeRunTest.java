package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cloudy dates: a copy of the sample's current scene with a 2 km square of cloud marked in SCL, run
 * alone and composited with the original, and a catalogue folder split into periods.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompositeRunTest {

    @TempDir
    static Path tmp;
    Path cloudy;

    static final double X0 = 39_482_500;
    static final double Y1 = 4_068_500;
    static final double SIDE = 2_000;

    @BeforeAll
    void cloudyCopy() throws Exception {
        Gdal.init();
        cloudy = tmp.resolve("catalogue/S2_20250925");
        Files.createDirectories(cloudy);
        try (var files = Files.list(Path.of(ExitCodesTest.AFTER))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString().replace("20250920T", "20250925T");
                Dataset src = gdal.Open(f.toString());
                Dataset dst = gdal.GetDriverByName("GTiff").CreateCopy(cloudy.resolve(name).toString(), src);
                double[] gt = dst.GetGeoTransform();
                int c0 = (int) ((X0 - gt[0]) / gt[1]);
                int r0 = (int) ((gt[3] - Y1) / -gt[5]);
                int n = (int) (SIDE / gt[1]);
                boolean scl = name.contains("_SCL");
                short[] v = new short[n * n];
                java.util.Arrays.fill(v, (short) (scl ? 9 : 4200));
                dst.GetRasterBand(1).WriteRaster(c0, r0, n, n, n, n, org.gdal.gdalconst.gdalconstConstants.GDT_Int16, v);
                dst.delete();
                src.delete();
            }
        }
        Files.createSymbolicLink(tmp.resolve("catalogue/S2_20250415"), Path.of(ExitCodesTest.BEFORE).toAbsolutePath());
        Files.createSymbolicLink(tmp.resolve("catalogue/S2_20250920"), Path.of(ExitCodesTest.AFTER).toAbsolutePath());
        // A scene that is not usable: the run lists it and goes on.
        Files.createDirectories(tmp.resolve("catalogue/S2_20250601_broken"));
        Files.writeString(tmp.resolve("catalogue/S2_20250601_broken/X_20250601T000000_B02.tif"), "not a raster");
    }

    private static int[] score(Path out) throws Exception {
        Map<String, String> truth = DemoEndToEndTest.truth();
        Map<String, String> flagged = DemoEndToEndTest.flagged(out.resolve("onemap.gpkg"));
        int tp = (int) flagged.entrySet().stream().filter(e -> e.getValue().equals(truth.get(e.getKey()))).count();
        return new int[] {tp, flagged.size(), truth.size()};
    }

    private static int[] clearCounts(Path changeTif, int band) {
        Dataset d = gdal.Open(changeTif.toString());
        try {
            int w = d.getRasterXSize();
            int h = d.getRasterYSize();
            byte[] v = new byte[w * h];
            d.GetRasterBand(band).ReadRaster(0, 0, w, h, v);
            int[] hist = new int[4];
            for (byte b : v) {
                hist[Math.min(3, b & 255)]++;
            }
            return hist;
        } finally {
            d.delete();
        }
    }

    @Test
    void aCloudHidesConversionsAndACompositeOfTwoDatesRecoversThem() throws Exception {
        Path alone = tmp.resolve("alone");
        Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", cloudy.toString(), "--farmland",
                ExitCodesTest.FARMLAND, "--out", alone.toString(), "--master", "local[2]", "--run-id", "cloudy");
        assertEquals(0, r.exit(), r.err());
        int[] a = score(alone);
        assertTrue(a[0] < a[2], "conversions under the cloud are not seen: " + a[0] + " of " + a[2]);
        assertEquals(a[0], a[1], "and nothing false is flagged under it");

        Path both = tmp.resolve("both");
        r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, cloudy.toString(), "--farmland",
                ExitCodesTest.FARMLAND, "--out", both.toString(), "--master", "local[2]", "--run-id", "composite");
        assertEquals(0, r.exit(), r.err());
        int[] b = score(both);
        assertTrue(b[0] >= 0.95 * b[2] && b[0] >= 0.95 * b[1], "composite: " + b[0] + " right of " + b[1] + ", truth " + b[2]);
        int[] obs = clearCounts(both.resolve("change_detail.tif"), 4);
        assertTrue(obs[2] > 0 && obs[1] > 40_000, "cells seen twice and, under the square cloud, once: " + java.util.Arrays.toString(obs));
    }

    /** A scene folder of symbolic links to {@code src}'s files, renamed to another acquisition date. */
    private static Path redated(String src, String fromDate, String toDate) throws Exception {
        Path dir = tmp.resolve("redated/S2_" + toDate + "_from_" + fromDate);
        Files.createDirectories(dir);
        try (var files = Files.list(Path.of(src))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString().replace(fromDate + "T", toDate + "T");
                Files.createSymbolicLink(dir.resolve(name), f.toAbsolutePath());
            }
        }
        return dir;
    }

    @Test
    void aConversionSeenOnOneOfTwoCurrentDatesDoesNotPersistButOnTwoOfThreeItDoes() throws Exception {
        // The current period gets a second clear observation in which nothing has changed yet.
        Path unchanged = redated(ExitCodesTest.BEFORE, "20250415", "20250910");
        Path conf = tmp.resolve("persistence-off.conf");
        Files.writeString(conf, "change.persistence = off\n");

        Path off = tmp.resolve("persistence-off");
        Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", unchanged.toString(), ExitCodesTest.AFTER,
                "--farmland", ExitCodesTest.FARMLAND, "--out", off.toString(), "--master", "local[2]", "--conf",
                conf.toString(), "--run-id", "persistence-off");
        assertEquals(0, r.exit(), r.err());
        int[] withoutRule = score(off);

        Path oneOfTwo = tmp.resolve("one-of-two");
        r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", unchanged.toString(), ExitCodesTest.AFTER,
                "--farmland", ExitCodesTest.FARMLAND, "--out", oneOfTwo.toString(), "--master", "local[2]",
                "--run-id", "one-of-two");
        assertEquals(0, r.exit(), r.err());
        int[] a = score(oneOfTwo);
        assertTrue(withoutRule[1] > 0, "the composite alone flags some of it: " + java.util.Arrays.toString(withoutRule));
        assertTrue(a[1] < 0.2 * withoutRule[1], "seen once in two, a conversion does not persist: " + a[1]
                + " flagged against " + withoutRule[1] + " with change.persistence = off");

        Path twoOfThree = tmp.resolve("two-of-three");
        r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", unchanged.toString(), ExitCodesTest.AFTER,
                redated(ExitCodesTest.AFTER, "20250920", "20250928").toString(), "--farmland", ExitCodesTest.FARMLAND,
                "--out", twoOfThree.toString(), "--master", "local[2]", "--run-id", "two-of-three");
        assertEquals(0, r.exit(), r.err());
        int[] b = score(twoOfThree);
        assertTrue(b[0] >= 0.9 * b[2] && b[0] >= 0.9 * b[1], "seen in two of three it persists: " + b[0] + " right of "
                + b[1] + ", truth " + b[2]);
    }

    @Test
    void aCatalogueIsSplitIntoPeriodsAndBadScenesAreListed() throws Exception {
        Path out = tmp.resolve("catalogue-run");
        Cli r = Cli.run("run", "--catalog", tmp.resolve("catalogue").toString(), "--before-period", "2025-03-01/2025-06-30",
                "--after-period", "2025-09-01/2025-09-30", "--farmland", ExitCodesTest.FARMLAND, "--out", out.toString(),
                "--master", "local[2]", "--run-id", "catalogue");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> run = Json.parseObject(Files.readString(out.resolve("run.json")));
        Map<String, Object> inputs = Json.object(run.get("inputs"));
        assertEquals(1, Json.array(inputs.get("before")).size());
        assertEquals(2, Json.array(inputs.get("after")).size());
        List<Object> rejected = Json.array(run.get("rejected"));
        assertEquals(1, rejected.size(), String.valueOf(rejected));
        assertTrue(String.valueOf(rejected.get(0)).contains("broken"));
        int[] s = score(out);
        assertTrue(s[0] >= 0.95 * s[2], "catalogue run: " + s[0] + " of " + s[2]);
    }

    @Test
    void aCatalogueWithoutScenesInAPeriodFailsAsInput() {
        Cli r = Cli.run("run", "--catalog", tmp.resolve("catalogue").toString(), "--before-period", "2024-01-01/2024-02-01",
                "--after-period", "2025-09-01/2025-09-30", "--farmland", ExitCodesTest.FARMLAND, "--out",
                tmp.resolve("none").toString(), "--master", "local[2]");
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("before period"), r.err());
    }

    @Test
    void badPeriodsAndMixedModesAreUsage() {
        assertEquals(2, Cli.run("run", "--catalog", "x", "--before-period", "2025-06-01/2025-03-01", "--after-period",
                "2025-09-01/2025-09-30", "--farmland", "f", "--out", "o").exit());
        assertEquals(2, Cli.run("run", "--catalog", "x", "--before", "a", "--after", "b", "--farmland", "f", "--out", "o").exit());
        assertEquals(2, Cli.run("run", "--catalog", "x", "--farmland", "f", "--out", "o").exit());
    }
}
