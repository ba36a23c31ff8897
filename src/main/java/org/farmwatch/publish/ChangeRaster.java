package org.farmwatch.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Vector;
import java.util.stream.Stream;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.BuildVRTOptions;
import org.gdal.gdal.ColorTable;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;

/**
 * The change raster: each executor writes its tiles as small GeoTIFFs (band 1 change type: 0 none,
 * 1 non-agricultural, 2 non-grain, 3 other; band 2 baseline class; band 3 current class; bands 4 and
 * 5 the clear observations per cell in each period), and the driver stitches them through VRTs
 * into Cloud-Optimized GeoTIFFs, GDAL streaming block by block.
 */
public final class ChangeRaster {
    private ChangeRaster() {}

    /** Writes the tile core of {@code code} and both class rasters; returns the number of changed cells. */
    public static long writeTile(Path dir, GridLayout layout, TileKey key, int halo, byte[] code, byte[] beforeClass,
                                 byte[] afterClass, short[] beforeValid, short[] afterValid, ChangeDetector detector,
                                 List<ConversionRule> rules) {
        Gdal.init();
        int size = layout.tileSize();
        int win = size + 2 * halo;
        byte[] type = new byte[size * size];
        byte[] from = new byte[size * size];
        byte[] to = new byte[size * size];
        byte[] obsBefore = new byte[size * size];
        byte[] obsAfter = new byte[size * size];
        long changed = 0;
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                int w = (r + halo) * win + c + halo;
                int i = r * size + c;
                from[i] = beforeClass[w];
                to[i] = afterClass[w];
                obsBefore[i] = (byte) Math.min(255, beforeValid[w]);
                obsAfter[i] = (byte) Math.min(255, afterValid[w]);
                int v = code[w] & 255;
                if (v != 0) {
                    int rule = detector.ruleOf(v);
                    ChangeType t = rule > 0 && rule <= rules.size() ? rules.get(rule - 1).type() : ChangeType.OTHER;
                    type[i] = (byte) (t.ordinal() + 1);
                    changed++;
                }
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create " + dir, e);
        }
        // Fast to write (the COG is compressed again when it is assembled); band-interleaved, since the bands
        // are written and later read one at a time.
        Vector<String> co = new Vector<>(List.of("COMPRESS=ZSTD", "ZSTD_LEVEL=1", "TILED=YES", "INTERLEAVE=BAND"));
        Dataset ds = gdal.GetDriverByName("GTiff").Create(dir.resolve(key.col() + "_" + key.row() + ".tif").toString(),
                size, size, 5, gdalconstConstants.GDT_Byte, co);
        try {
            ds.SetGeoTransform(layout.geoTransformOf(key));
            ds.SetProjection(org.farmwatch.ingest.SceneCatalog.srs(layout.crs()).ExportToWkt());
            ds.GetRasterBand(1).WriteRaster(0, 0, size, size, type);
            ds.GetRasterBand(2).WriteRaster(0, 0, size, size, from);
            ds.GetRasterBand(3).WriteRaster(0, 0, size, size, to);
            ds.GetRasterBand(4).WriteRaster(0, 0, size, size, obsBefore);
            ds.GetRasterBand(5).WriteRaster(0, 0, size, size, obsAfter);
        } finally {
            ds.delete();
        }
        return changed;
    }

    /**
     * Stitches every tile in {@code dir} into two COGs: {@code change} holds the change type alone
     * with its colour table (GeoTIFF keeps a palette only on single-band files, and analysts open this
     * one), {@code detail} the baseline and current classes and the clear-observation counts. Either may be
     * null, and is then not written.
     */
    public static void buildCogs(Path dir, Path change, Path detail) throws java.io.IOException {
        Gdal.init();
        String[] files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".tif")).map(Path::toString).sorted().toArray(String[]::new);
        }
        if (files.length == 0) {
            throw new IllegalStateException("no change tiles in " + dir);
        }
        // The two files at once: building overviews is single-threaded in GDAL, and each thread has its own datasets.
        java.util.concurrent.CompletableFuture<Void> detailDone = detail == null
                ? java.util.concurrent.CompletableFuture.completedFuture(null)
                : java.util.concurrent.CompletableFuture.runAsync(() -> detailCog(dir, files, detail));
        try {
            if (change != null) {
                changeCog(dir, files, change);
            }
        } finally {
            try {
                detailDone.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
    }

    private static void changeCog(Path dir, String[] files, Path change) {
        Dataset v = gdal.BuildVRT(dir.resolve("change.vrt").toString(), new Vector<>(List.of(files)),
                new BuildVRTOptions(new Vector<>(List.of("-q", "-b", "1"))));
        try {
            ColorTable ct = new ColorTable(gdalconstConstants.GPI_RGB);
            ct.SetColorEntry(0, new java.awt.Color(0, 0, 0, 0));
            ct.SetColorEntry(1, new java.awt.Color(227, 26, 28));
            ct.SetColorEntry(2, new java.awt.Color(255, 127, 0));
            ct.SetColorEntry(3, new java.awt.Color(150, 150, 150));
            v.GetRasterBand(1).SetColorTable(ct);
            v.GetRasterBand(1).SetDescription("change_type: 0 none, 1 non_agricultural, 2 non_grain, 3 other, 4 bare_soil");
            translate(v, change);
        } finally {
            v.delete();
        }
    }

    private static void detailCog(Path dir, String[] files, Path detail) {
        Dataset d = gdal.BuildVRT(dir.resolve("detail.vrt").toString(), new Vector<>(List.of(files)),
                new BuildVRTOptions(new Vector<>(List.of("-q", "-b", "2", "-b", "3", "-b", "4", "-b", "5"))));
        try {
            d.GetRasterBand(1).SetDescription("baseline land-cover class id");
            d.GetRasterBand(2).SetDescription("current land-cover class id");
            d.GetRasterBand(3).SetDescription("clear observations in the baseline period");
            d.GetRasterBand(4).SetDescription("clear observations in the current period");
            translate(d, detail);
        } finally {
            d.delete();
        }
    }

    private static void translate(Dataset src, Path out) {
        Dataset cog = gdal.Translate(out.toString(), src, new TranslateOptions(new Vector<>(List.of(
                // DEFLATE at level 1: every GeoTIFF reader opens it, and class rasters still shrink ~25-fold
                // while compressing twice as fast as the default level 6.
                "-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "LEVEL=1", "-co", "OVERVIEW_RESAMPLING=NEAREST",
                "-co", "BLOCKSIZE=512",
                // DEFLATE blocks are compressed on every core; the driver is otherwise idle by now.
                "-co", "NUM_THREADS=ALL_CPUS", "-q"))));
        cog.delete();
    }
}
