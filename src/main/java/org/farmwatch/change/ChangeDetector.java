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
 * changed <em>and</em> the shape of its spectrum moved further than season and haze explain: each
 * band is first divided by its scene median, so a whole-scene shift (phenology of the dominant crop,
 * haze, gain, another sensor) cancels; then the per-band log-ratios are taken less their mean, so a
 * uniform brightening or darkening of one field (vigour, illumination) cancels too. What remains is
 * measured as an RMS distance.
 */
public final class ChangeDetector implements Serializable {

    /** Transition code of "no change". */
    public static final byte NONE = 0;

    private final double threshold;
    private final double vegetationThreshold;
    /** Classes with a green canopy: changes among them are subtler than a canopy lost. */
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

    public ChangeDetector(List<ConversionRule> rules, double spectralThreshold, double vegetationThreshold,
                          boolean keepOther) {
        if (!(spectralThreshold > 0) || !(vegetationThreshold > 0)) {
            throw new IllegalArgumentException("change thresholds must be > 0, got: " + spectralThreshold + ", "
                    + vegetationThreshold);
        }
        this.threshold = spectralThreshold;
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
     * Writes the transition code (from × 16 + to, or {@link #NONE}) and a confidence (0..1) per cell.
     * Allocates nothing per cell.
     */
    public void detect(TileBands before, Scene beforeScene, byte[] beforeClass,
                       TileBands after, Scene afterScene, byte[] afterClass,
                       byte[] code, float[] confidence) {
        int nb = Band.values().length;
        double[] invB = new double[nb];
        double[] invA = new double[nb];
        for (Band b : Band.values()) {
            invB[b.ordinal()] = 1.0 / Math.max(1e-9, beforeScene.clearP50(b));
            invA[b.ordinal()] = 1.0 / Math.max(1e-9, afterScene.clearP50(b));
        }
        double[] logRatio = new double[nb];
        int n = code.length;
        double t2Any = threshold * threshold;
        double t2Green = vegetationThreshold * vegetationThreshold;
        for (int i = 0; i < n; i++) {
            int from = beforeClass[i];
            int to = afterClass[i];
            if (from == to || from == 0 || to == 0 || transition[(from << 4) | to] == 0) {
                code[i] = NONE;
                confidence[i] = 0;
                continue;
            }
            // Log-ratio per band, less its mean: a uniform brightening or darkening (vigour, illumination,
            // gain) cancels, and only a change in the shape of the spectrum remains.
            double mean = 0;
            for (int b = 0; b < nb; b++) {
                double lr = Math.log(Math.max(1e-6, after.bands[b][i] * invA[b]) / Math.max(1e-6, before.bands[b][i] * invB[b]));
                logRatio[b] = lr;
                mean += lr;
            }
            mean /= nb;
            boolean green = GREEN[from] && GREEN[to];
            // Between two canopies only the shape counts; towards or from bare, built or water the
            // brightness change counts as well (soil to concrete keeps much of its shape).
            double centre = green ? mean : 0;
            double sum = 0;
            for (int b = 0; b < nb; b++) {
                double d = logRatio[b] - centre;
                sum += d * d;
            }
            double ms = sum / nb;
            double t2 = green ? t2Green : t2Any;
            if (ms < t2) {
                code[i] = NONE;
                confidence[i] = 0;
            } else {
                code[i] = (byte) ((from << 4) | to);
                // 0.5 at the threshold, approaching 1 at three times it.
                confidence[i] = (float) Math.min(1.0, 0.25 + 0.25 * Math.sqrt(ms / t2));
            }
        }
    }
}
