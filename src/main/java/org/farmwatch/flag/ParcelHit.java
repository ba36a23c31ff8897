package org.farmwatch.flag;

import java.io.Serializable;
import org.farmwatch.farmland.Parcel;

/** The part of one change patch that falls on one parcel. Immutable; area in square metres of the working CRS. */
public record ParcelHit(Parcel parcel, String patchId, int ruleIndex, String fromClass, String toClass, double areaM2,
                        String beforeDate, String afterDate) implements Serializable {
}
