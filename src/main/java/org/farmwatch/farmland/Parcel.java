package org.farmwatch.farmland;

import java.io.Serializable;
import org.locationtech.jts.geom.Geometry;

/**
 * One farmland parcel, its geometry in the working grid's projected CRS (metres). Immutable.
 *
 * @param parcelId   the survey's parcel number (TBBH), unique within the base
 * @param adminCode  the owning village's administrative code (ZLDWDM)
 * @param township   the owning unit's name (ZLDWMC), used to split inspector lists
 * @param landClass  GB/T 21010 land-use code (DLBM), such as 0101, 0102 or 0103
 */
public record Parcel(String parcelId, String adminCode, String township, String landClass, Geometry geometry)
        implements Serializable {

    public Parcel {
        if (parcelId == null || parcelId.isBlank()) {
            throw new IllegalArgumentException("parcelId must not be blank");
        }
        if (geometry == null || geometry.isEmpty()) {
            throw new IllegalArgumentException("parcel " + parcelId + " has no geometry");
        }
        adminCode = adminCode == null ? "" : adminCode;
        township = township == null || township.isBlank() ? "(unknown)" : township;
        landClass = landClass == null ? "" : landClass;
    }

    /** True for GB/T 21010 cropland (01xx), or a parcel without a class in a farmland-only base. */
    public boolean isCropland() {
        return landClass.isEmpty() || landClass.startsWith("01");
    }

    /** Serialized with the geometry as WKB (Spark moves parcels between tasks; see {@link org.farmwatch.util.WkbWire}). */
    private Object writeReplace() {
        return new Wire(parcelId, adminCode, township, landClass, org.farmwatch.util.WkbWire.write(geometry));
    }

    private record Wire(String parcelId, String adminCode, String township, String landClass, byte[] wkb)
            implements Serializable {
        private Object readResolve() {
            return new Parcel(parcelId, adminCode, township, landClass, org.farmwatch.util.WkbWire.read(wkb));
        }
    }
}
