package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Before and after true-colour COGs of a real oscd-s2 pair, as a run publishes them, look alike where nothing
 * changed: over the cells the dataset's change map labels "no change" and both images show, each of red, green and
 * blue has means within {@value #MAX_MEAN_GAP} grey levels of each other, and histograms that overlap by at least
 * {@value #MIN_OVERLAP} (the sum over the 256 levels of the smaller of the two shares). "No change" in these labels
 * is urban only: fields that were ploughed or grew count as unchanged, so the histograms never overlap fully.
 *
 * <p>Measured on these cities (after matching: mean gaps at most 1.3 levels, overlaps 0.90-0.95 on beirut and
 * bercy); with each image on its own stretch, as before, the blue means of beirut were 7.6 levels apart and its blue
 * histograms overlapped by 0.77, and bercy's red and green means 7.4 and 7.7 levels apart.
 */
class TrueColourMatchRealDataTest {

    static final double MAX_MEAN_GAP = 3.0;
    static final double MIN_OVERLAP = 0.88;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"beirut", "bercy"})
    void anUnchangedAreaHasMatchingHistogramsBeforeAndAfter(String city) throws Exception {
        RealDataSmokeTest.assumeRealData();
        Path dir = OscdAccuracyTest.OSCD.resolve(city);
        Path conf = tmp.resolve("tc.conf");
        Files.writeString(conf, "store.dir = off\npublish.outputs = geopackage,true_colour\n");
        Path out = tmp.resolve("out");
        Cli r = Cli.run("run", "--before", dir.resolve("imgs_1").toString(), "--after", dir.resolve("imgs_2").toString(),
                "--farmland", dir.resolve("farmland-grid.gpkg") + "#jbnt", "--out", out.toString(), "--conf",
                conf.toString(), "--master", "local[2]", "--run-id", "match-" + city);
        assertEquals(0, r.exit(), r.err());

        Gdal.init();
        Dataset before = gdal.Open(out.resolve("before_truecolour.tif").toString());
        Dataset after = gdal.Open(out.resolve("after_truecolour.tif").toString());
        int w = before.getRasterXSize();
        int h = before.getRasterYSize();
        assertEquals(w, after.getRasterXSize());
        assertEquals(h, after.getRasterYSize());
        byte[] unchanged = labelsOnto(dir, city, before);
        long[][] histBefore = new long[3][256];
        long[][] histAfter = new long[3][256];
        byte[][] b = new byte[3][w * h];
        byte[][] a = new byte[3][w * h];
        for (int band = 0; band < 3; band++) {
            before.GetRasterBand(band + 1).ReadRaster(0, 0, w, h, b[band]);
            after.GetRasterBand(band + 1).ReadRaster(0, 0, w, h, a[band]);
        }
        before.delete();
        after.delete();
        long n = 0;
        for (int i = 0; i < w * h; i++) {
            // 1 = no change in the label map; 0 in a COG band is no data.
            if (unchanged[i] != 1 || b[0][i] == 0 || a[0][i] == 0) {
                continue;
            }
            n++;
            for (int band = 0; band < 3; band++) {
                histBefore[band][b[band][i] & 255]++;
                histAfter[band][a[band][i] & 255]++;
            }
        }
        assertTrue(n > 50_000, city + ": only " + n + " unchanged cells seen on both dates");
        String[] names = {"red", "green", "blue"};
        for (int band = 0; band < 3; band++) {
            double meanBefore = 0;
            double meanAfter = 0;
            double overlap = 0;
            for (int v = 0; v < 256; v++) {
                meanBefore += v * (double) histBefore[band][v] / n;
                meanAfter += v * (double) histAfter[band][v] / n;
                overlap += Math.min(histBefore[band][v], histAfter[band][v]) / (double) n;
            }
            System.out.printf("[TrueColourMatchRealDataTest] %s %s: mean %.1f before, %.1f after; histogram overlap %.3f "
                    + "over %d unchanged cells%n", city, names[band], meanBefore, meanAfter, overlap, n);
            assertTrue(Math.abs(meanAfter - meanBefore) <= MAX_MEAN_GAP, city + " " + names[band] + ": mean "
                    + meanBefore + " before, " + meanAfter + " after");
            assertTrue(overlap >= MIN_OVERLAP, city + " " + names[band] + ": histograms overlap by " + overlap);
        }
    }

    /** The city's change map (on the grid of imgs_1's B02, which it lacks the georeference of) warped onto {@code cog}'s grid. */
    private static byte[] labelsOnto(Path dir, String city, Dataset cog) throws Exception {
        Dataset ref = gdal.Open(only(dir.resolve("imgs_1"), "*_B02.tif").toString());
        Dataset cm = gdal.Translate("", gdal.Open(dir.resolve("cm").resolve(city + "-cm.tif").toString()),
                new TranslateOptions(new Vector<>(List.of("-of", "MEM"))));
        cm.SetGeoTransform(ref.GetGeoTransform());
        cm.SetProjection(ref.GetProjectionRef());
        ref.delete();
        int w = cog.getRasterXSize();
        int h = cog.getRasterYSize();
        double[] gt = cog.GetGeoTransform();
        Dataset onto = gdal.Warp("", new Dataset[] {cm}, new WarpOptions(new Vector<>(List.of("-of", "MEM",
                "-t_srs", cog.GetProjectionRef(), "-te", Double.toString(gt[0]), Double.toString(gt[3] + h * gt[5]),
                Double.toString(gt[0] + w * gt[1]), Double.toString(gt[3]), "-ts", Integer.toString(w),
                Integer.toString(h), "-r", "near"))));
        byte[] labels = new byte[w * h];
        onto.GetRasterBand(1).ReadRaster(0, 0, w, h, labels);
        onto.delete();
        cm.delete();
        return labels;
    }

    private static Path only(Path dir, String glob) throws Exception {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            ds.forEach(found::add);
        }
        assertEquals(1, found.size(), dir + "/" + glob);
        return found.get(0);
    }
}
