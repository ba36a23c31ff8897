package org.farmwatch.flag;

import java.io.Serializable;
import org.farmwatch.farmland.Parcel;

/**
 * The part of one change patch that falls on one parcel. Immutable; area in square metres of the working CRS.
 *
 * @param confidence the patch's confidence, 0..1 (see {@link org.farmwatch.change.ChangePatch})
 */
public record ParcelHit(Parcel parcel, String patchId, int ruleIndex, String fromClass, String toClass, double areaM2,
                        String beforeDate, String afterDate, double confidence) implements Serializable {

    public ParcelHit {
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new IllegalArgumentException("hit confidence must be within 0..1, got: " + confidence);
        }
    }
}
