package org.farmwatch.ingest;

import org.gdal.gdal.Dataset;
import org.gdal.gdalconst.gdalconstConstants;
import org.locationtech.jts.geom.Envelope;

/**
 * The fast path of {@link SceneReader}: when a band file is already in the grid's CRS, north-up,
 * with cells an integer multiple of the grid's and edges on the grid, a tile window is read straight
 * from the file and upsampled in Java (bilinear for reflectance, nearest for masks), with no warp.
 * Sentinel-2 bands on their own UTM or Gauss–Krüger grid take this path; anything else is warped.
 */
final class AlignedWindow {

    /** Source cells per target cell along each axis, and the window's first source column and row. */
    final int factor;
    final int col0;
    final int row0;

    private AlignedWindow(int factor, int col0, int row0) {
        this.factor = factor;
        this.col0 = col0;
        this.row0 = row0;
    }

    /** The alignment of {@code ds} with a window of {@code size} cells over {@code win}, or null when not aligned. */
    static AlignedWindow of(Dataset ds, Envelope win, int size, double cell) {
        double[] gt = ds.GetGeoTransform();
        if (gt[2] != 0 || gt[4] != 0 || gt[1] <= 0 || gt[5] >= 0 || Math.abs(gt[1] + gt[5]) > 1e-9 * gt[1]) {
            return null;
        }
        double k = gt[1] / cell;
        int factor = (int) Math.round(k);
        if (factor < 1 || Math.abs(k - factor) > 1e-9) {
            return null;
        }
        // The window's top-left corner must fall on a source cell edge.
        double c = (win.getMinX() - gt[0]) / gt[1];
        double r = (gt[3] - win.getMaxY()) / -gt[5];
        if (Math.abs(c - Math.rint(c)) > 1e-6 || Math.abs(r - Math.rint(r)) > 1e-6 || size % factor != 0) {
            return null;
        }
        return new AlignedWindow(factor, (int) Math.rint(c), (int) Math.rint(r));
    }

    /**
     * Reads band {@code index} into {@code dst} (size × size, row-major) as {@code offset + scale × value}:
     * bilinear between source cell centres, NaN outside the file and at its no-data value.
     */
    void readContinuous(Dataset ds, int index, int size, float[] dst, double scale, double offset) {
        org.gdal.gdal.Band band = ds.GetRasterBand(index);
        Double[] nd = new Double[1];
        band.GetNoDataValue(nd);
        if (factor == 1) {
            // Same grid: straight into dst, then no-data and radiometry in one pass.
            if (!inside(ds, col0, row0, size)) {
                java.util.Arrays.fill(dst, Float.NaN);
            }
            readClipped(ds, band, col0, row0, size, gdalconstConstants.GDT_Float32, dst, null);
            float ndv = nd[0] != null ? nd[0].floatValue() : Float.NaN;
            for (int i = 0; i < dst.length; i++) {
                float v = dst[i];
                dst[i] = v == ndv ? Float.NaN : (float) (offset + scale * v);
            }
            return;
        }
        readUpsampled(ds, band, nd[0], size, dst);
        if (scale != 1 || offset != 0) {
            for (int i = 0; i < dst.length; i++) {
                dst[i] = (float) (offset + scale * dst[i]);
            }
        }
    }

    private void readUpsampled(Dataset ds, org.gdal.gdal.Band band, Double nodata, int size, float[] dst) {
        int n = size / factor;
        // One source cell of margin on each side feeds the interpolation at the window's edges.
        int sc0 = col0 - 1;
        int sr0 = row0 - 1;
        int sw = n + 2;
        float[] src = new float[sw * sw];
        java.util.Arrays.fill(src, Float.NaN);
        readClipped(ds, band, sc0, sr0, sw, gdalconstConstants.GDT_Float32, src, null);
        if (nodata != null) {
            float v = nodata.floatValue();
            for (int i = 0; i < src.length; i++) {
                if (src[i] == v) {
                    src[i] = Float.NaN;
                }
            }
        }
        double inv = 1.0 / factor;
        // Source column and weight of each target column: the same on every row, so computed once.
        int[] xs = new int[size];
        double[] fxs = new double[size];
        for (int c = 0; c < size; c++) {
            double u = (c + 0.5) * inv - 0.5 + 1;
            xs[c] = (int) Math.floor(u);
            fxs[c] = u - xs[c];
        }
        // Separable: each source row is interpolated along x once, and every target row then blends two
        // of those rows. The sums are the same, in the same order, as blending the four corners directly.
        // A NaN corner leaves NaN, which the pass after replaces by the nearest cell.
        double[] across = new double[sw * size];
        for (int y = 0; y < sw; y++) {
            int row = y * sw;
            int o = y * size;
            for (int c = 0; c < size; c++) {
                int x0 = row + xs[c];
                double fx = fxs[c];
                across[o + c] = src[x0] * (1 - fx) + src[x0 + 1] * fx;
            }
        }
        for (int r = 0; r < size; r++) {
            // Target cell centre in source cell coordinates of the margin-padded array.
            double v = (r + 0.5) * inv - 0.5 + 1;
            int y0 = (int) Math.floor(v);
            double fy = v - y0;
            double gy = 1 - fy;
            int top = y0 * size;
            int bottom = top + size;
            int o = r * size;
            boolean gap = false;
            for (int c = 0; c < size; c++) {
                float out = (float) (across[top + c] * gy + across[bottom + c] * fy);
                dst[o + c] = out;
                gap |= out != out;
            }
            if (gap) {
                // At an edge of the data the nearest cell stands in, as a warp with no-data does.
                int ny = fy < 0.5 ? y0 : y0 + 1;
                for (int c = 0; c < size; c++) {
                    if (Float.isNaN(dst[o + c])) {
                        int nx = fxs[c] < 0.5 ? xs[c] : xs[c] + 1;
                        dst[o + c] = src[ny * sw + nx];
                    }
                }
            }
        }
    }

    /** Reads a mask band by nearest neighbour; cells outside the file get {@code outside}. */
    void readMask(Dataset ds, int index, int size, short[] dst, short outside) {
        org.gdal.gdal.Band band = ds.GetRasterBand(index);
        int n = size / factor;
        short[] src = new short[n * n];
        java.util.Arrays.fill(src, outside);
        readClipped(ds, band, col0, row0, n, gdalconstConstants.GDT_Int16, null, src);
        for (int r = 0; r < size; r++) {
            int o = r * size;
            if (r % factor != 0) {
                // The same source row as the row above.
                System.arraycopy(dst, o - size, dst, o, size);
                continue;
            }
            int s0 = (r / factor) * n;
            for (int j = 0, c = o; j < n; j++) {
                short v = src[s0 + j];
                for (int k = 0; k < factor; k++) {
                    dst[c++] = v;
                }
            }
        }
    }

    /** GDAL's Java reads report failure by return code, not by exception: a corrupt block must not pass as no data. */
    private static void check(int err, Dataset ds) {
        if (err != gdalconstConstants.CE_None) {
            String msg = org.gdal.gdal.gdal.GetLastErrorMsg();
            java.util.Vector<?> files = ds.GetFileList();
            String file = files == null || files.isEmpty() ? ds.GetDescription() : String.valueOf(files.get(0));
            throw org.farmwatch.util.FarmwatchException.input("reading " + file + " failed: "
                    + (msg == null || msg.isBlank() ? "cannot decode the file (truncated or corrupt?)" : msg));
        }
    }

    /** Reads the part of a square source window that lies inside the raster into its place in the array. */
    private static boolean inside(Dataset ds, int c0, int r0, int w) {
        return c0 >= 0 && r0 >= 0 && c0 + w <= ds.getRasterXSize() && r0 + w <= ds.getRasterYSize();
    }

    private static void readClipped(Dataset ds, org.gdal.gdal.Band band, int c0, int r0, int w, int type, float[] f,
                                    short[] s) {
        int cx0 = Math.max(0, c0);
        int cy0 = Math.max(0, r0);
        int cx1 = Math.min(ds.getRasterXSize(), c0 + w);
        int cy1 = Math.min(ds.getRasterYSize(), r0 + w);
        if (cx1 <= cx0 || cy1 <= cy0) {
            return;
        }
        int rw = cx1 - cx0;
        int rh = cy1 - cy0;
        if (rw == w && rh == w) {
            // Wholly inside the file (almost every tile): no staging copy.
            check(f != null ? band.ReadRaster(cx0, cy0, w, w, w, w, type, f)
                    : band.ReadRaster(cx0, cy0, w, w, w, w, type, s), ds);
            return;
        }
        if (f != null) {
            float[] part = new float[rw * rh];
            check(band.ReadRaster(cx0, cy0, rw, rh, rw, rh, type, part), ds);
            for (int y = 0; y < rh; y++) {
                System.arraycopy(part, y * rw, f, (cy0 - r0 + y) * w + (cx0 - c0), rw);
            }
        } else {
            short[] part = new short[rw * rh];
            check(band.ReadRaster(cx0, cy0, rw, rh, rw, rh, type, part), ds);
            for (int y = 0; y < rh; y++) {
                System.arraycopy(part, y * rw, s, (cy0 - r0 + y) * w + (cx0 - c0), rw);
            }
        }
    }
}
