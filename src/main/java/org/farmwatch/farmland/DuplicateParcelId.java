package org.farmwatch.farmland;

import java.io.Serializable;
import java.util.List;

/**
 * A parcel id that several features of a farmland file carry. As {@code import-farmland} does, the first of them
 * (lowest fid) with a usable geometry is kept and the others are left out with the reason
 * {@link RejectReason#DUPLICATE_PARCEL_ID}, so that two parcels are never merged into one finding and one
 * parcel is never counted twice. Immutable.
 *
 * @param keptFid      the fid of the feature kept, or -1 when none of them has a usable geometry
 * @param rejectedFids the fids of the features left out, ascending
 */
public record DuplicateParcelId(String parcelId, long keptFid, List<Long> rejectedFids) implements Serializable {

    public DuplicateParcelId {
        rejectedFids = List.copyOf(rejectedFids);
    }

    /** One line for logs and run.json, such as "fid 40 and 41 carry parcel_id 123 too; fid 7 is kept". */
    public String detail() {
        return "fid " + rejectedFids.toString().replaceAll("[\\[\\]]", "") + " carr" + (rejectedFids.size() == 1 ? "ies" : "y")
                + " parcel_id " + parcelId + " too; " + (keptFid < 0 ? "no feature with it has a usable geometry"
                : "fid " + keptFid + " is kept");
    }
}
