package org.farmwatch.ingest;

import java.util.HashMap;
import java.util.Map;
import java.util.Vector;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.locationtech.jts.geom.Envelope;

/**
 * Warps a scene's bands onto one grid tile window with GDAL: bilinear for reflectance, nearest for
 * the SCL mask. One reader serves one task and keeps its source datasets open across the tiles of
 * that task; it is not thread-safe (GDAL datasets must not be shared between threads).
 */
public final class SceneReader implements AutoCloseable {

    /** SCL classes that hide the ground: no data, saturated, cloud shadow, cloud medium/high, cirrus. */
    private static final boolean[] SCL_MASKED = new boolean[256];

    static {
        for (int v : new int[] {0, 1, 3, 8, 9, 10}) {
            SCL_MASKED[v] = true;
        }
    }

    /** QA_PIXEL bits that hide the ground: fill, dilated cloud, cirrus, cloud, cloud shadow. */
    private static final int QA_MASKED = 0b11111;

    private final GridLayout layout;
    private final int halo;
    private final Map<String, Dataset> open = new HashMap<>();

    private final int cloudBufferCells;

    /**
     * Each band's dark-object level ({@link Scene#dark}, zero where it does not apply) is subtracted,
     * and the SCL cloud mask is grown by {@code cloudBufferMetres}.
     */
    public SceneReader(GridLayout layout, int haloCells, double cloudBufferMetres) {
        Gdal.init();
        this.layout = layout;
        this.halo = haloCells;
        this.cloudBufferCells = (int) Math.ceil(cloudBufferMetres / layout.cellSizeMetres());
    }

    /** Grows the true cells of a square mask by {@code r} cells (a square structuring element, in two passes). */
    static void dilate(boolean[] mask, int size, int r) {
        if (r <= 0) {
            return;
        }
        // Most tiles are clear: nothing to grow, and the two passes below cost as much as reading a band.
        boolean any = false;
        for (int i = 0; i < mask.length && !any; i++) {
            any = mask[i];
        }
        if (!any) {
            return;
        }
        boolean[] tmp = new boolean[mask.length];
        for (int y = 0; y < size; y++) {
            int run = -1;
            for (int x = 0; x < size; x++) {
                if (mask[y * size + x]) {
                    run = x;
                }
                if (run >= 0 && x - run <= r) {
                    tmp[y * size + x] = true;
                }
            }
            run = -1;
            for (int x = size - 1; x >= 0; x--) {
                if (mask[y * size + x]) {
                    run = x;
                }
                if (run >= 0 && run - x <= r) {
                    tmp[y * size + x] = true;
                }
            }
        }
        for (int x = 0; x < size; x++) {
            int run = -1;
            for (int y = 0; y < size; y++) {
                if (tmp[y * size + x]) {
                    run = y;
                }
                mask[y * size + x] = run >= 0 && y - run <= r;
            }
            run = -1;
            for (int y = size - 1; y >= 0; y--) {
                if (tmp[y * size + x]) {
                    run = y;
                }
                if (run >= 0 && run - y <= r) {
                    mask[y * size + x] = true;
                }
            }
        }
    }

    public int windowSize() {
        return layout.tileSize() + 2 * halo;
    }

    /** Window extent of a tile: its extent grown by the halo on every side. */
    public Envelope windowOf(TileKey key) {
        Envelope e = new Envelope(layout.extentOf(key));
        e.expandBy(halo * layout.cellSizeMetres());
        return e;
    }

    /** Reads the six bands of {@code scene} over the tile window; masked cells are NaN. */
    public TileBands read(Scene scene, TileKey key) {
        int size = windowSize();
        Envelope win = windowOf(key);
        TileBands out = new TileBands(size, size);
        // Group bands by file: a multi-band asset is warped once for all its bands.
        Map<String, Dataset> warped = new HashMap<>();
        boolean[] masked = null;
        try {
            for (Band b : Band.values()) {
                BandRef ref = scene.bands().get(b);
                float[] dst = out.band(b);
                Dataset src = source(ref.path(), scene);
                AlignedWindow aligned = aligned(ref.path(), src, win, size);
                double scale = ref.scale();
                // Dark-object subtraction: haze and sensor offsets leave the ratios scale-free.
                double offset = ref.offset() - scene.dark(b);
                if (aligned != null) {
                    aligned.readContinuous(src, ref.index(), size, dst, scale, offset);
                    bytesRead += sourceBytes(ref.path(), src, win, size, ref.index());
                    continue;
                }
                Dataset w = warped.computeIfAbsent(ref.path(), p -> {
                    // The warp reads every band of the file.
                    bytesRead += sourceBytes(p, src, win, size, 0);
                    return cleanUnder(p, src, win) ? warpUnmasked(p, win, size, scene) : warp(p, win, size, "bilinear", scene);
                });
                w.GetRasterBand(ref.index()).ReadRaster(0, 0, size, size, dst);
                if (scale != 1 || offset != 0) {
                    for (int i = 0; i < dst.length; i++) {
                        dst[i] = (float) (offset + scale * dst[i]);
                    }
                }
            }
            if (scene.scl() != null) {
                boolean qa = scene.maskKind() == Scene.MaskKind.QA_PIXEL;
                short[] maskValues = new short[size * size];
                Dataset src = source(scene.scl().path(), scene);
                AlignedWindow aligned = aligned(scene.scl().path(), src, win, size);
                if (aligned != null) {
                    // Outside the file: SCL 0 (no data) or QA fill bit, both masked.
                    aligned.readMask(src, scene.scl().index(), size, maskValues, (short) 1);
                    bytesRead += sourceBytes(scene.scl().path(), src, win, size, scene.scl().index());
                } else {
                    bytesRead += sourceBytes(scene.scl().path(), src, win, size, 0);
                    Dataset m = warp(scene.scl().path(), win, size, "near", scene, qa ? "UInt16" : "Byte", "1");
                    warped.put("#scl", m);
                    m.GetRasterBand(scene.scl().index()).ReadRaster(0, 0, size, size, gdalconstConstants.GDT_Int16,
                            maskValues);
                }
                masked = new boolean[size * size];
                for (int i = 0; i < maskValues.length; i++) {
                    masked[i] = qa ? (maskValues[i] & QA_MASKED) != 0 : SCL_MASKED[maskValues[i] & 0xff];
                }
                // Cloud edges are brighter than the ground but thinner than SCL sees: grow the mask.
                dilate(masked, size, cloudBufferCells);
            }
        } finally {
            warped.values().forEach(Dataset::delete);
        }
        if (scene.scl() == null) {
            maskCloudsSpectrally(out, scene);
        }
        // A cell masked, or missing in any band, is missing in all. Summing v * 0 over the bands finds them in
        // one pass per band: NaN (and an infinite value, never a real reflectance) turns the sum to NaN.
        int n = size * size;
        float[] any = new float[n];
        if (masked != null) {
            for (int i = 0; i < n; i++) {
                if (masked[i]) {
                    any[i] = Float.NaN;
                }
            }
        }
        for (float[] band : out.bands) {
            for (int i = 0; i < n; i++) {
                any[i] += band[i] * 0f;
            }
        }
        for (float[] band : out.bands) {
            for (int i = 0; i < n; i++) {
                if (any[i] != any[i]) {
                    band[i] = Float.NaN;
                }
            }
        }
        return out;
    }

    /**
     * Without a mask band: a cell far brighter than the scene in blue, white across the visible
     * bands and without green canopy is taken for cloud, and the mask is grown as for SCL.
     */
    private void maskCloudsSpectrally(TileBands t, Scene scene) {
        float[] blue = t.band(Band.BLUE);
        float[] green = t.band(Band.GREEN);
        float[] red = t.band(Band.RED);
        float[] nir = t.band(Band.NIR);
        double blueRef = Math.max(1e-9, scene.clearP90(Band.BLUE));
        boolean[] cloud = new boolean[blue.length];
        boolean any = false;
        for (int i = 0; i < blue.length; i++) {
            float b = blue[i];
            if (Float.isNaN(b)) {
                continue;
            }
            double ndvi = (nir[i] - red[i]) / (nir[i] + red[i] + 1e-9);
            double whiteness = Math.max(Math.abs(green[i] - b), Math.abs(red[i] - b)) / (b + 1e-9);
            if (b > CLOUD_BLUE * blueRef && ndvi < 0.25 && whiteness < 0.3) {
                cloud[i] = true;
                any = true;
            }
        }
        if (!any) {
            return;
        }
        dilate(cloud, t.width, cloudBufferCells);
        for (int i = 0; i < cloud.length; i++) {
            if (cloud[i]) {
                for (float[] band : t.bands) {
                    band[i] = Float.NaN;
                }
            }
        }
    }

    /** How many times the scene's 90th-percentile blue a cell must reach to be taken for cloud. */
    private static final double CLOUD_BLUE = 3.0;

    private final Map<String, Boolean> sameCrs = new HashMap<>();
    private final Map<String, org.gdal.osr.CoordinateTransformation> toSource = new HashMap<>();
    private long bytesRead;

    /**
     * Bytes of raster data this reader has had GDAL read so far: per band file and tile window, the
     * source cells under the window's footprint times the band's data type size (all bands of a file
     * that is warped, as the warp reads them all). Decoded bytes: compressed files take fewer on disk.
     */
    public long bytesRead() {
        return bytesRead;
    }

    /** Decoded bytes of the source cells under {@code win}: band {@code index}, or every band when it is 0. */
    private long sourceBytes(String path, Dataset src, Envelope win, int size, int index) {
        int cellBytes = 0;
        for (int b = 1; b <= src.getRasterCount(); b++) {
            if (index == 0 || b == index) {
                cellBytes += gdal.GetDataTypeSize(src.GetRasterBand(b).getDataType()) / 8;
            }
        }
        double[] box = sourceBox(path, src, win);
        if (box == null) {
            return (long) size * size * cellBytes;
        }
        long w = Math.max(0, Math.min(src.getRasterXSize(), (long) Math.ceil(box[2])) - Math.max(0, (long) Math.floor(box[0])));
        long h = Math.max(0, Math.min(src.getRasterYSize(), (long) Math.ceil(box[3])) - Math.max(0, (long) Math.floor(box[1])));
        return w * h * cellBytes;
    }

    /**
     * The window's footprint on the file, in source pixel coordinates {minCol, minRow, maxCol, maxRow}
     * (not clipped to the raster), or null when it cannot be worked out (no geotransform, no transformation).
     */
    private double[] sourceBox(String path, Dataset src, Envelope win) {
        double[] inv = new double[6];
        if (gdal.InvGeoTransform(src.GetGeoTransform(), inv) == 0) {
            return null;
        }
        org.gdal.osr.CoordinateTransformation ct = null;
        if (!aligned(path, src)) {
            try {
                ct = toSource.computeIfAbsent(path, p -> {
                    org.gdal.osr.SpatialReference s = new org.gdal.osr.SpatialReference(src.GetProjectionRef());
                    s.SetAxisMappingStrategy(org.gdal.osr.osr.OAMS_TRADITIONAL_GIS_ORDER);
                    return org.gdal.osr.CoordinateTransformation.CreateCoordinateTransformation(SceneCatalog.srs(layout.crs()), s);
                });
            } catch (RuntimeException e) {
                // A metric must never fail a read: without a transformation, the caller falls back.
                return null;
            }
        }
        // The window's edges, densified (a window is not a rectangle in another projection), in source pixels.
        double minC = Double.POSITIVE_INFINITY, minR = Double.POSITIVE_INFINITY;
        double maxC = Double.NEGATIVE_INFINITY, maxR = Double.NEGATIVE_INFINITY;
        int steps = ct == null ? 1 : 8;
        for (int i = 0; i <= steps; i++) {
            double fx = win.getMinX() + win.getWidth() * i / steps;
            double fy = win.getMinY() + win.getHeight() * i / steps;
            double[][] pts = {{fx, win.getMinY()}, {fx, win.getMaxY()}, {win.getMinX(), fy}, {win.getMaxX(), fy}};
            for (double[] pt : pts) {
                double x = pt[0];
                double y = pt[1];
                if (ct != null) {
                    try {
                        double[] t = ct.TransformPoint(x, y);
                        x = t[0];
                        y = t[1];
                    } catch (RuntimeException e) {
                        continue; // a point outside the projection's domain adds nothing to the count
                    }
                }
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    continue;
                }
                double c = inv[0] + x * inv[1] + y * inv[2];
                double r = inv[3] + x * inv[4] + y * inv[5];
                minC = Math.min(minC, c);
                maxC = Math.max(maxC, c);
                minR = Math.min(minR, r);
                maxR = Math.max(maxR, r);
            }
        }
        return new double[] {minC, minR, maxC, maxR};
    }

    /**
     * True when no cell of the file under the window (plus the bilinear kernel's reach) is no data or
     * NaN. GDAL then warps without validity masks, its fast kernels, to the same cells as with them
     * (outside the raster both leave the initial NaN); otherwise it takes the masked, slower path.
     */
    private boolean cleanUnder(String path, Dataset src, Envelope win) {
        int n = src.getRasterCount();
        boolean anyToCheck = false;
        for (int b = 1; b <= n; b++) {
            org.gdal.gdal.Band band = src.GetRasterBand(b);
            Double[] nd = new Double[1];
            band.GetNoDataValue(nd);
            int t = band.getDataType();
            boolean floating = t == gdalconstConstants.GDT_Float32 || t == gdalconstConstants.GDT_Float64;
            anyToCheck |= nd[0] != null || floating;
            int flags = band.GetMaskFlags();
            if (flags != gdalconstConstants.GMF_ALL_VALID && flags != gdalconstConstants.GMF_NODATA) {
                return false; // a mask band or alpha: the masked path reads it
            }
        }
        if (!anyToCheck) {
            return true;
        }
        double[] box = sourceBox(path, src, win);
        if (box == null || !Double.isFinite(box[0])) {
            return false;
        }
        int margin = 2;
        int c0 = (int) Math.max(0, Math.floor(box[0]) - margin);
        int r0 = (int) Math.max(0, Math.floor(box[1]) - margin);
        int c1 = (int) Math.min(src.getRasterXSize(), Math.ceil(box[2]) + margin);
        int r1 = (int) Math.min(src.getRasterYSize(), Math.ceil(box[3]) + margin);
        if (c1 <= c0 || r1 <= r0) {
            return true;
        }
        int w = c1 - c0;
        int h = r1 - r0;
        float[] cells = new float[w * h];
        for (int b = 1; b <= n; b++) {
            org.gdal.gdal.Band band = src.GetRasterBand(b);
            Double[] nd = new Double[1];
            band.GetNoDataValue(nd);
            // The read also fills GDAL's block cache for the warp that follows. A file that cannot be read
            // goes the masked way, whose failure names the scene and the file.
            try {
                if (band.ReadRaster(c0, r0, w, h, w, h, gdalconstConstants.GDT_Float32, cells) != gdalconstConstants.CE_None) {
                    return false;
                }
            } catch (RuntimeException e) {
                return false;
            }
            float v = nd[0] == null ? Float.NaN : nd[0].floatValue();
            for (float c : cells) {
                if (c == v || c != c) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean aligned(String path, Dataset src) {
        Boolean same = sameCrs.get(path);
        return same != null && same;
    }

    /** The fast-path alignment of a file with the window, or null when it must be warped. */
    private AlignedWindow aligned(String path, Dataset src, Envelope win, int size) {
        boolean same = sameCrs.computeIfAbsent(path, p -> {
            String wkt = src.GetProjectionRef();
            if (wkt == null || wkt.isBlank()) {
                return false;
            }
            // Axis-order conventions differ between a file's WKT and an EPSG lookup; the CRS is what counts.
            return new org.gdal.osr.SpatialReference(wkt).IsSame(SceneCatalog.srs(layout.crs()),
                    new java.util.Vector<>(java.util.List.of("IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES"))) == 1;
        });
        return same ? AlignedWindow.of(src, win, size, layout.cellSizeMetres()) : null;
    }

    private Dataset source(String path, Scene scene) {
        return open.computeIfAbsent(path, p -> {
            Dataset ds = SceneCatalog.openQuietly(p);
            if (ds == null) {
                throw FarmwatchException.input("scene " + scene.id() + ": cannot open " + p + ": " + gdal.GetLastErrorMsg());
            }
            return ds;
        });
    }

    private Dataset warp(String path, Envelope win, int size, String resampling, Scene scene) {
        return warp(path, win, size, resampling, scene, "Float32", "nan");
    }

    /** Bilinear to Float32 without validity masks (see {@link #cleanUnder}): cells outside the file stay NaN. */
    private Dataset warpUnmasked(String path, Envelope win, int size, Scene scene) {
        return warp(path, scene, "-of", "MEM", "-t_srs", layout.crs(),
                "-te", fmt(win.getMinX()), fmt(win.getMinY()), fmt(win.getMaxX()), fmt(win.getMaxY()),
                "-ts", Integer.toString(size), Integer.toString(size),
                "-r", "bilinear", "-ot", "Float32", "-srcnodata", "None", "-wo", "INIT_DEST=NaN",
                "-wo", "NUM_THREADS=1", "-multi", "-q");
    }

    private Dataset warp(String path, Envelope win, int size, String resampling, Scene scene, String type, String nodata) {
        return warp(path, scene, "-of", "MEM", "-t_srs", layout.crs(),
                "-te", fmt(win.getMinX()), fmt(win.getMinY()), fmt(win.getMaxX()), fmt(win.getMaxY()),
                "-ts", Integer.toString(size), Integer.toString(size),
                "-r", resampling, "-ot", type, "-dstnodata", nodata,
                "-wo", "NUM_THREADS=1", "-multi", "-q");
    }

    private Dataset warp(String path, Scene scene, String... args) {
        Dataset src = source(path, scene);
        Vector<String> opts = new Vector<>(java.util.List.of(args));
        WarpOptions wo = new WarpOptions(opts);
        try {
            Dataset out = gdal.Warp("", new Dataset[] {src}, wo);
            if (out == null) {
                throw FarmwatchException.input("scene " + scene.id() + ": warping " + path + " failed: " + reason(gdal.GetLastErrorMsg()));
            }
            return out;
        } catch (RuntimeException e) {
            if (e instanceof FarmwatchException) {
                throw e;
            }
            throw FarmwatchException.input("scene " + scene.id() + ": reading " + path + " failed: " + reason(e.getMessage()), e);
        } finally {
            wo.delete();
        }
    }

    /** GDAL sometimes fails without a message; a decoding failure is then the likely cause. */
    private static String reason(String gdalMessage) {
        return gdalMessage == null || gdalMessage.isBlank() ? "cannot decode the file (truncated or corrupt?)" : gdalMessage;
    }

    private static String fmt(double v) {
        return Double.toString(v);
    }

    @Override
    public void close() {
        toSource.values().forEach(org.gdal.osr.CoordinateTransformation::delete);
        toSource.clear();
        open.values().forEach(Dataset::delete);
        open.clear();
    }
}
