package org.farmwatch.change;

import org.farmwatch.ingest.TileBands;

/**
 * Relative radiometric normalization of a tile's current composite to its baseline, and how far each
 * cell lies from it. Per band the current value is fitted as {@code gain × baseline + offset}
 * (reduced major axis) over pseudo-invariant cells the fit finds itself, as IR-MAD does: each round
 * weighs every sampled cell by the chi-square probability that its standardized residuals are no
 * change, so changed cells drop out of the next round. Haze, gain, sensor and a season's shift of the
 * whole tile end up in the fit; what is left is the cell's distance, the root of the sum over bands of
 * its squared residuals in units of the no-change spread. Its shape distance leaves out, in addition,
 * a brightening or darkening of the cell's own spectrum by one factor (a field's vigour or
 * illumination): between two green canopies only the shape counts. The distance a change must exceed
 * is chosen per tile, for each of the two, by Kittler-Illingworth minimum error thresholding of the
 * sampled distances (no-change and change as two populations), never below the 0.1% tail of the
 * no-change chi-square.
 *
 * <p>Fitting reads a bounded sample of the tile window's cells: {@value #MAX_SAMPLES} / {@value #RUN} runs of
 * {@value #RUN} neighbouring cells spread evenly over the window (all cells of a smaller window; denser
 * runs where few cells are clear). One
 * instance is reused from tile to tile and allocates nothing per cell.
 */
public final class RadiometricFit {

    /** Cells sampled per tile window, at most: enough for six gains, offsets and spreads and a threshold (on Taizhou 2,048 to 16,384 give the same F1), and cheap. */
    static final int MAX_SAMPLES = 4_096;
    /** Cells per sampled run: a run is read contiguously (a cache line per band), scattered cells would each miss the cache. */
    static final int RUN = 16;
    /** Fewer clear cell pairs than this (a sliver of scene in the tile): no fit, nothing is confirmed. */
    static final int MIN_SAMPLES = 256;
    private static final int ROUNDS = 10;
    /** A round that moves no gain, offset or spread by more than this share ends the fitting. */
    static final double SETTLED = 1e-6;
    private static final int BINS = 256;
    /** Squared distance beyond which the no-change probability of up to 6 bands is below 1e-12: e^-35 (1 + 35 + 35² / 2) = 4e-13. */
    private static final double NEGLIGIBLE_Z2_6 = 70;
    private static final int FINE_BINS = 4096;
    /** The 0.999 quantile of chi-square with 6 degrees of freedom, square-rooted: the least distance that is change. */
    static final double MIN_DISTANCE = Math.sqrt(22.457744484825323);
    /** The same with 5 degrees of freedom (one, the cell's brightness factor, fitted away): for the shape distance. */
    static final double MIN_SHAPE_DISTANCE = Math.sqrt(20.515005652432873);

    private final int nb;
    /** {@link #NEGLIGIBLE_Z2_6} for up to 6 bands; more bands fall more slowly: no shortcut. */
    private final double negligibleZ2;
    private final double[] gain;
    private final double[] offset;
    private final double[] invSd;
    private final double[] sx;
    private final double[] sy;
    private final double[] sxx;
    private final double[] syy;
    private final double[] sxy;
    private final long[] hist = new long[FINE_BINS];
    private final double[] distances = new double[MAX_SAMPLES];
    private final double[] shapeDistances = new double[MAX_SAMPLES];
    /** Per sampled cell, its weight in the current round (its squared distance while that is computed). */
    private final double[] weights = new double[MAX_SAMPLES];
    /** The window's indices of the sampled cells. */
    private final int[] sampled = new int[MAX_SAMPLES];
    /** The sampled clear cells of the two composites, band by band, gathered once per tile (float widened exactly). */
    private final double[][] xs;
    private final double[][] ys;
    private boolean valid;
    private double threshold;
    private double shapeThreshold;

    public RadiometricFit(int bands) {
        this.nb = bands;
        negligibleZ2 = bands <= 6 ? NEGLIGIBLE_Z2_6 : Double.POSITIVE_INFINITY;
        gain = new double[bands];
        offset = new double[bands];
        invSd = new double[bands];
        sx = new double[bands];
        sy = new double[bands];
        sxx = new double[bands];
        syy = new double[bands];
        sxy = new double[bands];
        xs = new double[bands][MAX_SAMPLES];
        ys = new double[bands][MAX_SAMPLES];
    }

    /** True when the last {@link #fit} found enough clear cells in both composites. */
    public boolean valid() {
        return valid;
    }

    /** The distance a change must reach, from the last {@link #fit}. */
    public double threshold() {
        return threshold;
    }

    /** The shape distance a change between two green canopies must reach, from the last {@link #fit}. */
    public double shapeThreshold() {
        return shapeThreshold;
    }

    public double gain(int band) {
        return gain[band];
    }

    public double offset(int band) {
        return offset[band];
    }

    /**
     * Fits the current composite {@code after} to the baseline {@code before} over a sample of their
     * common clear cells and sets the threshold: Kittler-Illingworth when {@code fixedThreshold} is NaN,
     * else that distance. Returns {@link #valid()}.
     */
    public boolean fit(TileBands before, TileBands after, double fixedThreshold) {
        valid = false;
        threshold = Double.NaN;
        shapeThreshold = Double.NaN;
        int m = gather(before.bands, after.bands);
        if (m < MIN_SAMPLES) {
            return false;
        }
        double[][] x = xs;
        double[][] y = ys;
        double[] w = weights;
        for (int round = 0; round < ROUNDS; round++) {
            boolean settled = round > 0;
            // First round: every cell alike; then the probability that the cell is no change. A cell too
            // unlikely to count gets 0, which adds nothing below. Band by band, in the order of distance2.
            if (round == 0) {
                java.util.Arrays.fill(w, 0, m, 1.0);
            } else {
                squaredDistances(x, y, m, w);
                for (int i = 0; i < m; i++) {
                    w[i] = weightOf(w[i]);
                }
            }
            double wt = 0;
            for (int i = 0; i < m; i++) {
                wt += w[i];
            }
            for (int b = 0; b < nb; b++) {
                double[] xb = x[b];
                double[] yb = y[b];
                double sxb = 0;
                double syb = 0;
                double sxxb = 0;
                double syyb = 0;
                double sxyb = 0;
                for (int i = 0; i < m; i++) {
                    double wi = w[i];
                    double xv = xb[i];
                    double yv = yb[i];
                    // (w × x) × x, as the weighted sums have always been rounded.
                    double wx = wi * xv;
                    double wy = wi * yv;
                    sxb += wx;
                    syb += wy;
                    sxxb += wx * xv;
                    syyb += wy * yv;
                    sxyb += wx * yv;
                }
                sx[b] = sxb;
                sy[b] = syb;
                sxx[b] = sxxb;
                syy[b] = syyb;
                sxy[b] = sxyb;
            }
            if (!(wt > 0)) {
                return false;
            }
            for (int b = 0; b < nb; b++) {
                double mx = sx[b] / wt;
                double my = sy[b] / wt;
                double vx = Math.max(0, sxx[b] / wt - mx * mx);
                double vy = Math.max(0, syy[b] / wt - my * my);
                double cxy = sxy[b] / wt - mx * my;
                // Reduced major axis: symmetric in the two dates, unlike least squares, which shrinks the gain.
                double g = vx > 0 ? Math.copySign(Math.sqrt(vy / vx), cxy == 0 ? 1 : cxy) : 1.0;
                double o = my - g * mx;
                double residual = Math.max(0, vy - 2 * g * cxy + g * g * vx);
                // A constant band (synthetic or saturated) leaves no spread: keep the division finite.
                double floor = 1e-6 * (Math.abs(my) + 1e-9);
                double s = 1.0 / Math.max(floor, Math.sqrt(residual));
                settled &= Math.abs(g - gain[b]) <= SETTLED * Math.abs(g) && Math.abs(o - offset[b]) <= SETTLED * (Math.abs(my) + 1e-9)
                        && Math.abs(s - invSd[b]) <= SETTLED * s;
                gain[b] = g;
                offset[b] = o;
                invSd[b] = s;
            }
            if (settled) {
                // The weights no longer move the fit: further rounds would repeat it.
                break;
            }
        }
        valid = true;
        if (Double.isNaN(fixedThreshold)) {
            // Each sample's two distances once; the histograms of minimumError read them again.
            sampleDistances(x, y, m, distances, shapeDistances);
            threshold = minimumError(distances, m, MIN_DISTANCE);
            shapeThreshold = minimumError(shapeDistances, m, MIN_SHAPE_DISTANCE);
        } else {
            threshold = fixedThreshold;
            shapeThreshold = fixedThreshold;
        }
        return true;
    }

    /**
     * Copies the sampled cells that are clear in both composites into {@link #xs} and {@link #ys}; returns their
     * count. A window mostly outside the scenes or under cloud is sampled again with runs four times as dense,
     * until half the sample is filled, so that a small scene or a tile at a scene's edge still gets its fit.
     * The cells are chosen first, by index, and copied once, band by band.
     */
    private int gather(float[][] x, float[][] y) {
        int n = x[0].length;
        int runStride = n <= MAX_SAMPLES ? RUN : n / (MAX_SAMPLES / RUN);
        int m = choose(x, y, runStride);
        while (m < MAX_SAMPLES / 2 && runStride > RUN) {
            runStride = Math.max(RUN, runStride / 4);
            m = choose(x, y, runStride);
        }
        int[] idx = sampled;
        for (int b = 0; b < nb; b++) {
            float[] xb = x[b];
            float[] yb = y[b];
            double[] xd = xs[b];
            double[] yd = ys[b];
            for (int k = 0; k < m; k++) {
                int i = idx[k];
                xd[k] = xb[i];
                yd[k] = yb[i];
            }
        }
        return m;
    }

    /** Indices into {@link #sampled} of the clear cells of runs every {@code runStride} cells, at most {@link #MAX_SAMPLES}. */
    private int choose(float[][] x, float[][] y, int runStride) {
        int n = x[0].length;
        int[] idx = sampled;
        int m = 0;
        for (int start = 0; start < n && m < MAX_SAMPLES; start += runStride) {
            int end = Math.min(n, start + RUN);
            for (int i = start; i < end && m < MAX_SAMPLES; i++) {
                // Branch-free over the bands: NaN is the only value unequal to itself.
                boolean cloudy = false;
                for (int b = 0; b < nb; b++) {
                    float xv = x[b][i];
                    float yv = y[b][i];
                    cloudy |= xv != xv | yv != yv;
                }
                idx[m] = i;
                m += cloudy ? 0 : 1;
            }
        }
        return m;
    }

    /** Squared distance of cell {@code i} from the fit (standardized residuals summed over bands); the cell must be clear. */
    public double distance2(TileBands before, TileBands after, int i) {
        return distance2(before.bands, after.bands, i);
    }

    private double distance2(float[][] x, float[][] y, int i) {
        double z2 = 0;
        for (int b = 0; b < nb; b++) {
            double r = (y[b][i] - gain[b] * x[b][i] - offset[b]) * invSd[b];
            z2 += r * r;
        }
        return z2;
    }

    /** {@link #distance2} of the first {@code m} samples into {@code out}, band by band (the same sums, in the same order). */
    private void squaredDistances(double[][] x, double[][] y, int m, double[] out) {
        java.util.Arrays.fill(out, 0, m, 0.0);
        for (int b = 0; b < nb; b++) {
            double[] xb = x[b];
            double[] yb = y[b];
            double g = gain[b];
            double o = offset[b];
            double s = invSd[b];
            for (int i = 0; i < m; i++) {
                double r = (yb[i] - g * xb[i] - o) * s;
                out[i] += r * r;
            }
        }
    }

    /** Square roots of {@link #distance2} and {@link #shapeDistance2} of the first {@code m} samples, band by band. */
    private void sampleDistances(double[][] x, double[][] y, int m, double[] full, double[] shape) {
        double[] ru = weights;
        java.util.Arrays.fill(full, 0, m, 0.0);
        java.util.Arrays.fill(shape, 0, m, 0.0);
        java.util.Arrays.fill(ru, 0, m, 0.0);
        for (int b = 0; b < nb; b++) {
            double[] xb = x[b];
            double[] yb = y[b];
            double g = gain[b];
            double o = offset[b];
            double s = invSd[b];
            for (int i = 0; i < m; i++) {
                double u = g * xb[i];
                double r = (yb[i] - u - o) * s;
                u *= s;
                full[i] += r * r;
                ru[i] += r * u;
                shape[i] += u * u;
            }
        }
        for (int i = 0; i < m; i++) {
            double rr = full[i];
            double uu2 = shape[i];
            double ru2 = ru[i];
            full[i] = Math.sqrt(rr);
            shape[i] = Math.sqrt(uu2 > 0 ? Math.max(0, rr - ru2 * ru2 / uu2) : rr);
        }
    }

    /**
     * Squared shape distance of cell {@code i}: as {@link #distance2}, less what one brightness factor of the
     * cell's own fitted spectrum explains (the residuals' least-squares projection on that spectrum).
     */
    public double shapeDistance2(TileBands before, TileBands after, int i) {
        return shapeDistance2(before.bands, after.bands, i);
    }

    private double shapeDistance2(float[][] x, float[][] y, int i) {
        double rr = 0;
        double ru = 0;
        double uu = 0;
        for (int b = 0; b < nb; b++) {
            double u = gain[b] * x[b][i];
            double r = (y[b][i] - u - offset[b]) * invSd[b];
            u *= invSd[b];
            rr += r * r;
            ru += r * u;
            uu += u * u;
        }
        return uu > 0 ? Math.max(0, rr - ru * ru / uu) : rr;
    }

    /**
     * Survival function of chi-square with {@code nb} degrees of freedom at {@code z2}; closed form for an
     * even count, the nearest even count above for an odd one.
     */
    double noChangeProbability(double z2) {
        double h = z2 / 2;
        double term = 1;
        double sum = 1;
        for (int k = 1; k < (nb + 1) / 2; k++) {
            term *= h / k;
            sum += term;
        }
        return Math.min(1.0, Math.exp(-h) * sum);
    }

    /**
     * A sample's weight in a reweighting round: {@link #noChangeProbability}, or 0 below 1e-12 (the cell counts
     * for nothing). Beyond {@link #negligibleZ2} the probability is below 1e-12: no exponential to compute.
     */
    private double weightOf(double z2) {
        if (!(z2 < negligibleZ2)) {
            return 0;
        }
        double w = noChangeProbability(z2);
        return w < 1e-12 ? 0 : w;
    }

    /**
     * Kittler-Illingworth over the sampled distances, binned up to their 99.9th percentile (a few cloud or
     * saturated cells would otherwise squeeze all others into the first bins).
     */
    private double minimumError(double[] d, int n, double floor) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, d[i]);
        }
        if (!(max > floor)) {
            return floor;
        }
        java.util.Arrays.fill(hist, 0);
        long total = 0;
        for (int i = 0; i < n; i++) {
            hist[Math.min(FINE_BINS - 1, (int) (d[i] / max * FINE_BINS))]++;
            total++;
        }
        long acc = 0;
        int top = FINE_BINS - 1;
        for (int k = 0; k < FINE_BINS; k++) {
            acc += hist[k];
            if (acc >= 0.999 * total) {
                top = k;
                break;
            }
        }
        double hi = max * (top + 1) / FINE_BINS;
        java.util.Arrays.fill(hist, 0);
        for (int i = 0; i < n; i++) {
            hist[Math.min(BINS - 1, (int) (d[i] / hi * BINS))]++;
        }
        double width = hi / BINS;
        // Cumulative weight, first and second moments of the bins below k.
        double best = Double.POSITIVE_INFINITY;
        int bestK = -1;
        double p = 0;
        double m = 0;
        double q = 0;
        double pAll = 0;
        double mAll = 0;
        double qAll = 0;
        for (int k = 0; k < BINS; k++) {
            double c = (k + 0.5) * width;
            pAll += hist[k];
            mAll += hist[k] * c;
            qAll += hist[k] * c * c;
        }
        for (int k = 1; k < BINS; k++) {
            double c = (k - 0.5) * width;
            p += hist[k - 1];
            m += hist[k - 1] * c;
            q += hist[k - 1] * c * c;
            double p2 = pAll - p;
            if (p < 1 || p2 < 1) {
                continue;
            }
            double m1 = m / p;
            double m2 = (mAll - m) / p2;
            double v1 = q / p - m1 * m1;
            double v2 = (qAll - q) / p2 - m2 * m2;
            if (!(v1 > 0) || !(v2 > 0)) {
                continue;
            }
            double w1 = p / pAll;
            double w2 = p2 / pAll;
            double j = 1 + w1 * Math.log(v1) + w2 * Math.log(v2) - 2 * (w1 * Math.log(w1) + w2 * Math.log(w2));
            if (j < best) {
                best = j;
                bestK = k;
            }
        }
        double t = bestK < 0 ? floor : bestK * width;
        return Math.max(floor, t);
    }
}
