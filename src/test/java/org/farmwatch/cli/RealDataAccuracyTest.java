package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Vector;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures accuracy on the labelled real scenes and prints it. The assertions are regression floors
 * at today's figures: Taizhou's F1 passes its goal of 0.75; Slovenia's overall accuracy with the rule
 * classifier does not reach 0.85 yet, and the printed figure says how far off it is.
 */
class RealDataAccuracyTest {

    static final Path REAL = RealDataSmokeTest.REAL;

    @TempDir
    Path tmp;

    private Path item(String id, String datetime, String file, String[] commonNames) throws Exception {
        return item(tmp, id, datetime, file, commonNames);
    }

    /** A STAC item in {@code tmp} for one real multi-band file, its bands named by {@code commonNames}. */
    static Path item(Path tmp, String id, String datetime, String file, String[] commonNames) throws Exception {
        Path dir = tmp.resolve(id);
        Files.createDirectories(dir);
        Path src = REAL.resolve(file).toAbsolutePath();
        Files.createSymbolicLink(dir.resolve(src.getFileName()), src);
        Path hdr = Path.of(src + ".HDR");
        if (Files.exists(hdr)) {
            Files.createSymbolicLink(dir.resolve(hdr.getFileName()), hdr);
        }
        StringBuilder bands = new StringBuilder();
        for (int i = 0; i < commonNames.length; i++) {
            bands.append(i == 0 ? "" : ",").append(commonNames[i] == null ? "{\"name\": \"b" + (i + 1) + "\"}"
                    : "{\"name\": \"b" + (i + 1) + "\", \"common_name\": \"" + commonNames[i] + "\"}");
        }
        String json = "{\"type\": \"Feature\", \"stac_version\": \"1.0.0\", \"id\": \"" + id + "\", \"geometry\": null,"
                + "\"properties\": {\"datetime\": \"" + datetime + "\"}, \"assets\": {\"data\": {\"href\": \""
                + src.getFileName() + "\", \"eo:bands\": [" + bands + "]}}}";
        Path f = dir.resolve("item.json");
        Files.writeString(f, json);
        return f;
    }

    /** Band {@code band} of the run's change raster, warped back onto the reference image's grid. */
    static byte[] onReferenceGrid(Path changeTif, Path reference, int band) {
        Gdal.init();
        Dataset ref = gdal.Open(reference.toString());
        Dataset src = gdal.Open(changeTif.toString());
        try {
            double[] gt = ref.GetGeoTransform();
            int w = ref.getRasterXSize();
            int h = ref.getRasterYSize();
            String srs = ref.GetProjectionRef();
            Dataset out = gdal.Warp("", new Dataset[] {src}, new WarpOptions(new Vector<>(List.of("-of", "MEM", "-t_srs", srs,
                    "-te", Double.toString(gt[0]), Double.toString(gt[3] + h * gt[5]), Double.toString(gt[0] + w * gt[1]),
                    Double.toString(gt[3]), "-ts", Integer.toString(w), Integer.toString(h), "-r", "near"))));
            byte[] v = new byte[w * h];
            out.GetRasterBand(band).ReadRaster(0, 0, w, h, v);
            out.delete();
            return v;
        } finally {
            src.delete();
            ref.delete();
        }
    }

    private static byte[] mask(Path bmp, int w, int h) {
        Dataset d = gdal.Open(bmp.toString());
        byte[] v = new byte[w * h];
        d.GetRasterBand(1).ReadRaster(0, 0, w, h, v);
        d.delete();
        return v;
    }

    @Test
    void taizhouConversionPixelsAgainstTheChangeSamples() throws Exception {
        RealDataSmokeTest.assumeRealData();
        String[] tm = {"blue", "green", "red", "nir", "swir16", "swir22"};
        Path before = item("tz2000", "2000-03-17T02:20:00Z", "taizhou-landsat/2000TM", tm);
        Path after = item("tz2003", "2003-02-06T02:20:00Z", "taizhou-landsat/2003TM", tm);
        Path farmland = tmp.resolve("farm.gpkg");
        // Farmland everywhere: the accuracy of change detection, not of a parcel base, is measured here.
        RealDataSmokeTestAccess.gridFarmland(farmland, "EPSG:32651", 203_325, 3_592_935, 215_325, 3_604_935, 400);
        Path out = tmp.resolve("out");
        Cli r = Cli.run("run", "--before", before.toString(), "--after", after.toString(), "--farmland", farmland.toString(),
                "--out", out.toString(), "--master", "local[2]", "--run-id", "taizhou-accuracy");
        assertEquals(0, r.exit(), r.err());
        Path image = REAL.resolve("taizhou-landsat/2000TM");
        byte[] change = onReferenceGrid(out.resolve("change.tif"), image, 1);
        byte[] changed = mask(REAL.resolve("taizhou-landsat/change.bmp"), 400, 400);
        byte[] unchanged = mask(REAL.resolve("taizhou-landsat/unchanged.bmp"), 400, 400);
        long tp = 0;
        long fp = 0;
        long fn = 0;
        for (int i = 0; i < change.length; i++) {
            // Conversions only (1 non-agricultural, 2 non-grain): bare soil (4) is published but flags nothing.
            boolean detected = change[i] == 1 || change[i] == 2;
            if (changed[i] == (byte) 255) {
                if (detected) {
                    tp++;
                } else {
                    fn++;
                }
            } else if (unchanged[i] == (byte) 255 && detected) {
                fp++;
            }
        }
        double precision = tp / (double) (tp + fp);
        double recall = tp / (double) (tp + fn);
        double f1 = 2 * precision * recall / (precision + recall);
        System.out.printf("taizhou-landsat: precision %.3f, recall %.3f, F1 %.3f (goal 0.75; CVA+Otsu 0.28)%n",
                precision, recall, f1);
        assertEquals(4227, tp + fn, "change.bmp holds 4,227 changed sample pixels");
        // Measured 0.786 (precision 0.992, recall 0.651): recall is bounded by the classes, which miss
        // about a third of the changed samples (dark new roofs read as soil, bare land in 2000).
        assertTrue(f1 >= 0.76, "F1 fell below today's 0.786: " + f1);
        assertTrue(precision >= 0.95, "precision fell below today's 0.992: " + precision);
    }

    @Test
    void sloveniaClassesAgainstTheLandUseRegister() throws Exception {
        RealDataSmokeTest.assumeRealData();
        String[] s2 = {null, "blue", "green", "red", null, null, null, "nir", null, null, null, "swir16", "swir22"};
        Path before = item("slo0711", "2015-07-11T10:00:08Z", "slovenia-s2-eolearn/geotiff/S2L1C_2015-07-11.tif", s2);
        Path after = item("slo0830", "2015-08-30T10:05:47Z", "slovenia-s2-eolearn/geotiff/S2L1C_2015-08-30.tif", s2);
        Path out = tmp.resolve("out");
        Cli r = Cli.run("run", "--before", before.toString(), "--after", after.toString(), "--farmland",
                REAL.resolve("slovenia-s2-eolearn/vector_timeless/LULC.gpkg").toString(), "--out", out.toString(),
                "--master", "local[2]", "--run-id", "slovenia-accuracy");
        assertEquals(0, r.exit(), r.err());
        Path lulc = REAL.resolve("slovenia-s2-eolearn/geotiff/LULC.tif");
        byte[] classes = onReferenceGrid(out.resolve("change_detail.tif"), lulc, 2);
        Dataset d = gdal.Open(lulc.toString());
        int w = d.getRasterXSize();
        int h = d.getRasterYSize();
        short[] ref = new short[w * h];
        d.GetRasterBand(1).ReadRaster(0, 0, w, h, ref);
        d.delete();
        long right = 0;
        long total = 0;
        for (int i = 0; i < ref.length; i++) {
            int expected = switch (ref[i]) {
                case 1 -> 1;   // cultivated land -> cropland
                case 2 -> 3;   // forest
                case 3 -> 5;   // grassland (cropland counts too: one date cannot tell meadow from crop)
                case 8 -> 6;   // artificial surface -> built-up
                default -> -1; // shrubland and unlabelled are not scored
            };
            if (expected < 0) {
                continue;
            }
            total++;
            int got = classes[i];
            if (got == expected || (expected == 5 && got == 1)) {
                right++;
            }
        }
        double oa = right / (double) total;
        System.out.printf("slovenia-s2-eolearn: overall accuracy %.3f over %d labelled cells (goal 0.85)%n", oa, total);
        assertTrue(total > 9000);
        assertTrue(oa >= 0.40, "overall accuracy fell below today's 0.45: " + oa);
    }
}
