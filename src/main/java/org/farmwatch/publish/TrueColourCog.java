package org.farmwatch.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Vector;
import org.farmwatch.change.BandMatch;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.BandRef;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.BuildVRTOptions;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.locationtech.jts.geom.Envelope;

/**
 * A true-colour RGB composite as a Cloud-Optimized GeoTIFF, for QGIS: three Byte bands
 * (red, green, blue), ZSTD, internal overviews, over the run's area in the working CRS on the
 * working cell size. Cells outside the scene are 0 and flagged as no-data; every valid cell is 1-255.
 *
 * <p>Only GDAL touches pixels: a VRT per band picks it from its asset, a VRT stacks the three, a
 * VRT stretches them to Byte, {@code gdal.Warp} streams that onto the working grid into a scratch
 * GeoTIFF chunk by chunk, and {@code gdal.Translate} copies it into the COG block by block. Memory
 * does not grow with the area beyond GDAL's block cache and warp buffer; scratch disk is about one
 * uncompressed-size copy of the composite (LZW).
 *
 * <p>A run does not go back to the scenes: the executors already hold each tile's composite, so
 * {@link #writeTile} writes its RGB there, both periods on the baseline's stretch (the current one first matched to
 * the baseline's radiometry, {@link BandMatch}), and {@link #assemble} stitches the
 * tiles into the COG, as {@link ChangeRaster} does for the change tiles.
 */
public final class TrueColourCog {

    private static final Band[] RGB = {Band.RED, Band.GREEN, Band.BLUE};

    private TrueColourCog() {}

    /** The folder of a run's true-colour tiles, beside its change tiles; one sub-folder per period. */
    public static Path tilesBeside(Path changeTileDir) {
        return changeTileDir.toAbsolutePath().resolveSibling(".true-colour-tiles");
    }

    /**
     * Writes the tile core of a period's composite (clear cells; NaN elsewhere) as a small RGB
     * GeoTIFF in {@code dir}: each visible band stretched linearly from {@code stretch[0]} to
     * {@code stretch[1]} onto 1..255, 0 where the composite has no clear observation. The stretch
     * comes from the period's statistics ({@link #stretch}), not from the tile, so tiles match. With a
     * {@code match} (null: none) each value is first taken to the baseline's radiometry, so that the current
     * composite drawn on the baseline's stretch shows an unchanged field as the baseline does.
     */
    public static void writeTile(Path dir, GridLayout layout, TileKey key, int halo, TileBands composite,
                                 double[] stretch, BandMatch match) {
        Gdal.init();
        int size = layout.tileSize();
        int win = size + 2 * halo;
        if (composite.width != win || composite.height != win) {
            throw new IllegalArgumentException("composite is " + composite.width + " x " + composite.height
                    + " cells, the tile window " + win + " x " + win);
        }
        // Pixel-interleaved, as the COG is: RGB of a cell side by side.
        byte[] rgb = new byte[3 * size * size];
        float lo = (float) stretch[0];
        float k = (float) (254.0 / (stretch[1] - stretch[0]));
        float[] red = matched(composite, Band.RED, match, halo, size);
        float[] green = matched(composite, Band.GREEN, match, halo, size);
        float[] blue = matched(composite, Band.BLUE, match, halo, size);
        for (int r = 0, o = 0; r < size; r++) {
            int w = (r + halo) * win + halo;
            for (int c = 0; c < size; c++, w++, o += 3) {
                rgb[o] = level(red[w], lo, k);
                rgb[o + 1] = level(green[w], lo, k);
                rgb[o + 2] = level(blue[w], lo, k);
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir, e);
        }
        String file = dir.resolve(key.col() + "_" + key.row() + ".tif").toString();
        Dataset ds = gdal.GetDriverByName("GTiff").Create(file, size, size, 3, gdalconstConstants.GDT_Byte,
                new Vector<>(List.of("TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "INTERLEAVE=PIXEL",
                        "COMPRESS=ZSTD", "ZSTD_LEVEL=1")));
        if (ds == null) {
            throw new IllegalStateException("GDAL could not create " + file + ": " + gdal.GetLastErrorMsg());
        }
        try {
            ds.SetGeoTransform(layout.geoTransformOf(key));
            ds.SetProjection(SceneCatalog.srs(layout.crs()).ExportToWkt());
            for (int b = 1; b <= 3; b++) {
                ds.GetRasterBand(b).SetNoDataValue(0);
            }
            // Buffer: pixel spacing 3 bytes, line spacing 3 * size, band spacing 1.
            int err = ds.WriteRaster(0, 0, size, size, size, size, gdalconstConstants.GDT_Byte, rgb, new int[] {1, 2, 3},
                    3, 3 * size, 1);
            if (err != gdalconstConstants.CE_None) {
                throw new IllegalStateException("GDAL could not write " + file + ": " + gdal.GetLastErrorMsg());
            }
        } finally {
            ds.delete();
        }
    }

    /** A band of the window, through {@code match} over the tile core when there is one (a copy: the composite is shared). */
    private static float[] matched(TileBands composite, Band band, BandMatch match, int halo, int size) {
        float[] v = composite.band(band);
        if (match == null) {
            return v;
        }
        float[] out = new float[v.length];
        int win = composite.width;
        for (int r = halo; r < halo + size; r++) {
            for (int c = halo, i = r * win + halo; c < halo + size; c++, i++) {
                out[i] = match.toBaseline(band, v[i]);
            }
        }
        return out;
    }

    /** 0 for no data (NaN), else the stretched value rounded and clamped to 1..255. */
    private static byte level(float v, float lo, float k) {
        if (v != v) {
            return 0;
        }
        float t = 1.5f + (v - lo) * k;
        return (byte) (t < 1 ? 1 : t >= 255 ? 255 : (int) t);
    }

    /**
     * Stitches the tiles {@link #writeTile} left in {@code dir} into the COG {@code out}, replacing
     * any file there; the COG's georeference is that of the tiles' union on the grid.
     */
    public static void assemble(Path dir, Path out) throws IOException {
        Gdal.init();
        String[] files;
        try (var s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".tif")).map(Path::toString).sorted().toArray(String[]::new);
        }
        if (files.length == 0) {
            throw new IOException("no true-colour tiles in " + dir);
        }
        Path target = out.toAbsolutePath();
        Files.deleteIfExists(target);
        Dataset vrt = gdal.BuildVRT(dir.resolve("rgb.vrt").toString(), new Vector<>(List.of(files)),
                new BuildVRTOptions(new Vector<>(List.of("-q"))));
        if (vrt == null) {
            throw new IOException("GDAL could not stack the tiles in " + dir + ": " + gdal.GetLastErrorMsg());
        }
        try {
            toCog(vrt, target);
        } finally {
            vrt.delete();
        }
    }

    /**
     * {@link #assemble} for several composites at once (tile folder to COG), one thread each: the COG
     * driver computes overviews on one core only, so two composites side by side keep two cores busy.
     * The first failure is rethrown once all are done.
     */
    public static void assemble(java.util.Map<Path, Path> tilesToCog) throws IOException {
        List<Thread> threads = new java.util.ArrayList<>();
        java.util.Map<Path, Throwable> failed = new java.util.concurrent.ConcurrentHashMap<>();
        for (var e : tilesToCog.entrySet()) {
            Thread t = new Thread(() -> {
                try {
                    assemble(e.getKey(), e.getValue());
                } catch (Throwable x) {
                    failed.put(e.getValue(), x);
                }
            }, "true-colour " + e.getValue().getFileName());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while writing the true-colour COGs", x);
            }
        }
        for (Throwable x : failed.values()) {
            if (x instanceof IOException io) {
                throw io;
            }
            if (x instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("writing a true-colour COG failed: " + x, x);
        }
    }

    private static void toCog(Dataset src, Path target) throws IOException {
        Vector<String> opts = new Vector<>(List.of("-of", "COG", "-a_nodata", "0",
                "-colorinterp", "red,green,blue",
                // ZSTD level 1 with the predictor: on Sentinel-2-like imagery as small as DEFLATE with the
                // predictor at about 60 % of its CPU time (jobs/bench); GDAL >= 2.3 and QGIS read it.
                "-co", "COMPRESS=ZSTD", "-co", "LEVEL=1", "-co", "PREDICTOR=YES",
                "-co", "BLOCKSIZE=256", "-co", "OVERVIEWS=IGNORE_EXISTING",
                // Nearest, not average: with no-data cells GDAL averages cell by cell, which cost as much as
                // the rest of the COG together (about 10 CPU s per full Sentinel-2 tile); QGIS draws overviews
                // with nearest resampling by default anyway.
                "-co", "OVERVIEW_RESAMPLING=NEAREST",
                "-co", "BIGTIFF=IF_SAFER", "-co", "NUM_THREADS=ALL_CPUS", "-q"));
        Dataset cog = gdal.Translate(target.toString(), src, new TranslateOptions(opts));
        if (cog == null) {
            throw new IOException("GDAL could not write " + target + ": " + gdal.GetLastErrorMsg());
        }
        cog.delete();
    }

    /**
     * Writes the composite of {@code scene} over {@code area} (in {@code areaCrs}, an authority code
     * such as {@code EPSG:4527}) at {@code cellSizeMetres} to {@code out}, replacing any file there.
     * Scratch VRTs live in a hidden folder beside {@code out} and are removed afterwards.
     */
    public static void write(Scene scene, Envelope area, String areaCrs, double cellSizeMetres, Path out)
            throws IOException {
        write(scene, null, area, areaCrs, cellSizeMetres, out);
    }

    /**
     * {@link #write(Scene, Envelope, String, double, Path)} of {@code scene} drawn as {@code baseline} is (null: on
     * its own stretch): on the baseline's stretch, each band taken through the periods' quantile match
     * ({@link BandMatch#ofQuantiles}), so that the two COGs compare.
     */
    public static void write(Scene scene, Scene baseline, Envelope area, String areaCrs, double cellSizeMetres, Path out)
            throws IOException {
        if (area == null || area.isNull() || area.getWidth() <= 0 || area.getHeight() <= 0) {
            throw new IllegalArgumentException("true-colour area is empty: " + area);
        }
        if (!(cellSizeMetres > 0) || !Double.isFinite(cellSizeMetres)) {
            throw new IllegalArgumentException("cell size must be positive, got: " + cellSizeMetres);
        }
        Gdal.init();
        Path target = out.toAbsolutePath();
        Path work = target.resolveSibling("." + target.getFileName() + ".work");
        deleteTree(work);
        Files.createDirectories(work);
        Files.deleteIfExists(target);
        Dataset rgb = null;
        Dataset scaled = null;
        Dataset warped = null;
        try {
            // One VRT per band picks the band out of a (possibly multi-band) asset; another stacks them.
            String[] bandVrts = new String[3];
            for (int i = 0; i < 3; i++) {
                BandRef ref = scene.bands().get(RGB[i]);
                bandVrts[i] = work.resolve("band" + i + ".vrt").toString();
                Dataset single = gdal.BuildVRT(bandVrts[i], new Vector<>(List.of(ref.path())),
                        new BuildVRTOptions(new Vector<>(List.of("-b", Integer.toString(ref.index()), "-q"))));
                single.delete();
            }
            rgb = gdal.BuildVRT(work.resolve("rgb.vrt").toString(), new Vector<>(List.of(bandVrts)),
                    new BuildVRTOptions(new Vector<>(List.of("-separate", "-q"))));
            // The stretch, as a VRT: Byte 1..255 (-exponent 1 is a linear stretch that also clamps),
            // and the sources' no-data cells skipped, so that 0 stays no-data only.
            Vector<String> scale = new Vector<>(List.of("-of", "VRT", "-ot", "Byte", "-a_nodata", "0", "-q"));
            double[] stretch = stretch(baseline == null ? scene : baseline);
            BandMatch match = baseline == null ? BandMatch.identity() : BandMatch.ofQuantiles(baseline, scene);
            for (int i = 0; i < 3; i++) {
                BandRef ref = scene.bands().get(RGB[i]);
                // The baseline's stretch in this scene's radiometry, then in the file's digital numbers.
                double lo = (match.toCurrent(RGB[i], stretch[0]) - ref.offset()) / ref.scale();
                double hi = (match.toCurrent(RGB[i], stretch[1]) - ref.offset()) / ref.scale();
                scale.addAll(List.of("-scale_" + (i + 1), d(lo), d(hi), "1", "255", "-exponent_" + (i + 1), "1"));
            }
            scaled = gdal.Translate(work.resolve("scaled.vrt").toString(), rgb, new TranslateOptions(scale));
            // Snap the extent outwards to whole cells so the composite lines up with the working grid.
            double c = cellSizeMetres;
            double x0 = Math.floor(area.getMinX() / c) * c;
            double y0 = Math.floor(area.getMinY() / c) * c;
            double x1 = Math.ceil(area.getMaxX() / c) * c;
            double y1 = Math.ceil(area.getMaxY() / c) * c;
            // Warped once into a scratch GeoTIFF, which the COG driver then reads twice (overviews, copy):
            // GDAL streams both in chunks, the sources are decoded once.
            warped = gdal.Warp(work.resolve("warped.tif").toString(), new Dataset[] {scaled}, new WarpOptions(new Vector<>(
                    List.of("-of", "GTiff", "-t_srs", areaCrs, "-te", d(x0), d(y0), d(x1), d(y1), "-tr", d(c), d(c),
                            // Same cell size as the source: nearest copies cells; otherwise average them.
                            "-r", sameCell(scene, c) ? "near" : "average", "-srcnodata", "0", "-dstnodata", "0",
                            "-wm", "256", "-multi", "-wo", "NUM_THREADS=ALL_CPUS",
                            "-co", "TILED=YES", "-co", "COMPRESS=NONE", "-co", "BIGTIFF=IF_SAFER", "-q"))));
            toCog(warped, target);
        } finally {
            if (warped != null) {
                warped.delete();
            }
            if (scaled != null) {
                scaled.delete();
            }
            if (rgb != null) {
                rgb.delete();
            }
            deleteTree(work);
        }
    }

    /**
     * The stretch shared by all three bands, in the scene's working units, as {@link Quicklook} draws
     * it so that colours keep their balance: from the darkest visible band's 2nd percentile to three
     * times the mean visible median, or to 1.2 times the brightest visible band's 90th percentile where
     * that is higher: a bright city or dry season would otherwise blow out (on Mumbai 15 % of the red
     * cells were white).
     */
    public static double[] stretch(Scene scene) {
        double lo = Math.min(scene.p2(Band.RED), Math.min(scene.p2(Band.GREEN), scene.p2(Band.BLUE)));
        double hi = 3 * (scene.p50(Band.RED) + scene.p50(Band.GREEN) + scene.p50(Band.BLUE)) / 3;
        double p90 = Math.max(scene.p90(Band.RED), Math.max(scene.p90(Band.GREEN), scene.p90(Band.BLUE)));
        if (Double.isFinite(p90)) {
            hi = Math.max(hi, 1.2 * p90);
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("scene " + scene.id()
                    + " has no band statistics; open it with SceneCatalog.open");
        }
        if (!(hi > lo)) {
            hi = lo + 1;
        }
        return new double[] {lo, hi};
    }

    private static boolean sameCell(Scene scene, double cell) {
        Dataset ds = gdal.Open(scene.bands().get(org.farmwatch.ingest.Band.RED).path());
        try {
            return ds != null && Math.abs(Math.abs(ds.GetGeoTransform()[1]) - cell) < 1e-9 * cell;
        } finally {
            if (ds != null) {
                ds.delete();
            }
        }
    }

    private static String d(double v) {
        return Double.toString(v);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
