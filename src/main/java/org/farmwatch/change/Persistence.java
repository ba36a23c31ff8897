package org.farmwatch.change;

import java.io.Serializable;
import java.util.List;

/**
 * Persistence of a conversion through the current period: where the period has several clear
 * observations of a cell, its change holds only when more than {@code minShare} of them, each
 * classified on its own, show a class that makes the same conversion (built-up and bare are both
 * non-agricultural). A crop harvested on one date, a cloud edge or a flooded field on another do not
 * persist; a new building does. A cell with one clear observation keeps its change: nothing speaks
 * against it. The confidence of a kept cell is scaled by half of one plus the share that agreed: a change seen on
 * every date keeps its confidence, one seen on two dates of three keeps five sixths of it (a patch's confidence
 * decides whether it is sent to inspectors, see {@code change.minConfidence}; persistence is evidence for a
 * change, so it must not push a persistent one below that bar).
 */
public final class Persistence implements Serializable {

    private static final int BARE = org.farmwatch.classify.LandCover.BARE.id;
    private static final int BUILT_UP = org.farmwatch.classify.LandCover.BUILT_UP.id;

    private final double minShare;

    /** @param minShare share of the clear observations that must agree, exclusive; 0.5 asks for a majority */
    public Persistence(double minShare) {
        if (!(minShare >= 0 && minShare < 1)) {
            throw new IllegalArgumentException("persistence share must be within [0, 1), got: " + minShare);
        }
        this.minShare = minShare;
    }

    /**
     * Drops, in place, the changes in {@code code} (as {@link ChangeDetector#detect} wrote them) that do not
     * persist through {@code observations}: per current-period observation, the class of every cell (0 where
     * not clear). Returns the number of cells dropped. Allocates nothing per cell.
     */
    public int confirm(byte[] code, float[] confidence, List<byte[]> observations, ChangeDetector detector) {
        if (observations.size() < 2) {
            return 0;
        }
        // An array, not the list: a for-each over a list would make an iterator per changed cell.
        byte[][] obs = observations.toArray(new byte[0][]);
        int dropped = 0;
        for (int i = 0; i < code.length; i++) {
            int c = code[i] & 255;
            if (c == ChangeDetector.NONE) {
                continue;
            }
            int from = c >>> 4;
            int rule = detector.ruleOf(c);
            int clear = 0;
            int agree = 0;
            for (byte[] o : obs) {
                int to = o[i];
                if (to == 0) {
                    continue;
                }
                clear++;
                // A construction site (bare read as built-up by its brightness) may look plainly bare on one date.
                if (to != from && (detector.ruleOf((from << 4) | to) == rule
                        || (to == BARE && (c & 15) == BUILT_UP))) {
                    agree++;
                }
            }
            if (clear < 2) {
                continue;
            }
            double share = agree / (double) clear;
            if (share <= minShare) {
                code[i] = ChangeDetector.NONE;
                confidence[i] = 0;
                dropped++;
            } else {
                confidence[i] *= (float) (0.5 + 0.5 * share);
            }
        }
        return dropped;
    }
}
