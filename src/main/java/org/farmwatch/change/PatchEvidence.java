package org.farmwatch.change;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.TileBands;

/**
 * What a change model judges a patch by, measured on the composites the detector compared: sums and sums of
 * squares, over the patch's cells and over the unchanged ring of cells around it, of a few per-cell quantities on
 * both dates. Sums, so that the fragments of one patch cut by tile edges add up exactly ({@link #plus}).
 * Immutable.
 *
 * <p>The quantities are indices and a brightness, chosen so that the features built from them
 * ({@link ChangeFeatures}) are free of the sensor's scale: a model fitted on one scene's verdicts must read
 * another scene's patches.
 */
public final class PatchEvidence implements Serializable {

    /** Per-cell quantities, each measured on the baseline and on the current composite. */
    public static final List<String> QUANTITIES = List.of("ndvi", "ndbi", "mndwi", "bsi", "visible");
    static final int Q = 5;
    /** Cells of the ring: those within this many cells of the patch (8-connected), unchanged and clear. */
    static final int RING_CELLS = 2;

    // Layout: patch cells, ring cells, then per region (patch, ring), per moment (sum, sum of squares),
    // per date (before, after), per quantity.
    static final int LENGTH = 2 + 2 * 2 * 2 * Q;

    /** No measurement: a patch from a tile store written before evidence was kept, or a hand-made patch. */
    public static final PatchEvidence NONE = new PatchEvidence(new double[LENGTH]);

    private final double[] sums;
    /** The detector's confidence in the whole patch (NaN for a fragment): a model's input, kept apart from its output. */
    private final double detectorConfidence;
    /** 4πA/P² of the patch's cell-edge outline (NaN for a fragment). */
    private final double compactness;

    private PatchEvidence(double[] sums) {
        this(sums, Double.NaN, Double.NaN);
    }

    private PatchEvidence(double[] sums, double detectorConfidence, double compactness) {
        this.sums = sums;
        this.detectorConfidence = detectorConfidence;
        this.compactness = compactness;
    }

    /** From the array {@link #sums()} returned (the tile store's and the GeoPackage's form). */
    public static PatchEvidence ofSums(double[] sums) {
        return ofSums(sums, Double.NaN, Double.NaN);
    }

    /** From the array {@link #sums()} returned, with the whole patch's detector confidence and compactness. */
    public static PatchEvidence ofSums(double[] sums, double detectorConfidence, double compactness) {
        if (sums.length != LENGTH) {
            throw new IllegalArgumentException("patch evidence has " + LENGTH + " sums, got: " + sums.length);
        }
        return new PatchEvidence(sums.clone(), detectorConfidence, compactness);
    }

    /** This evidence completed with what is known once the patch is whole: the detector's confidence and its shape. */
    public PatchEvidence ofWholePatch(double detectorConfidence, org.locationtech.jts.geom.Geometry outline) {
        double perimeter = outline.getLength();
        double c = perimeter > 0 ? 4 * Math.PI * outline.getArea() / (perimeter * perimeter) : 0;
        return new PatchEvidence(sums, detectorConfidence, c);
    }

    public double detectorConfidence() {
        return detectorConfidence;
    }

    public double compactness() {
        return compactness;
    }

    public double[] sums() {
        return sums.clone();
    }

    public boolean isMeasured() {
        return sums[0] > 0;
    }

    public double patchCells() {
        return sums[0];
    }

    public double ringCells() {
        return sums[1];
    }

    /** Mean of {@code quantity} over the patch (ring: false) or its ring (true), on the current date or not. */
    public double mean(boolean ring, boolean current, int quantity) {
        double n = sums[ring ? 1 : 0];
        return n == 0 ? Double.NaN : sums[index(ring, false, current, quantity)] / n;
    }

    /** Standard deviation of {@code quantity} over the patch or its ring. */
    public double std(boolean ring, boolean current, int quantity) {
        double n = sums[ring ? 1 : 0];
        if (n < 2) {
            return 0;
        }
        double m = sums[index(ring, false, current, quantity)] / n;
        double v = sums[index(ring, true, current, quantity)] / n - m * m;
        return Math.sqrt(Math.max(0, v));
    }

    private static int index(boolean ring, boolean square, boolean current, int quantity) {
        return 2 + (((ring ? 1 : 0) * 2 + (square ? 1 : 0)) * 2 + (current ? 1 : 0)) * Q + quantity;
    }

    /** The evidence of two fragments of one patch. */
    public PatchEvidence plus(PatchEvidence other) {
        double[] s = sums.clone();
        for (int i = 0; i < LENGTH; i++) {
            s[i] += other.sums[i];
        }
        return new PatchEvidence(s);
    }

    /**
     * The evidence of each labelled component of a tile core: {@code label} (core cells, row-major, 0 for none,
     * components 1..{@code count}) on a window of {@code size + 2 halo} cells a side, whose transition codes are
     * {@code code} (0: unchanged) and whose composites are {@code before} and {@code after}. Index 0 is unused.
     */
    public static PatchEvidence[] measure(int[] label, int count, int size, int halo, byte[] code, TileBands before,
                                          TileBands after) {
        int win = size + 2 * halo;
        double[][] s = new double[count + 1][LENGTH];
        double[] q = new double[2 * Q];
        // Last component whose ring counted a cell: a ring cell is counted once per neighbouring patch.
        int[] ringOf = new int[win * win];
        int reach = Math.min(RING_CELLS, halo);
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                int id = label[r * size + c];
                if (id == 0) {
                    continue;
                }
                int w = (r + halo) * win + c + halo;
                if (quantities(before, after, w, q)) {
                    add(s[id], false, q);
                }
                for (int dr = -reach; dr <= reach; dr++) {
                    for (int dc = -reach; dc <= reach; dc++) {
                        int n = w + dr * win + dc;
                        if (code[n] != 0 || ringOf[n] == id) {
                            continue;
                        }
                        ringOf[n] = id;
                        if (quantities(before, after, n, q)) {
                            add(s[id], true, q);
                        }
                    }
                }
            }
        }
        PatchEvidence[] out = new PatchEvidence[count + 1];
        for (int id = 1; id <= count; id++) {
            out[id] = new PatchEvidence(s[id]);
        }
        return out;
    }

    private static void add(double[] s, boolean ring, double[] q) {
        s[ring ? 1 : 0]++;
        for (int d = 0; d < 2; d++) {
            for (int k = 0; k < Q; k++) {
                double v = q[d * Q + k];
                s[index(ring, false, d == 1, k)] += v;
                s[index(ring, true, d == 1, k)] += v * v;
            }
        }
    }

    /** The quantities of cell {@code i} on both dates into {@code q}; false when either date has no clear value. */
    private static boolean quantities(TileBands before, TileBands after, int i, double[] q) {
        return quantities(before, i, q, 0) && quantities(after, i, q, Q);
    }

    private static boolean quantities(TileBands t, int i, double[] q, int at) {
        double b = t.band(Band.BLUE)[i];
        double g = t.band(Band.GREEN)[i];
        double r = t.band(Band.RED)[i];
        double n = t.band(Band.NIR)[i];
        double s1 = t.band(Band.SWIR16)[i];
        if (!Double.isFinite(b + g + r + n + s1)) {
            return false;
        }
        q[at] = ratio(n - r, n + r);
        q[at + 1] = ratio(s1 - n, s1 + n);
        q[at + 2] = ratio(g - s1, g + s1);
        q[at + 3] = ratio(s1 + r - n - b, s1 + r + n + b);
        q[at + 4] = b + g + r;
        return true;
    }

    private static double ratio(double num, double den) {
        return den == 0 ? 0 : num / den;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PatchEvidence e && Arrays.equals(sums, e.sums)
                && Double.compare(detectorConfidence, e.detectorConfidence) == 0 && Double.compare(compactness, e.compactness) == 0;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sums);
    }
}
