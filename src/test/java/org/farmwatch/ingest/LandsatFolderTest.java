package org.farmwatch.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Vector;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Landsat Collection 2 Level-2 folder made from the real Rondônia scene (UTM 20N with negative
 * northings): band names, the C2 scale and offset, and QA_PIXEL masking.
 */
class LandsatFolderTest {

    @TempDir
    Path dir;

    @Test
    void surfaceReflectanceBandsAndQaPixelMaskAreRead() throws Exception {
        Path src = Path.of("../shared/realdata/rondonia-landsat8/LC08_232066_20190727.tif");
        if (System.getenv("CI") != null) {
            assertTrue(Files.exists(src), "CI needs ../shared/realdata");
        }
        Assumptions.assumeTrue(Files.exists(src), "needs ../shared/realdata");
        Gdal.init();
        Path folder = dir.resolve("LC08_L2SP_232066_20190727_20200827_02_T1");
        Files.createDirectories(folder);
        String stem = "LC08_L2SP_232066_20190727_20200827_02_T1_";
        // The real file's six bands are OLI 2..7; each becomes one C2 band file.
        for (int b = 1; b <= 6; b++) {
            Dataset out = gdal.Translate(folder.resolve(stem + "SR_B" + (b + 1) + ".TIF").toString(), gdal.Open(src.toString()),
                    new TranslateOptions(new Vector<>(List.of("-b", Integer.toString(b)))));
            out.delete();
        }
        // QA_PIXEL: clear (bit 6) everywhere except a cloud (bit 3) over the left quarter.
        Dataset red = gdal.Open(folder.resolve(stem + "SR_B4.TIF").toString());
        int w = red.getRasterXSize();
        int h = red.getRasterYSize();
        Dataset qa = gdal.GetDriverByName("GTiff").Create(folder.resolve(stem + "QA_PIXEL.TIF").toString(), w, h, 1,
                org.gdal.gdalconst.gdalconstConstants.GDT_UInt16);
        qa.SetGeoTransform(red.GetGeoTransform());
        qa.SetProjection(red.GetProjectionRef());
        short[] bits = new short[w * h];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                bits[r * w + c] = (short) (c < w / 4 ? (1 << 3) : (1 << 6));
            }
        }
        qa.GetRasterBand(1).WriteRaster(0, 0, w, h, bits);
        qa.delete();
        double[] gt = red.GetGeoTransform();
        red.delete();

        Scene s = SceneCatalog.open(folder.toString());
        assertEquals(LocalDate.of(2019, 7, 27), s.date());
        assertEquals(Scene.MaskKind.QA_PIXEL, s.maskKind());
        assertTrue(s.bands().get(Band.NIR).path().endsWith("SR_B5.TIF"));
        assertEquals(0.0000275, s.bands().get(Band.RED).scale());
        assertEquals(-0.2, s.bands().get(Band.RED).offset());
        // The statistics are in scaled units: the same files read without the C2 scale give raw numbers.
        StringBuilder assets = new StringBuilder();
        String[] names = {"blue", "green", "red", "nir", "swir16", "swir22"};
        for (int b = 0; b < 6; b++) {
            assets.append(b == 0 ? "" : ",").append("\"b").append(b).append("\": {\"href\": \"").append(folder.getFileName())
                    .append("/").append(stem).append("SR_B").append(b + 2).append(".TIF\", \"eo:bands\": [{\"common_name\": \"")
                    .append(names[b]).append("\"}]}");
        }
        Path item = dir.resolve("raw.json");
        Files.writeString(item, "{\"type\": \"Feature\", \"id\": \"raw\", \"properties\": {\"datetime\": "
                + "\"2019-07-27T14:00:00Z\"}, \"assets\": {" + assets + "}}");
        Scene raw = SceneCatalog.open(item.toString());
        assertEquals(raw.p50(Band.NIR) * 0.0000275 - 0.2, s.p50(Band.NIR), 1e-9);
        assertTrue(raw.p50(Band.NIR) > 100, "raw numbers: " + raw.p50(Band.NIR));

        // One tile on a 30 m grid whose origin is the scene's corner: the cloudy half is masked.
        GridLayout layout = new GridLayout("EPSG:32620", gt[0], gt[3], 30, 128);
        try (SceneReader reader = new SceneReader(layout, 0, 0)) {
            TileBands t = reader.read(s, new TileKey(0, 0));
            float[] nir = t.band(Band.NIR);
            assertTrue(Float.isNaN(nir[10 * 128 + 5]), "a cloudy cell is masked");
            // The mask is grown by nothing here (buffer 0): the first clear column is read.
            assertTrue(Float.isNaN(nir[10 * 128 + w / 4 - 1]));
            assertTrue(!Float.isNaN(nir[10 * 128 + w / 4 + 1]), "a clear cell is read");
            assertTrue(Float.isFinite(nir[10 * 128 + 127]) && Math.abs(nir[10 * 128 + 127]) < 2,
                    "scaled units: " + nir[10 * 128 + 127]);
        }
    }
}
