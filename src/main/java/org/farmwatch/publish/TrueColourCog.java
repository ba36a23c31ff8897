package org.farmwatch.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Vector;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.BandRef;
import org.farmwatch.ingest.Scene;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.BuildVRTOptions;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * A true-colour RGB composite of a scene as a Cloud-Optimized GeoTIFF, for QGIS: three Byte bands
 * (red, green, blue), DEFLATE, internal overviews, over the run's area in the working CRS on the
 * working cell size. Cells outside the scene are 0 and flagged as no-data; every valid cell is 1-255.
 *
 * <p>Only GDAL touches pixels: a VRT per band picks it from its asset, a VRT stacks the three, a
 * VRT stretches them to Byte, {@code gdal.Warp} streams that onto the working grid into a scratch
 * GeoTIFF chunk by chunk, and {@code gdal.Translate} copies it into the COG block by block. Memory
 * does not grow with the area beyond GDAL's block cache and warp buffer; scratch disk is about one
 * uncompressed-size copy of the composite (LZW).
 */
public final class TrueColourCog {

    private static final Band[] RGB = {Band.RED, Band.GREEN, Band.BLUE};

    private TrueColourCog() {}

    /**
     * Writes the composite of {@code scene} over {@code area} (in {@code areaCrs}, an authority code
     * such as {@code EPSG:4527}) at {@code cellSizeMetres} to {@code out}, replacing any file there.
     * Scratch VRTs live in a hidden folder beside {@code out} and are removed afterwards.
     */
    public static void write(Scene scene, Envelope area, String areaCrs, double cellSizeMetres, Path out)
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
            double[] stretch = stretch(scene);
            for (int i = 0; i < 3; i++) {
                BandRef ref = scene.bands().get(RGB[i]);
                double lo = (stretch[0] - ref.offset()) / ref.scale();
                double hi = (stretch[1] - ref.offset()) / ref.scale();
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
            Vector<String> opts = new Vector<>(List.of("-of", "COG", "-a_nodata", "0",
                    "-colorinterp", "red,green,blue", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=YES",
                    "-co", "BLOCKSIZE=256", "-co", "OVERVIEWS=IGNORE_EXISTING", "-co", "OVERVIEW_RESAMPLING=AVERAGE",
                    "-co", "BIGTIFF=IF_SAFER", "-co", "NUM_THREADS=ALL_CPUS", "-q"));
            Dataset cog = gdal.Translate(target.toString(), warped, new TranslateOptions(opts));
            if (cog == null) {
                throw new IOException("GDAL could not write " + target + ": " + gdal.GetLastErrorMsg());
            }
            cog.delete();
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
     * times the mean visible median.
     */
    static double[] stretch(Scene scene) {
        double lo = Math.min(scene.p2(Band.RED), Math.min(scene.p2(Band.GREEN), scene.p2(Band.BLUE)));
        double hi = 3 * (scene.p50(Band.RED) + scene.p50(Band.GREEN) + scene.p50(Band.BLUE)) / 3;
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
