package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The true-colour COG a run assembles from its executors' tiles: tile cores only (no halo), in
 * place on the grid, one stretch for every tile, no data where the composite has none, and a COG
 * with overviews that GDAL recognises as such.
 */
class TrueColourTilesTest {

    static final int SIZE = 64;
    static final int HALO = 4;
    static final int WIN = SIZE + 2 * HALO;
    static final GridLayout LAYOUT = new GridLayout("EPSG:4527", 39_500_000, 4_100_000, 10, SIZE);
    static final double[] STRETCH = {100, 354};  // 254 units: one Byte step per unit

    @TempDir
    Path tmp;

    @BeforeAll
    static void gdal() {
        Gdal.init();
    }

    /** A tile window whose core cell (r, c) holds {@code 100 + base + c} in red, halo cells 10000. */
    static TileBands window(int base) {
        TileBands t = new TileBands(WIN, WIN);
        for (float[] b : t.bands) {
            Arrays.fill(b, 10_000);
        }
        for (int r = 0; r < SIZE; r++) {
            for (int c = 0; c < SIZE; c++) {
                int w = (r + HALO) * WIN + c + HALO;
                t.band(Band.RED)[w] = 100 + base + c;
                t.band(Band.GREEN)[w] = 100;      // the stretch's low end
                t.band(Band.BLUE)[w] = 1_000;     // beyond the high end: clamped
            }
        }
        return t;
    }

    @Test
    void tilesStitchIntoACogOnTheGridWithOneStretch() throws Exception {
        Path dir = tmp.resolve("tiles");
        TileKey left = new TileKey(3, 5);
        TileKey right = new TileKey(4, 5);
        TileBands a = window(0);
        TileBands b = window(SIZE);
        // A cloud in the right tile: no clear observation, so no data.
        int cloud = (HALO + 10) * WIN + HALO + 20;
        for (float[] band : b.bands) {
            band[cloud] = Float.NaN;
        }
        TrueColourCog.writeTile(dir, LAYOUT, left, HALO, a, STRETCH, null);
        TrueColourCog.writeTile(dir, LAYOUT, right, HALO, b, STRETCH, null);
        Path cog = tmp.resolve("rgb.tif");
        TrueColourCog.assemble(dir, cog);

        Dataset ds = gdal.Open(cog.toString());
        try {
            assertEquals("COG", ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
            assertEquals(3, ds.getRasterCount());
            assertEquals(2 * SIZE, ds.getRasterXSize());
            assertEquals(SIZE, ds.getRasterYSize());
            double[] gt = ds.GetGeoTransform();
            assertArrayEquals(LAYOUT.geoTransformOf(left), gt, 1e-6);
            assertEquals(gdalconstConstants.GCI_RedBand, ds.GetRasterBand(1).GetColorInterpretation());
            assertEquals(gdalconstConstants.GCI_BlueBand, ds.GetRasterBand(3).GetColorInterpretation());
            Double[] nodata = new Double[1];
            ds.GetRasterBand(1).GetNoDataValue(nodata);
            assertEquals(0.0, nodata[0]);
            assertEquals(gdalconstConstants.GDT_Byte, ds.GetRasterBand(1).getDataType());

            byte[] red = new byte[2 * SIZE];
            ds.GetRasterBand(1).ReadRaster(0, 0, 2 * SIZE, 1, red);
            // Red runs 100..227 across both tiles: one step per cell, continuous over the tile edge,
            // which only a shared stretch gives.
            for (int c = 0; c < 2 * SIZE; c++) {
                assertEquals(1 + c, red[c] & 255, "red at column " + c);
            }
            byte[] green = new byte[1];
            byte[] blue = new byte[1];
            ds.GetRasterBand(2).ReadRaster(5, 5, 1, 1, green);
            ds.GetRasterBand(3).ReadRaster(5, 5, 1, 1, blue);
            assertEquals(1, green[0] & 255, "the low end stays valid (1), apart from no data (0)");
            assertEquals(255, blue[0] & 255, "values beyond the high end clamp to 255");
            byte[] cell = new byte[1];
            ds.GetRasterBand(1).ReadRaster(SIZE + 20, 10, 1, 1, cell);
            assertEquals(0, cell[0] & 255, "a cell without clear observation is no data");
            ds.GetRasterBand(1).ReadRaster(SIZE + 21, 10, 1, 1, cell);
            assertEquals(1 + SIZE + 21, cell[0] & 255);
        } finally {
            ds.delete();
        }
    }

    @Test
    void largeCompositesGetOverviews() throws Exception {
        GridLayout layout = new GridLayout("EPSG:4527", 39_500_000, 4_100_000, 10, 512);
        Path dir = tmp.resolve("big");
        TileBands t = new TileBands(512, 512);
        for (int i = 0; i < 512 * 512; i++) {
            t.band(Band.RED)[i] = 100 + i % 254;
            t.band(Band.GREEN)[i] = 200;
            t.band(Band.BLUE)[i] = 300;
        }
        for (int c = 0; c < 2; c++) {
            for (int r = 0; r < 2; r++) {
                TrueColourCog.writeTile(dir, layout, new TileKey(c, r), 0, t, STRETCH, null);
            }
        }
        Path cog = tmp.resolve("big.tif");
        TrueColourCog.assemble(dir, cog);
        Dataset ds = gdal.Open(cog.toString());
        try {
            assertEquals("COG", ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
            assertEquals(1024, ds.getRasterXSize());
            assertTrue(ds.GetRasterBand(1).GetOverviewCount() >= 1, "a 1024-cell composite has overviews");
        } finally {
            ds.delete();
        }
    }

    @Test
    void refusesAWindowOfTheWrongSizeAndAnEmptyFolder() throws Exception {
        assertThrows(IllegalArgumentException.class,
                () -> TrueColourCog.writeTile(tmp, LAYOUT, new TileKey(0, 0), 0, window(0), STRETCH, null));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThrows(java.io.IOException.class, () -> TrueColourCog.assemble(empty, tmp.resolve("x.tif")));
    }
}
