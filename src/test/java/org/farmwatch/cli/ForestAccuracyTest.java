package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntBinaryOperator;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Geometry;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trained random forest on real Sentinel-2 over Slovenia, scored honestly: trained on one part of
 * the RABA land-use reference and scored on the cells it never saw. The samples are the reference
 * polygons clipped to the training blocks, labelled with GB/T 21010 codes, so {@code farmwatch train}
 * reads them as it would a surveyor's GeoPackage. Assertions are regression floors a little under the
 * measured figures, which the test prints.
 */
class ForestAccuracyTest {

    static final Path SLO = RealDataSmokeTest.REAL.resolve("slovenia-s2-eolearn");
    static final String[] S2 = {null, "blue", "green", "red", null, null, null, "nir", null, null, null, "swir16", "swir22"};

    @TempDir
    Path tmp;

    /** Reference raster value (LULC_ID) to the class id farmwatch should give, or -1 for unscored. */
    static int expected(int lulc) {
        return switch (lulc) {
            case 1 -> 1;   // cultivated land -> cropland
            case 2 -> 3;   // forest
            case 3 -> 5;   // grassland (cropland counts too: one date cannot tell meadow from crop)
            case 8 -> 6;   // artificial surface -> built-up
            default -> -1; // shrubland and unlabelled are not scored
        };
    }

    /** GB/T 21010 code a training polygon of reference class LULC_ID gets, or null for none. */
    static String gbCode(long lulc) {
        return switch ((int) lulc) {
            case 1 -> "0103";  // dry land
            case 2 -> "0301";  // arbor forest
            case 3 -> "04";    // grassland
            case 8 -> "0702";  // rural housing
            default -> null;
        };
    }

    /** Figures of one split: overall accuracy on the held-out cells, and of always answering "forest" there. */
    record Score(double oa, double majority, long cells, long trainCells) {}

    private Score trainAndScore(String name, IntBinaryOperator trainCell, String trainScene, String trainDate)
            throws Exception {
        Gdal.init();
        Dataset ref = gdal.Open(SLO.resolve("geotiff/LULC.tif").toString());
        double[] gt = ref.GetGeoTransform();
        int w = ref.getRasterXSize();
        int h = ref.getRasterYSize();
        short[] lulc = new short[w * h];
        ref.GetRasterBand(1).ReadRaster(0, 0, w, h, lulc);
        String wkt = ref.GetProjectionRef();
        ref.delete();

        // Training region: the reference cells trainCell picks, as cell squares, unioned.
        Geometry region = new Geometry(ogr.wkbMultiPolygon);
        long trainCells = 0;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                if (trainCell.applyAsInt(c, r) != 0) {
                    Geometry sq = ogr.CreateGeometryFromWkt(String.format(java.util.Locale.ROOT,
                            "POLYGON((%f %f,%f %f,%f %f,%f %f,%f %f))", gt[0] + c * gt[1], gt[3] + r * gt[5],
                            gt[0] + (c + 1) * gt[1], gt[3] + r * gt[5], gt[0] + (c + 1) * gt[1], gt[3] + (r + 1) * gt[5],
                            gt[0] + c * gt[1], gt[3] + (r + 1) * gt[5], gt[0] + c * gt[1], gt[3] + r * gt[5]));
                    region.AddGeometry(sq);
                    trainCells += expected(lulc[r * w + c]) >= 0 ? 1 : 0;
                }
            }
        }
        region = region.UnionCascaded();
        Path samples = tmp.resolve(name + "-samples.gpkg");
        DataSource src = ogr.Open(SLO.resolve("vector_timeless/LULC.gpkg").toString(), 0);
        DataSource dst = ogr.GetDriverByName("GPKG").CreateDataSource(samples.toString());
        Layer in = src.GetLayer(0);
        Layer out = dst.CreateLayer("samples", in.GetSpatialRef(), ogr.wkbMultiPolygon);
        out.CreateField(new FieldDefn("class", ogr.OFTString));
        Feature f;
        int written = 0;
        while ((f = in.GetNextFeature()) != null) {
            String code = gbCode(f.GetFieldAsInteger64("LULC_ID"));
            Geometry part = code == null ? null : f.GetGeometryRef().Intersection(region);
            if (part != null && !part.IsEmpty() && part.GetArea() > 0) {
                Feature o = new Feature(out.GetLayerDefn());
                o.SetField("class", code);
                o.SetGeometry(ogr.ForceToMultiPolygon(part));
                out.CreateFeature(o);
                written++;
            }
        }
        dst.delete();
        src.delete();
        assertTrue(written > 5, "training polygons written: " + written);

        Path trainItem = RealDataAccuracyTest.item(tmp, "train-" + name, trainDate, "slovenia-s2-eolearn/geotiff/" + trainScene, S2);
        Path model = tmp.resolve(name + "-model");
        Cli t = Cli.run("train", "--samples", samples.toString(), "--scenes", trainItem.toString(), "--model",
                model.toString(), "--master", "local[2]");
        assertEquals(0, t.exit(), t.err());
        assertTrue(Files.isRegularFile(model.resolve("farmwatch-forest.bin")), "flattened forest saved");
        assertTrue(Files.isDirectory(model.resolve("metadata")), "MLlib model saved beside it");

        Path conf = tmp.resolve(name + ".conf");
        Files.writeString(conf, "classifier = forest\nclassify.model = " + model.toAbsolutePath() + "\n");
        Path before = RealDataAccuracyTest.item(tmp, "slo0711-" + name, "2015-07-11T10:00:08Z",
                "slovenia-s2-eolearn/geotiff/S2L1C_2015-07-11.tif", S2);
        Path after = RealDataAccuracyTest.item(tmp, "slo0830-" + name, "2015-08-30T10:05:47Z",
                "slovenia-s2-eolearn/geotiff/S2L1C_2015-08-30.tif", S2);
        Path runOut = tmp.resolve(name + "-out");
        Cli r = Cli.run("run", "--before", before.toString(), "--after", after.toString(), "--farmland",
                SLO.resolve("vector_timeless/LULC.gpkg").toString(), "--out", runOut.toString(), "--conf", conf.toString(),
                "--master", "local[2]", "--run-id", "forest-" + name);
        assertEquals(0, r.exit(), r.err());
        byte[] classes = RealDataAccuracyTest.onReferenceGrid(runOut.resolve("change_detail.tif"),
                SLO.resolve("geotiff/LULC.tif"), 2);
        long right = 0;
        long forest = 0;
        long total = 0;
        long[][] confusion = new long[10][10];
        for (int row = 0; row < h; row++) {
            for (int c = 0; c < w; c++) {
                int i = row * w + c;
                int exp = expected(lulc[i]);
                if (exp < 0 || trainCell.applyAsInt(c, row) != 0) {
                    continue;
                }
                total++;
                int got = classes[i];
                confusion[exp][Math.max(0, Math.min(9, got))]++;
                if (got == exp || (exp == 5 && got == 1)) {
                    right++;
                }
                forest += exp == 3 ? 1 : 0;
            }
        }
        Score s = new Score(right / (double) total, forest / (double) total, total, trainCells);
        System.out.printf("slovenia-s2-eolearn forest, %s (trained on %s): overall accuracy %.3f over %d held-out cells"
                + " (%d training cells; always-forest baseline %.3f; goal 0.85)%n", name, trainScene, s.oa(), total,
                trainCells, s.majority());
        for (int e : new int[] {1, 3, 5, 6}) {
            System.out.printf("  reference class %d -> predicted %s%n", e, java.util.Arrays.toString(confusion[e]));
        }
        return s;
    }

    @Test
    void checkerboardOfBlocksSameDate() throws Exception {
        RealDataSmokeTest.assumeRealData();
        // 25-cell (250 m) blocks, alternate ones for training: every class has blocks on both sides.
        Score s = trainAndScore("checkerboard", (c, r) -> ((c / 25) + (r / 25)) % 2 == 0 ? 1 : 0,
                "S2L1C_2015-08-30.tif", "2015-08-30T10:05:47Z");
        assertTrue(s.cells() > 3000 && s.trainCells() > 3000, s.toString());
        assertTrue(s.oa() >= 0.88, "checkerboard overall accuracy fell below the 0.916 measured: " + s);
    }

    @Test
    void westHalfToEastHalfTrainedOnAnotherDate() throws Exception {
        RealDataSmokeTest.assumeRealData();
        // The harder split: trained on the west half of another date (2015-07-11), scored on the east half
        // of 2015-08-30, so the model has to transfer across space and season.
        Score s = trainAndScore("west-east", (c, r) -> c < 50 ? 1 : 0, "S2L1C_2015-07-11.tif", "2015-07-11T10:00:08Z");
        assertTrue(s.cells() > 4000, s.toString());
        assertTrue(s.oa() >= 0.85, "west-to-east overall accuracy fell below the 0.885 measured: " + s);
    }
}
