package org.farmwatch.publish;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a run publishes besides its GeoPackage, chosen by {@code publish.outputs}. Rasters, reports and
 * dossiers cost time a nightly run may not want to spend, say when only the one map is consumed.
 */
public enum PublishOutput {
    /** onemap.gpkg: the change patches and flagged parcels. Always written. */
    GEOPACKAGE("geopackage"),
    /** change.tif: the change type of each cell. */
    CHANGE_RASTER("change_raster"),
    /** change_detail.tif: both periods' classes and clear-observation counts (four bands, the costlier COG). */
    CHANGE_DETAIL("change_detail"),
    /** The before and after true-colour COGs. */
    TRUE_COLOUR("true_colour"),
    /** onemap.qgz, the QGIS project over the GeoPackage and the rasters. */
    QGIS("qgis"),
    /** The inspector lists (CSV, XLSX) and report.html. */
    INSPECTOR("inspector"),
    /** The PDF dossiers per township. */
    DOSSIERS("dossiers");

    public final String key;

    PublishOutput(String key) {
        this.key = key;
    }

    /**
     * Parses {@code publish.outputs}: {@code all}, or a comma list of keys that includes geopackage and
     * whatever the listed outputs are built from. Throws IllegalArgumentException with the reason.
     */
    public static Set<PublishOutput> parse(String value) {
        String v = value.trim();
        if (v.equals("all")) {
            return EnumSet.allOf(PublishOutput.class);
        }
        Set<PublishOutput> out = EnumSet.noneOf(PublishOutput.class);
        for (String part : v.split(",")) {
            String k = part.trim().toLowerCase(Locale.ROOT);
            PublishOutput o = null;
            for (PublishOutput c : values()) {
                if (c.key.equals(k)) {
                    o = c;
                }
            }
            if (o == null) {
                throw new IllegalArgumentException("unknown output '" + part.trim() + "' (all, or some of " + keys() + ")");
            }
            out.add(o);
        }
        if (!out.contains(GEOPACKAGE)) {
            throw new IllegalArgumentException("geopackage is always written and must be listed");
        }
        // The project shows the rasters; the report's map and chips, and the dossiers' chips, are cut from
        // the true-colour COGs.
        need(out, QGIS, CHANGE_RASTER);
        need(out, QGIS, TRUE_COLOUR);
        need(out, INSPECTOR, TRUE_COLOUR);
        need(out, DOSSIERS, TRUE_COLOUR);
        return out;
    }

    private static void need(Set<PublishOutput> out, PublishOutput o, PublishOutput source) {
        if (out.contains(o) && !out.contains(source)) {
            throw new IllegalArgumentException(o.key + " needs " + source.key);
        }
    }

    private static List<String> keys() {
        List<String> k = new ArrayList<>();
        for (PublishOutput o : values()) {
            k.add(o.key);
        }
        return k;
    }
}
