package org.farmwatch.farmland;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The features of a whole farmland source that no run can use, counted by {@link RejectReason} before any
 * overlay: features without geometry, with an empty one, that are not polygons (points, lines), or without a
 * parcel id. {@code listed} names the first of them (fid, parcel_id, reason) for run.json. Immutable.
 *
 * @param features every feature of the source
 * @param usable   features with a polygonal geometry and a parcel id
 */
public record RejectTally(long features, long usable, Map<RejectReason, Long> byReason,
                          List<Map<String, Object>> listed) implements Serializable {

    /** How many rejected features run.json lists by name. */
    public static final int MAX_LISTED = 1000;

    /** A source that rejects nothing up front (a PostGIS table, whose import rejected its features already). */
    public static final RejectTally NONE = new RejectTally(0, 0, Map.of(), List.of());

    public RejectTally {
        byReason = Map.copyOf(byReason);
        listed = List.copyOf(listed);
    }

    public long rejected() {
        return byReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** For run.json: reason text to count. */
    public Map<String, Object> countsByReason() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (RejectReason r : RejectReason.values()) {
            Long n = byReason.get(r);
            if (n != null && n > 0) {
                m.put(r.text(), n);
            }
        }
        return m;
    }

    /** "3 features without a polygon, 40 with no parcel_id", or "" when none was rejected. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        for (RejectReason r : RejectReason.values()) {
            Long n = byReason.get(r);
            if (n != null && n > 0) {
                b.append(b.length() == 0 ? "" : ", ").append(n).append(' ').append(r.text());
            }
        }
        return b.toString();
    }
}
