package org.farmwatch.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;

/**
 * Tiles of real scenes, read by {@link SceneReader}, against the {@code gdalwarp} command run on the
 * same window: the JP2 Sentinel-2 tile of Havelland (on its own UTM grid, where farmwatch upsamples
 * in Java without warping, and onto the next UTM zone), the Rondônia Landsat scene with negative
 * northings, and the Slovenian 13-band float scene onto Slovenia's national grid. The window of a tile
 * is worked out here from first principles (origin, tile span, halo), not from the reader.
 */
class TilingMatchesGdalwarpTest {

    static final Path REAL = Path.of("../shared/realdata");
    static final int TILE = 128;
    static final int HALO = 8;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void realData() {
        boolean present = Files.isDirectory(REAL);
        if (System.getenv("CI") != null) {
            assertTrue(present, "CI needs ../shared/realdata beside the checkout");
        }
        Assumptions.assumeTrue(present, "../shared/realdata is not beside the checkout");
        Gdal.init();
    }

    /** Havelland's bands, raw digital numbers: no scale, no mask, so that cells compare one to one. */
    static Scene havelland() {
        Map<Band, BandRef> bands = new EnumMap<>(Band.class);
        for (Band b : Band.values()) {
            bands.put(b, BandRef.of(REAL.resolve("havelland-s2/IMG_DATA/T33UUU_20170216T102101_" + b.sentinel2 + ".jp2")
                    .toAbsolutePath().toString()));
        }
        return new Scene("havelland", LocalDate.of(2017, 2, 16), bands, null, null);
    }

    /** One multi-band file with the given 1-based band index per farmwatch band. */
    static Scene multiBand(String id, Path file, int... index) {
        Map<Band, BandRef> bands = new EnumMap<>(Band.class);
        for (Band b : Band.values()) {
            bands.put(b, new BandRef(file.toAbsolutePath().toString(), index[b.ordinal()], 1, 0));
        }
        return new Scene(id, LocalDate.of(2019, 7, 27), bands, null, null);
    }

    @Test
    void havellandOnItsOwnGridIsReadWithoutWarpingAndMatchesGdalwarp() throws Exception {
        // 10 m cells from (0, 10,000,000): the JP2 grid falls on it, so the aligned fast path serves.
        GridLayout grid = new GridLayout("EPSG:32633", 0, 10_000_000, 10, TILE);
        Scene scene = havelland();
        // Tiles inside the image and one over its eastern edge (x 345,360 is the image's end).
        List<TileKey> keys = List.of(grid.keyAt(333_000, 5_818_000), grid.keyAt(340_000, 5_816_000),
                grid.keyAt(345_300, 5_817_000));
        Compared c = compare(scene, grid, keys);
        // 10 m bands are copied cell for cell; 20 m SWIR bands are upsampled as gdalwarp's bilinear does.
        for (Band b : List.of(Band.BLUE, Band.GREEN, Band.RED, Band.NIR)) {
            assertEquals(0.0, c.maxAbs(b), "10 m band " + b + " must be identical: " + c);
        }
        for (Band b : List.of(Band.SWIR16, Band.SWIR22)) {
            assertTrue(c.meanRel(b) < 0.002, "20 m band " + b + " upsampled unlike gdalwarp: " + c);
        }
        assertTrue(c.nanMismatchShare() < 0.002, "cells missing on one side only: " + c);
        assertTrue(c.compared > 3L * TILE * TILE, "the tiles must mostly hold data: " + c);
    }

    @Test
    void havellandOntoTheNextUtmZoneMatchesGdalwarp() throws Exception {
        GridLayout grid = new GridLayout("EPSG:32632", 0, 10_000_000, 10, TILE);
        Scene scene = havelland();
        // Havelland lies east of zone 32's edge: x about 740 km in zone 32.
        Envelope fp = SceneCatalog.footprint(scene, grid.crs());
        List<TileKey> keys = List.of(grid.keyAt(fp.centre().x, fp.centre().y),
                grid.keyAt(fp.getMinX() + 3000, fp.getMaxY() - 2000));
        Compared c = compare(scene, grid, keys);
        for (Band b : Band.values()) {
            assertTrue(c.meanRel(b) < 1e-4, "band " + b + " warped unlike gdalwarp: " + c);
        }
        assertTrue(c.nanMismatchShare() < 0.001, "cells missing on one side only: " + c);
    }

    @Test
    void rondoniaWithNegativeNorthingsMatchesGdalwarp() throws Exception {
        Path tif = REAL.resolve("rondonia-landsat8/LC08_232066_20190727.tif");
        // OLI bands 2..7 are the file's bands 1..6.
        Scene scene = multiBand("rondonia", tif, 1, 2, 3, 4, 5, 6);
        GridLayout grid = new GridLayout("EPSG:32620", 0, 10_000_000, 30, TILE);
        Envelope fp = SceneCatalog.footprint(scene, grid.crs());
        assertTrue(fp.getMaxY() < 0, "the scene lies south of the equator in a northern UTM zone");
        List<TileKey> keys = grid.keysCovering(fp);
        assertTrue(keys.size() >= 2, "a few tiles: " + keys);
        Compared c = compare(scene, grid, keys);
        for (Band b : Band.values()) {
            assertTrue(c.meanRel(b) < 1e-4, "band " + b + " unlike gdalwarp: " + c);
        }
        assertTrue(c.nanMismatchShare() < 0.001, "cells missing on one side only: " + c);
        assertTrue(c.compared > 0.9 * 318 * 235, "the scene's cells are all in the tiles: " + c);
    }

    @Test
    void sloveniaOntoTheNationalGridMatchesGdalwarp() throws Exception {
        Path tif = REAL.resolve("slovenia-s2-eolearn/geotiff/S2L1C_2015-07-11.tif");
        // Bands B01..B08, B8A, B09..B12: blue B02 = 2, green 3, red 4, nir B08 = 8, B11 = 12, B12 = 13.
        Scene scene = multiBand("slovenia", tif, 2, 3, 4, 8, 12, 13);
        GridLayout grid = new GridLayout("EPSG:3794", 0, 10_000_000, 10, TILE);
        List<TileKey> keys = grid.keysCovering(SceneCatalog.footprint(scene, grid.crs()));
        Compared c = compare(scene, grid, keys);
        for (Band b : Band.values()) {
            assertTrue(c.meanRel(b) < 1e-4, "band " + b + " unlike gdalwarp: " + c);
        }
        assertTrue(c.nanMismatchShare() < 0.001, "cells missing on one side only: " + c);
        assertTrue(c.compared > 0.8 * 100 * 101, "the scene's cells are in the tiles: " + c);
    }

    @Test
    void aFileWithNoDataMatchesGdalwarpInCleanWindowsAndInWindowsWithNoDataCells() throws Exception {
        // 6 UInt16 bands in UTM 50N with no-data 0 and a 40 x 40 hole of no data in one corner, onto the
        // Gauss-Krueger zone 38 grid: tiles away from the hole are warped without validity masks (GDAL's
        // fast kernel), the tiles under it with them; both must give gdalwarp's cells.
        int n = 300;
        Path tif = tmp.resolve("nodata-hole.tif");
        Dataset ds = gdal.GetDriverByName("GTiff").Create(tif.toString(), n, n, 6, org.gdal.gdalconst.gdalconstConstants.GDT_UInt16);
        ds.SetGeoTransform(new double[] {300_000, 10, 0, 4_100_040, 0, -10});
        ds.SetProjection(SceneCatalog.srs("EPSG:32650").ExportToWkt());
        for (int b = 1; b <= 6; b++) {
            short[] v = new short[n * n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    boolean hole = r >= 20 && r < 60 && c >= 20 && c < 60;
                    v[r * n + c] = (short) (hole ? 0 : 500 + 300 * b + 7 * c + 3 * r + 150 * Math.sin(c / 4.0 + r / 7.0));
                }
            }
            ds.GetRasterBand(b).SetNoDataValue(0);
            ds.GetRasterBand(b).WriteRaster(0, 0, n, n, v);
        }
        ds.delete();
        Scene scene = multiBand("nodata-hole", tif, 1, 2, 3, 4, 5, 6);
        GridLayout grid = new GridLayout("EPSG:4526", 0, 10_000_000, 10, TILE);
        List<TileKey> keys = grid.keysCovering(SceneCatalog.footprint(scene, grid.crs()));
        assertTrue(keys.size() >= 4, "tiles both clear of the hole and over it: " + keys);
        Compared c = compare(scene, grid, keys);
        for (Band b : Band.values()) {
            assertTrue(c.meanRel(b) < 1e-6, "band " + b + " unlike gdalwarp: " + c);
        }
        assertEquals(0, c.nanOnOneSide, "cells missing on one side only: " + c);
        assertTrue(c.compared > 0.95 * (n * n - 40 * 40), "the scene's cells are in the tiles: " + c);
    }

    /** Per band: differences between the reader's windows and gdalwarp's over the cells both have. */
    static final class Compared {
        final double[] sumAbs = new double[Band.values().length];
        final double[] sumRef = new double[Band.values().length];
        final double[] maxAbs = new double[Band.values().length];
        long compared;
        long nanOnOneSide;

        double maxAbs(Band b) {
            return maxAbs[b.ordinal()];
        }

        /** Mean absolute difference relative to the mean value. */
        double meanRel(Band b) {
            return sumAbs[b.ordinal()] / Math.max(1e-12, sumRef[b.ordinal()]);
        }

        double nanMismatchShare() {
            return nanOnOneSide / (double) Math.max(1, compared + nanOnOneSide);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(compared + " cells, " + nanOnOneSide + " missing on one side;");
            for (Band b : Band.values()) {
                s.append(String.format(" %s max %.3g mean-rel %.2e;", b, maxAbs(b), meanRel(b)));
            }
            return s.toString();
        }
    }

    static Compared compare(Scene scene, GridLayout grid, List<TileKey> keys) throws Exception {
        Compared c = new Compared();
        int size = TILE + 2 * HALO;
        try (SceneReader reader = new SceneReader(grid, HALO, 0)) {
            assertEquals(size, reader.windowSize());
            for (TileKey key : keys) {
                TileBands ours = reader.read(scene, key);
                double span = grid.cellSizeMetres() * TILE;
                double halo = grid.cellSizeMetres() * HALO;
                double minX = grid.originX() + key.col() * span - halo;
                double maxY = grid.originY() - key.row() * span + halo;
                double maxX = minX + span + 2 * halo;
                double minY = maxY - span - 2 * halo;
                for (Band b : Band.values()) {
                    float[] ref = gdalwarp(scene.bands().get(b), grid.crs(), minX, minY, maxX, maxY, size);
                    float[] got = ours.band(b);
                    for (int i = 0; i < ref.length; i++) {
                        boolean refNan = Float.isNaN(ref[i]);
                        if (refNan != Float.isNaN(got[i])) {
                            // The reader drops a cell from every band when one band lacks it.
                            if (!refNan) {
                                c.nanOnOneSide++;
                            }
                            continue;
                        }
                        if (refNan) {
                            continue;
                        }
                        double d = Math.abs(got[i] - ref[i]);
                        c.sumAbs[b.ordinal()] += d;
                        c.sumRef[b.ordinal()] += Math.abs(ref[i]);
                        c.maxAbs[b.ordinal()] = Math.max(c.maxAbs[b.ordinal()], d);
                        if (b == Band.BLUE) {
                            c.compared++;
                        }
                    }
                }
            }
        }
        System.out.println(scene.id() + " on " + grid.crs() + ": " + c);
        return c;
    }

    /** The {@code gdalwarp} command on the window, bilinear to Float32 with NaN outside the scene. */
    static float[] gdalwarp(BandRef ref, String crs, double minX, double minY, double maxX, double maxY, int size)
            throws Exception {
        Path out = tmp.resolve("gdalwarp-" + System.nanoTime() + ".tif");
        String src = ref.path();
        if (ref.index() != 1) {
            // GDAL 3.6's gdalwarp has no -b: pick the band out with a VRT, as a script would.
            src = tmp.resolve("band-" + System.nanoTime() + ".vrt").toString();
            run(List.of("gdalbuildvrt", "-q", "-b", Integer.toString(ref.index()), src, ref.path()));
        }
        run(List.of("gdalwarp", "-q", "-of", "GTiff", "-t_srs", crs,
                "-te", Double.toString(minX), Double.toString(minY), Double.toString(maxX), Double.toString(maxY),
                "-ts", Integer.toString(size), Integer.toString(size), "-r", "bilinear", "-ot", "Float32",
                "-dstnodata", "nan", src, out.toString()));
        Dataset ds = gdal.Open(out.toString());
        try {
            float[] v = new float[size * size];
            ds.GetRasterBand(1).ReadRaster(0, 0, size, size, v);
            return v;
        } finally {
            ds.delete();
            Files.deleteIfExists(out);
        }
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd.get(0) + " hung");
        assertEquals(0, p.exitValue(), cmd.get(0) + " failed: " + log);
    }
}
