package org.farmwatch.farmland;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * Which source field feeds each parcel attribute. The first candidate present in the source wins,
 * compared case-insensitively. The defaults accept farmwatch's own names and the Chinese
 * land-survey names (TBBH, ZLDWDM, ZLDWMC, DLBM). Immutable.
 */
public record FieldMapping(List<String> parcelId, List<String> adminCode, List<String> township, List<String> landClass)
        implements Serializable {

    public static final FieldMapping DEFAULT = new FieldMapping(
            List.of("parcel_id", "TBBH", "BSM", "id"),
            List.of("admin_code", "ZLDWDM", "QSDWDM", "XZQDM"),
            List.of("township", "ZLDWMC", "QSDWMC", "XZQMC"),
            List.of("land_class", "DLBM"));

    /** Picks the first candidate among {@code available} field names, or null. */
    public static String pick(List<String> candidates, List<String> available) {
        for (String c : candidates) {
            for (String a : available) {
                if (a.toLowerCase(Locale.ROOT).equals(c.toLowerCase(Locale.ROOT))) {
                    return a;
                }
            }
        }
        return null;
    }
}
