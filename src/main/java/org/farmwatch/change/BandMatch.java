package org.farmwatch.change;

import java.util.Arrays;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;

/**
 * A per-band linear map of a current composite onto its baseline's radiometry, for pictures: the baseline value of
 * a current value {@code v} in band {@code b} is {@code (v - offset[b]) / gain[b]}, the inverse of the detector's
 * fit {@code current = gain × baseline + offset} ({@link RadiometricFit}). Drawn through it with the baseline's stretch, a field that did not
 * change looks the same on both dates. Indexed by {@link Band#ordinal()}; gains finite and positive. Immutable.
 */
public record BandMatch(double[] gain, double[] offset) {

    public BandMatch {
        if (gain == null || offset == null || gain.length != Band.values().length || offset.length != gain.length) {
            throw new IllegalArgumentException("a band match needs a gain and an offset for each of the "
                    + Band.values().length + " bands, got: " + (gain == null ? null : gain.length) + " and "
                    + (offset == null ? null : offset.length));
        }
        for (int b = 0; b < gain.length; b++) {
            if (!(gain[b] > 0) || !Double.isFinite(gain[b]) || !Double.isFinite(offset[b])) {
                throw new IllegalArgumentException("band " + Band.values()[b].commonName + ": gain must be finite and "
                        + "positive and offset finite, got: " + gain[b] + ", " + offset[b]);
            }
        }
        gain = gain.clone();
        offset = offset.clone();
    }

    @Override
    public double[] gain() {
        return gain.clone();
    }

    @Override
    public double[] offset() {
        return offset.clone();
    }

    /** The identity: the current composite drawn as it is. */
    public static BandMatch identity() {
        double[] g = new double[Band.values().length];
        Arrays.fill(g, 1);
        return new BandMatch(g, new double[g.length]);
    }

    /** Quantiles the distributions are matched at: the tails are left out, where cloud and glint live. */
    private static final double[] QUANTILES = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
    /** Fewer cells clear on both dates than this: no match from the cells. */
    static final int MIN_CELLS = 256;

    /**
     * Per band, the line through the current composite's quantiles against the baseline's (least squares over the
     * 5th to 95th percentiles), over the cells clear in both: a quantile-quantile fit of {@code after} to
     * {@code before}, the detector's {@code current = gain × baseline + offset} made robust for a whole area. (The
     * detector's own reweighted fit, made over a whole area, settles on its largest uniform surface, sea or desert,
     * and returns gains that are that surface's, not the land's.) Null when fewer than {@link #MIN_CELLS} cells are
     * clear on both dates or a band comes out inverted.
     */
    public static BandMatch ofCells(TileBands before, TileBands after) {
        int n = before.width * before.height;
        if (after.width * after.height != n) {
            throw new IllegalArgumentException("composites differ in size: " + before.width + " x " + before.height
                    + " and " + after.width + " x " + after.height);
        }
        int nb = Band.values().length;
        int[] common = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            boolean clear = true;
            for (int b = 0; b < nb; b++) {
                float x = before.bands[b][i];
                float y = after.bands[b][i];
                clear &= x == x && y == y;
            }
            if (clear) {
                common[m++] = i;
            }
        }
        if (m < MIN_CELLS) {
            return null;
        }
        double[] g = new double[nb];
        double[] o = new double[nb];
        float[] xs = new float[m];
        float[] ys = new float[m];
        for (int b = 0; b < nb; b++) {
            for (int k = 0; k < m; k++) {
                xs[k] = before.bands[b][common[k]];
                ys[k] = after.bands[b][common[k]];
            }
            Arrays.sort(xs);
            Arrays.sort(ys);
            double sx = 0;
            double sy = 0;
            double sxx = 0;
            double sxy = 0;
            int q = QUANTILES.length;
            for (double p : QUANTILES) {
                int k = (int) Math.min(m - 1, Math.round(p * (m - 1)));
                double x = xs[k];
                double y = ys[k];
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
            }
            double vx = sxx - sx * sx / q;
            g[b] = vx > 0 ? (sxy - sx * sy / q) / vx : Double.NaN;
            o[b] = (sy - g[b] * sx) / q;
            if (!(g[b] > 0.2 && g[b] < 5) || !Double.isFinite(o[b])) {
                return null;
            }
        }
        return new BandMatch(g, o);
    }

    /**
     * A whole-period match from the two periods' statistics: per band the current 2nd percentile and median onto
     * the baseline's. Coarser than a tile's fit (changed land counts too), but defined wherever statistics are.
     */
    public static BandMatch ofQuantiles(Scene baseline, Scene current) {
        int n = Band.values().length;
        double[] g = new double[n];
        double[] o = new double[n];
        for (Band band : Band.values()) {
            int b = band.ordinal();
            double lo = baseline.p2(band);
            double mid = baseline.p50(band);
            double loC = current.p2(band);
            double midC = current.p50(band);
            double gb = (midC - loC) / (mid - lo);
            double ob = loC - gb * lo;
            if (!(gb > 0) || !Double.isFinite(gb) || !Double.isFinite(ob)) {
                // A flat band or missing statistics: shift the median only, or leave the band as it is.
                gb = 1;
                ob = Double.isFinite(midC - mid) ? midC - mid : 0;
            }
            g[b] = gb;
            o[b] = ob;
        }
        return new BandMatch(g, o);
    }

    /** The baseline value of current value {@code v} in {@code band}; NaN stays NaN. */
    public float toBaseline(Band band, float v) {
        int b = band.ordinal();
        return (float) ((v - offset[b]) / gain[b]);
    }

    /** The current value that {@code baselineValue} in {@code band} corresponds to: the forward fit. */
    public double toCurrent(Band band, double baselineValue) {
        int b = band.ordinal();
        return gain[b] * baselineValue + offset[b];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BandMatch m && Arrays.equals(gain, m.gain) && Arrays.equals(offset, m.offset);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(gain) + Arrays.hashCode(offset);
    }

    @Override
    public String toString() {
        return "BandMatch[gain=" + Arrays.toString(gain) + ", offset=" + Arrays.toString(offset) + "]";
    }
}
