package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code farmwatch train}: its usage errors, and a model trained from land-survey codes driving {@code demo}. */
class TrainCommandTest {

    static final String BEFORE = "sample-tiles/scenes/20250415";

    @TempDir
    Path tmp;

    @Test
    void usageErrorsStopBeforeAnyWork() {
        Cli r = Cli.run("train", "--samples", "x.gpkg", "--model", tmp.resolve("m").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--scenes"), r.err());
        r = Cli.run("train", "--samples", "x.gpkg", "--model", "m", "--scenes", BEFORE, "--catalog", "sample-tiles");
        assertEquals(2, r.exit());
        r = Cli.run("train", "--samples", "x.gpkg", "--model", "m", "--scenes", BEFORE, "--trees", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--trees"), r.err());
        r = Cli.run("train", "--samples", "x.gpkg", "--model", "m", "--catalog", "sample-tiles");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--period"), r.err());
        assertTrue(Files.notExists(tmp.resolve("m")));
    }

    @Test
    void aLabelThatNamesNoClassIsAnInputError() throws Exception {
        Gdal.init();
        Path samples = tmp.resolve("bad.gpkg");
        DataSource ds = ogr.GetDriverByName("GPKG").CreateDataSource(samples.toString());
        SpatialReference wgs = new SpatialReference();
        wgs.ImportFromEPSG(4490);
        Layer l = ds.CreateLayer("samples", wgs, ogr.wkbPoint);
        l.CreateField(new FieldDefn("class", ogr.OFTString));
        for (String label : new String[] {"0101", "swamp"}) {
            Feature f = new Feature(l.GetLayerDefn());
            f.SetField("class", label);
            f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (36.7 116.8)"));
            l.CreateFeature(f);
        }
        ds.delete();
        Cli r = Cli.run("train", "--samples", samples.toString(), "--scenes", BEFORE, "--model",
                tmp.resolve("m").toString(), "--master", "local[1]");
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("'swamp'") && r.err().contains("bad.gpkg"), r.err());
        assertTrue(Files.notExists(tmp.resolve("m")), "nothing written");
    }

    @Test
    void aForestTrainedOnDlbmCodesRunsTheDemo() throws Exception {
        // The farmland base's own DLBM codes (0101/0102/0103 cropland, 0201 orchard) as samples on the baseline scene.
        Path model = tmp.resolve("model");
        Cli t = Cli.run("train", "--samples", "sample-tiles/farmland.gpkg", "--label-field", "DLBM", "--scenes", BEFORE,
                "--model", model.toString(), "--trees", "10", "--max-depth", "8", "--master", "local[2]");
        assertEquals(0, t.exit(), t.err());
        assertTrue(t.out().contains("CROPLAND=") && t.out().contains("ORCHARD="), t.out());
        Path conf = tmp.resolve("forest.conf");
        Files.writeString(conf, "classifier = forest\nclassify.model = " + model.toAbsolutePath() + "\n");
        Path out = tmp.resolve("demo");
        Cli d = Cli.run("demo", "--out", out.toString(), "--conf", conf.toString(), "--master", "local[2]");
        assertEquals(0, d.exit(), d.err());
        assertTrue(Files.readString(out.resolve("run.json")).contains("\"classifier\": \"forest\""));
        // The baseline classes come from the forest: cropland and orchard, as trained, and nothing it never saw.
        Dataset detail = gdal.Open(out.resolve("change_detail.tif").toString());
        int w = detail.getRasterXSize();
        int h = detail.getRasterYSize();
        byte[] before = new byte[w * h];
        detail.GetRasterBand(1).ReadRaster(0, 0, w, h, before);
        detail.delete();
        long[] counts = new long[16];
        for (byte b : before) {
            counts[b & 15]++;
        }
        assertTrue(counts[1] > 0 && counts[2] > 0, "cropland and orchard predicted: " + java.util.Arrays.toString(counts));
        for (int c = 3; c < 16; c++) {
            assertEquals(0, counts[c], "class " + c + " was never trained");
        }
        // A model file that is not there: exit 2 naming the key.
        Files.writeString(conf, "classifier = forest\nclassify.model = " + tmp.resolve("gone") + "\n");
        Cli g = Cli.run("demo", "--out", tmp.resolve("demo2").toString(), "--conf", conf.toString(), "--master", "local[1]");
        assertEquals(2, g.exit());
        assertTrue(g.err().contains("classify.model"), g.err());
    }
}
