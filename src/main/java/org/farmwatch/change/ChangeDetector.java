package org.farmwatch.change;

import java.io.Serializable;
import java.util.List;
import org.farmwatch.classify.LandCover;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;

/**
 * Per-cell change between the baseline and current classes. A cell is a change only when its class
 * changed <em>and</em> its spectrum moved further than season and haze explain, under two
 * normalizations that fail in different ways, so both must see it:
 * <ul>
 * <li>the tile's own radiometric fit ({@link RadiometricFit}): per band the current composite is
 *     fitted to the baseline (gain and offset) over pseudo-invariant cells chosen by iterative
 *     reweighting, so haze, gain, another sensor and the season's shift of the dominant cover cancel;
 *     the cell's distance from the fit, in units of the tile's no-change spread, must exceed a
 *     threshold chosen from the tile's own distances (Kittler-Illingworth) or set by
 *     {@code change.threshold};</li>
 * <li>the scenes' medians: each band divided by its scene median, the per-band log-ratios taken less
 *     their mean, and their RMS must exceed {@code change.spectralThreshold}. This holds for every
 *     surface alike, where a tile's fit, led by its crops' phenology, misjudges an unchanged road.</li>
 * </ul>
 * Between two green canopies both measures leave out the cell's own brightening or darkening (vigour,
 * illumination): the fit's shape distance, and the log-ratios less their mean against the lower
 * {@code change.vegetationThreshold}.
 */
public final class ChangeDetector implements Serializable {

    /** Transition code of "no change". */
    public static final byte NONE = 0;

    /** Distance a change must exceed, in no-change standard deviations, or NaN: chosen per tile. */
    private final double threshold;
    /** RMS of the log-ratios (less their mean between green classes) a change must exceed. */
    private final double shapeThreshold;
    private final double vegetationThreshold;
    /** Classes with a green canopy: between two of them a field's vigour is no change, only the shape counts. */
    private static final boolean[] GREEN = new boolean[16];

    static {
        for (LandCover c : new LandCover[] {LandCover.CROPLAND, LandCover.ORCHARD, LandCover.FOREST, LandCover.NURSERY,
            LandCover.GRASSLAND}) {
            GREEN[c.id] = true;
        }
    }
    private final boolean keepOther;
    /** For each transition code, 1 + the index of the rule it matches, 255 for other, 0 for none. */
    private final int[] transition = new int[256];

    /**
     * {@code threshold}: the distance from the tile's fit in no-change standard deviations, or NaN to choose
     * it per tile; {@code spectralThreshold} and {@code vegetationThreshold}: the RMS log-ratio against the
     * scene medians, any transition and between green classes.
     */
    public ChangeDetector(List<ConversionRule> rules, double threshold, double spectralThreshold,
                          double vegetationThreshold, boolean keepOther) {
        if (!Double.isNaN(threshold) && !(threshold > 0)) {
            throw new IllegalArgumentException("change threshold must be > 0 or NaN (auto), got: " + threshold);
        }
        if (!(spectralThreshold > 0) || !(vegetationThreshold > 0)) {
            throw new IllegalArgumentException("change thresholds must be > 0, got: " + spectralThreshold + ", "
                    + vegetationThreshold);
        }
        this.threshold = threshold;
        this.shapeThreshold = spectralThreshold;
        this.vegetationThreshold = vegetationThreshold;
        this.keepOther = keepOther;
        for (LandCover a : LandCover.values()) {
            for (LandCover b : LandCover.values()) {
                if (a == b || a == LandCover.NODATA || b == LandCover.NODATA) {
                    continue;
                }
                int code = a.id * 16 + b.id;
                for (int r = 0; r < rules.size(); r++) {
                    if (rules.get(r).matches(a, b)) {
                        transition[code] = r + 1;
                        break;
                    }
                }
                if (transition[code] == 0 && keepOther) {
                    transition[code] = 255;
                }
            }
        }
    }

    /** 1 + index of the rule a transition code matches, 255 for other, 0 when it is no reportable change. */
    public int ruleOf(int code) {
        return transition[code & 255];
    }

    /**
     * Writes the transition code (from × 16 + to, or {@link #NONE}) and a confidence (0..1) per cell of the
     * tile window, and returns the fit the spectral test used. {@code fit} is reused (null: a new one).
     * Allocates nothing per cell.
     */
    public RadiometricFit detect(TileBands before, Scene beforeScene, byte[] beforeClass,
                                 TileBands after, Scene afterScene, byte[] afterClass,
                                 byte[] code, float[] confidence, RadiometricFit fit) {
        int nb = Band.values().length;
        RadiometricFit f = fit != null ? fit : new RadiometricFit(nb);
        // Too few clear cells in both periods to tell season from change: nothing is confirmed.
        boolean fitted = f.fit(before, after, threshold);
        double t2Any = f.threshold() * f.threshold();
        double t2Green = f.shapeThreshold() * f.shapeThreshold();
        double[] invB = new double[nb];
        double[] invA = new double[nb];
        for (Band b : Band.values()) {
            invB[b.ordinal()] = 1.0 / Math.max(1e-9, beforeScene.clearP50(b));
            invA[b.ordinal()] = 1.0 / Math.max(1e-9, afterScene.clearP50(b));
        }
        double m2Any = shapeThreshold * shapeThreshold;
        double m2Green = vegetationThreshold * vegetationThreshold;
        int n = code.length;
        if (!fitted) {
            java.util.Arrays.fill(code, NONE);
            java.util.Arrays.fill(confidence, 0);
            return f;
        }
        float[][] bb = before.bands;
        double[] logRatio = new double[nb];
        float[][] ab = after.bands;
        for (int i = 0; i < n; i++) {
            int from = beforeClass[i];
            int to = afterClass[i];
            code[i] = NONE;
            confidence[i] = 0;
            if (from == to || from == 0 || to == 0 || transition[(from << 4) | to] == 0) {
                continue;
            }
            boolean green = GREEN[from] && GREEN[to];
            // The tile's fit first: most cells whose class changed stay within it, and need no logarithm.
            double d2 = green ? f.shapeDistance2(before, after, i) : f.distance2(before, after, i);
            double t2 = green ? t2Green : t2Any;
            if (!(d2 >= t2)) {
                continue;
            }
            // The scene medians: log-ratio per band; between canopies less its mean, so that only the shape
            // counts; towards or from bare, built or water the brightness too (soil to concrete keeps its shape).
            double ms = green ? centredMeanSquare(bb, ab, invB, invA, i, logRatio) : meanSquare(bb, ab, invB, invA, i);
            double m2 = green ? m2Green : m2Any;
            if (ms >= m2) {
                code[i] = (byte) ((from << 4) | to);
                // 0.5 at the nearer of the two thresholds, approaching 1 at three times it.
                confidence[i] = (float) Math.min(1.0, 0.25 + 0.25 * Math.sqrt(Math.min(d2 / t2, ms / m2)));
            }
        }
        return f;
    }

    /** Log-ratio of cell {@code i} in band {@code b}, each date relative to its scene's median. */
    private static double logRatio(float[][] before, float[][] after, double[] invB, double[] invA, int b, int i) {
        return Math.log(Math.max(1e-6, after[b][i] * invA[b]) / Math.max(1e-6, before[b][i] * invB[b]));
    }

    /** Mean square of the cell's log-ratios over the bands. */
    private static double meanSquare(float[][] before, float[][] after, double[] invB, double[] invA, int i) {
        int nb = before.length;
        double sum = 0;
        for (int b = 0; b < nb; b++) {
            double d = logRatio(before, after, invB, invA, b, i);
            sum += d * d;
        }
        return sum / nb;
    }

    /**
     * Mean square of the cell's log-ratios less their mean (the shape of the change, not its brightness);
     * {@code lr}: room for one log-ratio per band.
     */
    private static double centredMeanSquare(float[][] before, float[][] after, double[] invB, double[] invA, int i,
                                            double[] lr) {
        int nb = before.length;
        double mean = 0;
        for (int b = 0; b < nb; b++) {
            lr[b] = logRatio(before, after, invB, invA, b, i);
            mean += lr[b];
        }
        double centre = mean / nb;
        double sum = 0;
        for (int b = 0; b < nb; b++) {
            double d = lr[b] - centre;
            sum += d * d;
        }
        return sum / nb;
    }
}
