package org.farmwatch.publish;

import java.util.ArrayList;
import java.util.List;

/**
 * The current views of a PostGIS one map, which analysts add to QGIS instead of the history tables: nightly runs
 * stack one row per patch and run in {@code S.change_patches} (three nights, each patch three times), so
 * <ul>
 * <li>{@code S.current_change_patches} holds each patch once, as the newest run that published it saw it (newest by
 *     after date, then run start, then run id, as {@code flagged_parcels} orders findings), with a verdict
 *     {@code status}: 'open' until a verdict names the patch, else confirmed when any verdict on it confirms it,
 *     approved when any approves it, false_alarm otherwise (as {@link OneMapVerdicts} sets a parcel's);
 * <li>{@code S.current_flagged_parcels} holds each flagged parcel once with its status: {@code S.flagged_parcels},
 *     which is already the newest finding per parcel, in the fields of the GeoPackage's layer.
 * </ul>
 * Both carry exactly the fields of {@link OneMapFields} in its order, then {@code geom}; the tables hold them rounded
 * as it says (rows of older one maps are rounded here). Views, not tables: nothing to keep in step when a run is
 * published or a verdict imported. Immutable.
 */
final class OneMapViews {

    static final String PATCHES = "current_change_patches";
    static final String PARCELS = "current_flagged_parcels";

    private final String s;

    /** The views of schema {@code s}, already double-quoted. */
    OneMapViews(String quotedSchema) {
        this.s = quotedSchema;
    }

    /** Idempotent DDL: dropped and made again, so that a one map made by an older farmwatch gets today's columns. */
    List<String> ddl() {
        return List.of(
                "DROP VIEW IF EXISTS " + s + "." + PATCHES,
                "CREATE VIEW " + s + "." + PATCHES + " AS " + patches(),
                "COMMENT ON VIEW " + s + "." + PATCHES + " IS 'farmwatch: each change patch once, as the newest run "
                        + "that published it saw it, with its verdict status'",
                "DROP VIEW IF EXISTS " + s + "." + PARCELS,
                "CREATE VIEW " + s + "." + PARCELS + " AS " + parcels(),
                "COMMENT ON VIEW " + s + "." + PARCELS + " IS 'farmwatch: each flagged parcel once, its newest finding "
                        + "and verdict status, in the fields of onemap.gpkg'");
    }

    /** The views, as relations that must exist (see {@link OneMapSql#relations}). */
    List<String> relations() {
        return List.of(s + "." + PATCHES, s + "." + PARCELS);
    }

    private String patches() {
        List<String> cols = new ArrayList<>();
        for (OneMapFields.Field f : OneMapFields.PATCHES) {
            cols.add(switch (f.name()) {
                case "status" -> "COALESCE(v.status, 'open') AS status";
                case "last_run_id" -> "p.run_id AS last_run_id";
                default -> f.kind() == OneMapFields.Kind.REAL ? rounded("p." + f.name(), f) + " AS " + f.name()
                        : "p." + f.name();
            });
        }
        cols.add("p.geom");
        return "SELECT " + String.join(", ", cols) + " FROM (SELECT DISTINCT ON (c.patch_id) c.* FROM " + s
                + ".change_patches c JOIN " + s + ".runs r ON r.run_id = c.run_id "
                + "ORDER BY c.patch_id, COALESCE(c.after_date, r.started::date) DESC, r.started DESC, c.run_id DESC) p "
                + "LEFT JOIN (SELECT patch_id, CASE WHEN bool_or(verdict = 'confirmed') THEN 'confirmed' "
                + "WHEN bool_or(verdict = 'approved') THEN 'approved' ELSE 'false_alarm' END AS status FROM " + s
                + ".verdicts WHERE patch_id IS NOT NULL GROUP BY patch_id) v ON v.patch_id = p.patch_id";
    }

    private String parcels() {
        List<String> cols = new ArrayList<>();
        for (OneMapFields.Field f : OneMapFields.PARCELS) {
            String n = f.name();
            cols.add(switch (n) {
                case "patch_ids" -> "array_to_string(f.patch_ids, ';') AS patch_ids";
                // Rows published before these columns: derived from what they have.
                case "parcel_area_mu" -> "COALESCE(f.parcel_area_mu, " + rounded("f.parcel_area_m2 / " + M2_PER_MU, f)
                        + ") AS parcel_area_mu";
                case "changed_share_pct" -> "COALESCE(f.changed_share_pct, " + rounded("100 * f.changed_share", f)
                        + ") AS changed_share_pct";
                default -> f.kind() == OneMapFields.Kind.REAL ? rounded("f." + n, f) + " AS " + n : "f." + n;
            });
        }
        cols.add("f.geom");
        return "SELECT " + String.join(", ", cols) + " FROM " + s + ".flagged_parcels f";
    }

    /** Square metres per mu as a double, as Java divides by it. */
    private static final String M2_PER_MU = "(10000::double precision / 15::double precision)";

    /** {@code expr} rounded as the field says; a no-op on values the publisher rounded already. */
    private static String rounded(String expr, OneMapFields.Field f) {
        return "round((" + expr + ")::numeric, " + f.digits() + ")::double precision";
    }
}
