package org.farmwatch.flag;

import java.io.Serializable;
import java.util.List;
import org.locationtech.jts.geom.Geometry;

/**
 * A farmland parcel that a {@link ConversionRule} flagged, with its evidence. Immutable. Areas are
 * square metres measured in the working grid's projected CRS; {@code geometry} is in that CRS too;
 * the centroid is CGCS2000 longitude and latitude (EPSG:4490), for inspectors' field devices.
 */
public record FlaggedParcel(
        String parcelId,
        String adminCode,
        String township,
        String landClass,
        ChangeType changeType,
        String rule,
        double parcelAreaM2,
        double changedAreaM2,
        int patchCount,
        List<String> patchIds,
        String fromClasses,
        String toClasses,
        String beforeDate,
        String afterDate,
        double priority,
        double centroidLon,
        double centroidLat,
        Geometry geometry) implements Serializable {

    /** One mu (亩) is 10000/15 square metres. */
    public static final double M2_PER_MU = 10000.0 / 15.0;

    public double changedAreaMu() {
        return changedAreaM2 / M2_PER_MU;
    }

    /** Changed share of the parcel's area, 0..1. */
    public double changedShare() {
        return parcelAreaM2 > 0 ? Math.min(1.0, changedAreaM2 / parcelAreaM2) : 0;
    }

    /** Serialized with the geometry as WKB (Spark caches and moves flagged parcels; see {@link org.farmwatch.util.WkbWire}). */
    private Object writeReplace() {
        return new Wire(parcelId, adminCode, township, landClass, changeType, rule, parcelAreaM2, changedAreaM2,
                patchCount, patchIds, fromClasses, toClasses, beforeDate, afterDate, priority, centroidLon, centroidLat,
                org.farmwatch.util.WkbWire.write(geometry));
    }

    private record Wire(String parcelId, String adminCode, String township, String landClass, ChangeType changeType,
                        String rule, double parcelAreaM2, double changedAreaM2, int patchCount, List<String> patchIds,
                        String fromClasses, String toClasses, String beforeDate, String afterDate, double priority,
                        double centroidLon, double centroidLat, byte[] wkb) implements Serializable {
        private Object readResolve() {
            return new FlaggedParcel(parcelId, adminCode, township, landClass, changeType, rule, parcelAreaM2,
                    changedAreaM2, patchCount, patchIds, fromClasses, toClasses, beforeDate, afterDate, priority,
                    centroidLon, centroidLat, org.farmwatch.util.WkbWire.read(wkb));
        }
    }
}
