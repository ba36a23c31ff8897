package org.farmwatch.publish;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The SQL of the PostGIS one map for one schema and SRID: idempotent DDL, the staging tables and the merge.
 * The schema name is checked against {@link #SCHEMA_NAME} and double-quoted; every value goes through a
 * prepared statement parameter or COPY, never into this text. Immutable.
 *
 * <p>Tables ({@code S} is the schema, {@code N} the SRID of the working CRS):
 * <ul>
 * <li>{@code S.runs}: one row per run id, replaced when the run is published again;
 * <li>{@code S.change_patches}: the patches of each run, key (run_id, patch_id);
 * <li>{@code S.flagged_parcel_history}: each run's finding on each parcel, key (run_id, parcel_id);
 * <li>{@code S.flagged_parcels}: one row per parcel ever flagged, derived from the history: the attributes of its
 *     newest finding, {@code first_seen}/{@code first_seen_run_id} of its oldest, {@code last_seen}/{@code last_run_id}
 *     of its newest, and a {@code status} that publishing sets to 'open' for a new parcel, and back to 'open' for a
 *     parcel judged a false alarm or approved that a later run flags again (it grew, or changed elsewhere);
 *     otherwise the verdict import sets it;
 * <li>{@code S.verdicts}: field verdicts, filled by the verdict import;
 * <li>the views {@code S.current_change_patches} and {@code S.current_flagged_parcels} ({@link OneMapViews}): each
 *     patch and parcel once, in its latest state with its verdict status, in the fields of {@code onemap.gpkg}.
 * </ul>
 * Values are stored rounded as {@link OneMapFields} says, so that the views and the GeoPackage hold the same ones.
 * "Newest" orders findings by the after-scene date (else the run's start date), then the run's start, then run id.
 */
final class OneMapSql {

    /** Schema names the one map accepts: unquoted-identifier syntax, at most 63 characters, not {@code pg_*}. */
    static final Pattern SCHEMA_NAME = Pattern.compile("(?!pg_)[A-Za-z_][A-Za-z0-9_]{0,62}");

    /** Patch fields in table order, without the geometry (QGIS numbers its field aliases in this order). */
    static final List<String> PATCH_FIELDS = List.of("run_id", "patch_id", "change_type", "from_class", "to_class",
            "area_m2", "area_mu", "before_date", "after_date", "confidence", "rule");
    /** Flagged parcel fields in table order, without the geometry. */
    static final List<String> PARCEL_FIELDS = List.of("parcel_id", "admin_code", "township", "land_class", "change_type",
            "rule", "parcel_area_m2", "changed_area_m2", "changed_area_mu", "changed_share", "patch_count", "patch_ids",
            "from_class", "to_class", "before_date", "after_date", "priority", "centroid_lon", "centroid_lat",
            "parcel_area_mu", "changed_share_pct",
            "first_seen", "first_seen_run_id", "last_seen", "last_run_id", "status", "updated");

    /** Columns COPY fills in the patch staging table, in order. */
    static final String STAGE_PATCH_COLUMNS = "patch_id, change_type, from_class, to_class, area_m2, area_mu, "
            + "before_date, after_date, confidence, rule, wkb";
    /** Columns COPY fills in the parcel staging table, in order. */
    static final String STAGE_PARCEL_COLUMNS = "parcel_id, admin_code, township, land_class, change_type, rule, "
            + "parcel_area_m2, changed_area_m2, changed_area_mu, changed_share, patch_count, patch_ids, from_class, "
            + "to_class, before_date, after_date, priority, centroid_lon, centroid_lat, parcel_area_mu, changed_share_pct, wkb";
    /** The finding columns that history and flagged_parcels share with staging (all but the geometry). */
    private static final String FINDING_COLUMNS = STAGE_PARCEL_COLUMNS.replace(", wkb", "");

    static final String CHANGE_TYPES = "'non_agricultural', 'non_grain', 'other', 'bare_soil', 'low_confidence'";
    static final String STATUSES = "'open', 'confirmed', 'false_alarm', 'approved'";
    static final String VERDICTS = "'confirmed', 'false_alarm', 'approved'";

    /** Advisory lock keys (pg_advisory_xact_lock(int, int)): DDL of any one map, and publishing to one schema. */
    static final int LOCK_CLASS = 0x46574F4D; // "FWOM"
    static final int LOCK_DDL = 0;

    /**
     * QGIS's own DDL for {@code public.layer_styles}, as its PostgreSQL provider creates it (QgsPostgresUtils::
     * createStylesTable), with IF NOT EXISTS. Older QGIS versions made the table without {@code type} and
     * {@code r_raster_column} and add them when they need them; farmwatch writes only the columns all versions share.
     */
    static final String LAYER_STYLES_DDL = "CREATE TABLE IF NOT EXISTS public.layer_styles("
            + "id SERIAL PRIMARY KEY"
            + ",f_table_catalog varchar"
            + ",f_table_schema varchar"
            + ",f_table_name varchar"
            + ",f_geometry_column varchar"
            + ",styleName text"
            + ",styleQML xml"
            + ",styleSLD xml"
            + ",useAsDefault boolean"
            + ",description text"
            + ",owner varchar(63) DEFAULT CURRENT_USER"
            + ",ui xml"
            + ",update_time timestamp DEFAULT CURRENT_TIMESTAMP"
            + ",type varchar"
            + ",r_raster_column varchar"
            + ")";

    /** The {@code styleName} of farmwatch's rows in {@code public.layer_styles}; earlier rows with it are replaced. */
    static final String STYLE_NAME = "farmwatch";

    private final String schema;
    private final String s;
    private final int srid;

    OneMapSql(String schema, int srid) {
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("bad schema name: " + schema);
        }
        this.schema = schema;
        this.s = '"' + schema + '"';
        this.srid = srid;
    }

    String schema() {
        return schema;
    }

    /** The schema's advisory lock key, second half of (LOCK_CLASS, key). */
    int lockKey() {
        return schema.hashCode() | 1;
    }

    /** Idempotent DDL, in order. Run under the DDL advisory lock. */
    List<String> ddl() {
        String geom = "geometry(MultiPolygon, " + srid + ")";
        String finding = "admin_code text, township text, land_class text, "
                + "change_type text NOT NULL CHECK (change_type IN (" + CHANGE_TYPES + ")), rule text, "
                + "parcel_area_m2 double precision, changed_area_m2 double precision, changed_area_mu double precision, "
                + "changed_share double precision, patch_count integer, patch_ids text[], from_class text, to_class text, "
                + "before_date date, after_date date, priority double precision, "
                + "centroid_lon double precision, centroid_lat double precision, "
                + "parcel_area_mu double precision, changed_share_pct double precision, ";
        List<String> ddl = new java.util.ArrayList<>(List.of(
                "CREATE SCHEMA IF NOT EXISTS " + s,
                "CREATE TABLE IF NOT EXISTS " + s + ".runs ("
                        + "run_id text PRIMARY KEY, started timestamptz NOT NULL, finished timestamptz, status text NOT NULL, "
                        + "parameters jsonb NOT NULL DEFAULT '{}', inputs jsonb NOT NULL DEFAULT '{}', "
                        + "counts jsonb NOT NULL DEFAULT '{}', published timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE IF NOT EXISTS " + s + ".change_patches ("
                        + "run_id text NOT NULL REFERENCES " + s + ".runs (run_id) ON DELETE CASCADE, "
                        + "patch_id text NOT NULL, "
                        + "change_type text NOT NULL CHECK (change_type IN (" + CHANGE_TYPES + ")), "
                        + "from_class text, to_class text, area_m2 double precision, area_mu double precision, "
                        + "before_date date, after_date date, confidence double precision, rule text, "
                        + "geom " + geom + " NOT NULL, PRIMARY KEY (run_id, patch_id))",
                // One maps made before the bare_soil type: their check lists fewer types (same name, so idempotent).
                "ALTER TABLE " + s + ".change_patches DROP CONSTRAINT IF EXISTS change_patches_change_type_check, "
                        + "ADD CONSTRAINT change_patches_change_type_check CHECK (change_type IN (" + CHANGE_TYPES + "))",
                "CREATE INDEX IF NOT EXISTS change_patches_geom_idx ON " + s + ".change_patches USING gist (geom)",
                "CREATE TABLE IF NOT EXISTS " + s + ".flagged_parcel_history ("
                        + "run_id text NOT NULL REFERENCES " + s + ".runs (run_id) ON DELETE CASCADE, "
                        + "parcel_id text NOT NULL, " + finding
                        + "geom " + geom + " NOT NULL, PRIMARY KEY (run_id, parcel_id))",
                "CREATE INDEX IF NOT EXISTS flagged_parcel_history_parcel_idx ON " + s + ".flagged_parcel_history (parcel_id)",
                "CREATE INDEX IF NOT EXISTS flagged_parcel_history_geom_idx ON " + s
                        + ".flagged_parcel_history USING gist (geom)",
                "CREATE TABLE IF NOT EXISTS " + s + ".flagged_parcels ("
                        + "parcel_id text PRIMARY KEY, " + finding
                        + "first_seen date, first_seen_run_id text NOT NULL, last_seen date, last_run_id text NOT NULL, "
                        + "status text NOT NULL DEFAULT 'open' CHECK (status IN (" + STATUSES + ")), "
                        + "updated timestamptz NOT NULL DEFAULT now(), geom " + geom + " NOT NULL)",
                "CREATE INDEX IF NOT EXISTS flagged_parcels_geom_idx ON " + s + ".flagged_parcels USING gist (geom)",
                "CREATE TABLE IF NOT EXISTS " + s + ".verdicts ("
                        + "verdict_id bigserial PRIMARY KEY, parcel_id text NOT NULL, patch_id text, "
                        + "verdict text NOT NULL CHECK (verdict IN (" + VERDICTS + ")), approval_number text, "
                        + "decided_on date, imported_at timestamptz NOT NULL DEFAULT now())",
                "CREATE INDEX IF NOT EXISTS verdicts_parcel_idx ON " + s + ".verdicts (parcel_id)",
                // One verdict per judged patch on a parcel: re-importing a list updates it in place.
                "CREATE UNIQUE INDEX IF NOT EXISTS verdicts_parcel_patch_key ON " + s + ".verdicts (parcel_id, patch_id)",
                LAYER_STYLES_DDL));
        // One maps made before the GeoPackage's mu and percent fields: the columns added (empty for old rows,
        // which the views derive).
        for (String t : List.of("flagged_parcel_history", "flagged_parcels")) {
            ddl.add(ddl.indexOf(LAYER_STYLES_DDL), "ALTER TABLE " + s + "." + t
                    + " ADD COLUMN IF NOT EXISTS parcel_area_mu double precision, "
                    + "ADD COLUMN IF NOT EXISTS changed_share_pct double precision");
        }
        ddl.addAll(views().ddl());
        return ddl;
    }

    /** The current views of this schema. */
    OneMapViews views() {
        return new OneMapViews(s);
    }

    /** Every relation {@link #ddl()} makes; when all exist, the DDL is skipped (it would lock the tables briefly). */
    List<String> relations() {
        return List.of(s + ".runs", s + ".change_patches", s + ".change_patches_geom_idx", s + ".flagged_parcel_history",
                s + ".flagged_parcel_history_parcel_idx", s + ".flagged_parcel_history_geom_idx", s + ".flagged_parcels",
                s + ".flagged_parcels_geom_idx", s + ".verdicts", s + ".verdicts_parcel_idx", s + ".verdicts_parcel_patch_key", "public.layer_styles",
                s + "." + OneMapViews.PATCHES, s + "." + OneMapViews.PARCELS);
    }

    /** True when every relation in the text[] parameter exists. */
    static final String ALL_EXIST = "SELECT bool_and(to_regclass(r) IS NOT NULL) FROM unnest(?::text[]) AS r";

    /** Whether the current user may replace rows in public.layer_styles (and use its id sequence); and who that is. */
    static final String MAY_WRITE_STYLES = "SELECT has_table_privilege('public.layer_styles', 'INSERT, DELETE') "
            + "AND coalesce(has_sequence_privilege(pg_get_serial_sequence('public.layer_styles', 'id'), 'USAGE'), true), "
            + "current_user";

    /** The SRIDs of the geometry columns already there: (table, srid) rows. Parameter: the schema name. */
    static final String GEOMETRY_SRIDS = "SELECT f_table_name, srid FROM geometry_columns "
            + "WHERE f_table_schema = ? AND f_table_name IN ('change_patches', 'flagged_parcels', 'flagged_parcel_history') "
            + "AND f_geometry_column = 'geom'";

    /** Temporary staging tables, dropped at the end of the transaction. */
    List<String> staging() {
        return List.of(
                "CREATE TEMP TABLE stage_patches (patch_id text, change_type text, from_class text, to_class text, "
                        + "area_m2 double precision, area_mu double precision, before_date date, after_date date, "
                        + "confidence double precision, rule text, wkb bytea) ON COMMIT DROP",
                "CREATE TEMP TABLE stage_parcels (parcel_id text, admin_code text, township text, land_class text, "
                        + "change_type text, rule text, parcel_area_m2 double precision, changed_area_m2 double precision, "
                        + "changed_area_mu double precision, changed_share double precision, patch_count integer, "
                        + "patch_ids text[], from_class text, to_class text, before_date date, after_date date, "
                        + "priority double precision, centroid_lon double precision, centroid_lat double precision, "
                        + "parcel_area_mu double precision, changed_share_pct double precision, "
                        + "wkb bytea) ON COMMIT DROP");
    }

    String copyPatches() {
        return "COPY pg_temp.stage_patches (" + STAGE_PATCH_COLUMNS + ") FROM STDIN";
    }

    String copyParcels() {
        return "COPY pg_temp.stage_parcels (" + STAGE_PARCEL_COLUMNS + ") FROM STDIN";
    }

    /** Parameters: run_id, started, finished, status, parameters, inputs, counts. */
    String upsertRun() {
        return "INSERT INTO " + s + ".runs AS r (run_id, started, finished, status, parameters, inputs, counts, published) "
                + "VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, now()) "
                + "ON CONFLICT (run_id) DO UPDATE SET started = EXCLUDED.started, finished = EXCLUDED.finished, "
                + "status = EXCLUDED.status, parameters = EXCLUDED.parameters, inputs = EXCLUDED.inputs, "
                + "counts = EXCLUDED.counts, published = EXCLUDED.published";
    }

    /** Parameter: run_id. */
    String deletePatches() {
        return "DELETE FROM " + s + ".change_patches WHERE run_id = ?";
    }

    /** Parameter: run_id. */
    String insertPatches() {
        return "INSERT INTO " + s + ".change_patches (run_id, patch_id, change_type, from_class, to_class, area_m2, "
                + "area_mu, before_date, after_date, confidence, rule, geom) "
                + "SELECT ?, patch_id, change_type, from_class, to_class, area_m2, area_mu, before_date, after_date, "
                + "confidence, rule, ST_GeomFromWKB(wkb, " + srid + ") FROM pg_temp.stage_patches";
    }

    /** The parcels whose row may change: in this run's old findings or its new ones. Parameter: run_id. */
    String affected() {
        return "CREATE TEMP TABLE stage_affected ON COMMIT DROP AS "
                + "SELECT parcel_id FROM " + s + ".flagged_parcel_history WHERE run_id = ? "
                + "UNION SELECT parcel_id FROM pg_temp.stage_parcels";
    }

    /** Parameter: run_id. */
    String deleteHistory() {
        return "DELETE FROM " + s + ".flagged_parcel_history WHERE run_id = ?";
    }

    /** Parameter: run_id. */
    String insertHistory() {
        return "INSERT INTO " + s + ".flagged_parcel_history (run_id, " + FINDING_COLUMNS + ", geom) "
                + "SELECT ?, " + FINDING_COLUMNS + ", ST_GeomFromWKB(wkb, " + srid + ") FROM pg_temp.stage_parcels";
    }

    /**
     * Rebuilds the affected parcels' rows from their history: attributes and last_seen from the newest finding,
     * first_seen from the oldest; a new parcel gets status 'open', an existing one keeps its status, except that a
     * false alarm or approval that this run, started after every verdict on it was imported, flags again (its patch
     * grew past verdict.growthFactor, or changed elsewhere) is 'open' again: a new finding for the inspectors
     * (republishing an earlier run keeps the verdict). Parameter: run_id.
     */
    String mergeParcels() {
        String ranked = "SELECT DISTINCT ON (h.parcel_id) h.*, COALESCE(h.after_date, r.started::date) AS seen "
                + "FROM " + s + ".flagged_parcel_history h JOIN " + s + ".runs r ON r.run_id = h.run_id "
                + "WHERE h.parcel_id IN (SELECT parcel_id FROM pg_temp.stage_affected) "
                + "ORDER BY h.parcel_id, COALESCE(h.after_date, r.started::date) %1$s, r.started %1$s, h.run_id %1$s";
        StringBuilder set = new StringBuilder();
        for (String c : (FINDING_COLUMNS + ", first_seen, first_seen_run_id, last_seen, last_run_id, geom").split(", ")) {
            if (!c.equals("parcel_id")) {
                set.append(c).append(" = EXCLUDED.").append(c).append(", ");
            }
        }
        String lastColumns = FINDING_COLUMNS.replaceAll("(^|, )", "$1l.");
        return "INSERT INTO " + s + ".flagged_parcels AS f (" + FINDING_COLUMNS
                + ", first_seen, first_seen_run_id, last_seen, last_run_id, status, updated, geom) "
                + "SELECT " + lastColumns + ", o.seen, o.run_id, l.seen, l.run_id, 'open', now(), l.geom "
                + "FROM (" + String.format(ranked, "DESC") + ") l "
                + "JOIN (" + String.format(ranked, "ASC") + ") o ON o.parcel_id = l.parcel_id "
                + "ON CONFLICT (parcel_id) DO UPDATE SET " + set + "updated = EXCLUDED.updated, "
                + "status = CASE WHEN f.status IN ('false_alarm', 'approved') "
                + "AND EXCLUDED.parcel_id IN (SELECT parcel_id FROM pg_temp.stage_parcels) "
                + "AND NOT EXISTS (SELECT 1 FROM " + s + ".verdicts v WHERE v.parcel_id = EXCLUDED.parcel_id "
                + "AND v.imported_at >= (SELECT started FROM " + s + ".runs WHERE run_id = ?)) THEN 'open' ELSE f.status END";
    }

    /** A parcel no run flags any more goes, unless someone has given a verdict on it. */
    String dropUnflagged() {
        return "DELETE FROM " + s + ".flagged_parcels f WHERE f.parcel_id IN (SELECT parcel_id FROM pg_temp.stage_affected) "
                + "AND f.status = 'open' "
                + "AND NOT EXISTS (SELECT 1 FROM " + s + ".flagged_parcel_history h WHERE h.parcel_id = f.parcel_id) "
                + "AND NOT EXISTS (SELECT 1 FROM " + s + ".verdicts v WHERE v.parcel_id = f.parcel_id)";
    }

    /** Parameter: run_id. How many of this run's parcels it saw first. */
    String countNewParcels() {
        return "SELECT count(*) FROM " + s + ".flagged_parcels WHERE first_seen_run_id = ? "
                + "AND parcel_id IN (SELECT parcel_id FROM pg_temp.stage_parcels)";
    }

    /** Parameters: schema, table. Removes farmwatch's earlier style rows for one table. */
    static final String DELETE_STYLES = "DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() "
            + "AND f_table_schema = ? AND f_table_name = ? AND f_geometry_column = 'geom' AND styleName = '" + STYLE_NAME + "'";

    /** Parameters: schema, table, QML, SLD, description. */
    static final String INSERT_STYLE = "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            + "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, update_time) "
            + "VALUES (current_database(), ?, ?, 'geom', '" + STYLE_NAME + "', XMLPARSE(DOCUMENT ?), XMLPARSE(DOCUMENT ?), "
            + "true, ?, current_user, now())";
}
