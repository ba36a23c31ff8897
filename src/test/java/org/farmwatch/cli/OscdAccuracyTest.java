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
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Geometry;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osrConstants;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The accuracy floor on three oscd-s2 cities: the real run with the shipped configuration, its published
 * change patches (the low-priority ones, bare soil and low confidence, left out) burnt onto the label grid, and scored as
 * {@code jobs/accuracy} scores them. The floors are today's figures less a margin, so that a later change
 * cannot lose accuracy silently; {@code jobs/accuracy} gives the whole table. Nothing here is fitted.
 */
class OscdAccuracyTest {

    static final Path OSCD = RealDataSmokeTest.REAL.resolve("oscd-s2");

    @TempDir
    Path tmp;

    /** F1 and hit share measured on a9bd747 (jobs/accuracy), less about 0.03 and 0.05. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "nantes, 0.30, 0.14",
        "bercy, 0.12, 0.08",
        "paris, 0.12, 0.05",
    })
    void pixelF1AndHitShareStayAboveTheirFloors(String city, double minF1, double minHitShare) throws Exception {
        RealDataSmokeTest.assumeRealData();
        Path dir = OSCD.resolve(city);
        Path conf = tmp.resolve("accuracy.conf");
        Files.writeString(conf, "store.dir = off\npublish.outputs = geopackage\n");
        Path out = tmp.resolve("out");
        Cli r = Cli.run("run", "--before", dir.resolve("imgs_1").toString(), "--after", dir.resolve("imgs_2").toString(),
                "--farmland", dir.resolve("farmland-grid.gpkg") + "#jbnt", "--out", out.toString(), "--conf",
                conf.toString(), "--master", "local[2]", "--run-id", "oscd-" + city);
        assertEquals(0, r.exit(), r.err());

        Gdal.init();
        Path b02 = only(dir.resolve("imgs_1"), "*_B02.tif");
        Dataset grid = gdal.Open(b02.toString());
        Dataset cm = gdal.Open(dir.resolve("cm").resolve(city + "-cm.tif").toString());
        int w = grid.getRasterXSize();
        int h = grid.getRasterYSize();
        byte[] labels = new byte[w * h];
        cm.GetRasterBand(1).ReadRaster(0, 0, w, h, labels);
        cm.delete();
        int[] patchOf = burnPatches(out.resolve("onemap.gpkg"), grid);
        grid.delete();

        long tp = 0;
        long fp = 0;
        long fn = 0;
        int patches = 0;
        for (int v : patchOf) {
            patches = Math.max(patches, v);
        }
        long[] cells = new long[patches + 1];
        long[] hits = new long[patches + 1];
        for (int i = 0; i < labels.length; i++) {
            boolean changed = labels[i] == 2;
            if (labels[i] != 1 && !changed) {
                continue;
            }
            boolean detected = patchOf[i] > 0;
            tp += detected && changed ? 1 : 0;
            fp += detected && !changed ? 1 : 0;
            fn += !detected && changed ? 1 : 0;
            cells[patchOf[i]]++;
            hits[patchOf[i]] += changed ? 1 : 0;
        }
        int judged = 0;
        int hit = 0;
        for (int p = 1; p <= patches; p++) {
            if (cells[p] > 0) {
                judged++;
                hit += hits[p] >= 0.25 * cells[p] ? 1 : 0;
            }
        }
        double precision = tp / (double) Math.max(1, tp + fp);
        double recall = tp / (double) Math.max(1, tp + fn);
        double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        double hitShare = judged > 0 ? hit / (double) judged : 0;
        System.out.printf("oscd-s2 %s: precision %.3f, recall %.3f, F1 %.3f, hit share %.3f of %d patches%n", city,
                precision, recall, f1, hitShare, judged);
        assertTrue(tp + fn > 0, city + ": the label map marks no change");
        assertTrue(f1 >= minF1, city + ": F1 " + f1 + " fell below its floor " + minF1);
        assertTrue(hitShare >= minHitShare, city + ": hit share " + hitShare + " fell below its floor " + minHitShare);
    }

    private static Path only(Path dir, String glob) throws Exception {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            ds.forEach(found::add);
        }
        assertEquals(1, found.size(), dir + "/" + glob);
        return found.get(0);
    }

    /** Each published patch but the low-priority ones burnt onto {@code grid} as its index + 1 (0: none). */
    private static int[] burnPatches(Path gpkg, Dataset grid) {
        DataSource src = ogr.Open(gpkg.toString());
        Layer patches = src.GetLayerByName("change_patches");
        patches.SetAttributeFilter("change_type NOT IN ('bare_soil', 'low_confidence')");
        SpatialReference to = new SpatialReference(grid.GetProjectionRef());
        to.SetAxisMappingStrategy(osrConstants.OAMS_TRADITIONAL_GIS_ORDER);
        SpatialReference from = patches.GetSpatialRef();
        from.SetAxisMappingStrategy(osrConstants.OAMS_TRADITIONAL_GIS_ORDER);
        CoordinateTransformation ct = CoordinateTransformation.CreateCoordinateTransformation(from, to);
        DataSource mem = ogr.GetDriverByName("Memory").CreateDataSource("patches");
        Layer burnt = mem.CreateLayer("patches", to, ogr.wkbMultiPolygon);
        burnt.CreateField(new FieldDefn("idx", ogr.OFTInteger));
        int n = 0;
        for (Feature f = patches.GetNextFeature(); f != null; f = patches.GetNextFeature()) {
            Geometry g = f.GetGeometryRef().Clone();
            g.Transform(ct);
            Feature o = new Feature(burnt.GetLayerDefn());
            o.SetField("idx", ++n);
            o.SetGeometry(g);
            burnt.CreateFeature(o);
            o.delete();
            f.delete();
        }
        int w = grid.getRasterXSize();
        int h = grid.getRasterYSize();
        Dataset ras = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdalconstConstants.GDT_Int32);
        ras.SetGeoTransform(grid.GetGeoTransform());
        ras.SetProjection(grid.GetProjectionRef());
        gdal.RasterizeLayer(ras, new int[] {1}, burnt, null, new Vector<>(List.of("ATTRIBUTE=idx")));
        int[] v = new int[w * h];
        ras.GetRasterBand(1).ReadRaster(0, 0, w, h, v);
        ras.delete();
        mem.delete();
        src.delete();
        return v;
    }
}
