package org.farmwatch.classify;

import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;

/**
 * The per-cell features the trained classifier learns from and predicts with: the six bands, each
 * divided by the scene's median of that band (so reflectance, reflectance × 10000 and 8-bit digital
 * numbers, and bright and hazy scenes, give alike values and a model transfers between scenes), then
 * NDVI, NDBI, MNDWI, the bare-soil index and relative brightness. Training and prediction both go
 * through {@link #fill}, so the two cannot drift apart.
 */
public final class PixelFeatures {
    private PixelFeatures() {}

    /** Bumped whenever the feature list changes: a model trained on other features is refused. */
    public static final int VERSION = 1;

    public static final String[] NAMES = {"blue_rel", "green_rel", "red_rel", "nir_rel", "swir16_rel", "swir22_rel",
        "ndvi", "ndbi", "mndwi", "bsi", "brightness_rel"};

    public static final int COUNT = NAMES.length;

    /** Per-band reciprocals of the scene medians (after dark-object subtraction), in {@link Band} order. */
    public static double[] scaleOf(Scene stats) {
        double[] inv = new double[Band.values().length];
        for (Band b : Band.values()) {
            double m = stats.clearP50(b);
            inv[b.ordinal()] = m > 0 && Double.isFinite(m) ? 1.0 / m : 1.0;
        }
        return inv;
    }

    /**
     * Writes the features of cell {@code i} into {@code out} (length {@link #COUNT}) and returns true,
     * or returns false for a cell without a clear observation. Allocates nothing.
     */
    public static boolean fill(TileBands tile, int i, double[] scale, double[] out) {
        float[][] b = tile.bands;
        double blue = b[Band.BLUE.ordinal()][i];
        double green = b[Band.GREEN.ordinal()][i];
        double red = b[Band.RED.ordinal()][i];
        double nir = b[Band.NIR.ordinal()][i];
        double sw1 = b[Band.SWIR16.ordinal()][i];
        double sw2 = b[Band.SWIR22.ordinal()][i];
        if (Double.isNaN(red) || Double.isNaN(nir) || Double.isNaN(sw1) || Double.isNaN(blue) || Double.isNaN(green)
                || Double.isNaN(sw2)) {
            return false;
        }
        double rb = blue * scale[Band.BLUE.ordinal()];
        double rg = green * scale[Band.GREEN.ordinal()];
        double rr = red * scale[Band.RED.ordinal()];
        double rn = nir * scale[Band.NIR.ordinal()];
        double r1 = sw1 * scale[Band.SWIR16.ordinal()];
        double r2 = sw2 * scale[Band.SWIR22.ordinal()];
        out[0] = rb;
        out[1] = rg;
        out[2] = rr;
        out[3] = rn;
        out[4] = r1;
        out[5] = r2;
        // Normalized differences are scale-free, so they use the raw values.
        out[6] = nd(nir, red);
        out[7] = nd(sw1, nir);
        out[8] = nd(green, sw1);
        out[9] = nd(sw1 + red, nir + blue);
        out[10] = (rb + rg + rr + rn + r1 + r2) / 6.0;
        return true;
    }

    private static double nd(double a, double b) {
        double s = a + b;
        return Math.abs(s) < 1e-12 ? 0 : (a - b) / s;
    }
}
