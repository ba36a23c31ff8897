package org.farmwatch.farmland;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.farmwatch.util.FarmwatchException;
import org.postgresql.PGConnection;

/**
 * The parcel table of an import and its rejects table, in the import's transaction: created or checked and locked
 * before the load ({@link #prepare}), the staging rows upserted ({@link #upsert}), the rejects replaced
 * ({@link #writeRejects}), the indexes added ({@link #finish}) and the statistics refreshed ({@link #analyze}).
 */
final class FarmlandTable {
    private static final String STAGING_NAME = "fw_import_staging";
    /** The temporary table an upsert loads into first. */
    static final String STAGING = "pg_temp." + STAGING_NAME;
    /** The columns a COPY of kept parcels fills, in the table or the staging table. */
    static final String PARCEL_COLUMNS = "parcel_id, admin_code, township, land_class, geom, source";
    /** The columns a COPY of rejected features fills in the rejects table. */
    static final String REJECT_COLUMNS = "source, source_fid, parcel_id, reason, detail, raw_geom, source_crs";
    private static final List<String> TABLE_COLUMNS =
            List.of("parcel_id", "admin_code", "township", "land_class", "geom", "source", "imported_at");

    private final PostgisTarget t;
    private final int srid;
    private final String storageCrs;
    private final PrintWriter log;

    FarmlandTable(PostgisTarget target, int srid, String storageCrs, PrintWriter log) {
        this.t = target;
        this.srid = srid;
        this.storageCrs = storageCrs;
        this.log = log;
    }

    /** Where the COPY of kept parcels goes in {@code mode}: the staging table for an upsert, else the table. */
    String copyTarget(Mode mode) {
        return mode == Mode.UPSERT ? STAGING : t.qualified();
    }

    /** How the parcels reach the table. */
    enum Mode {
        /** The table is new: COPY straight into it, then add the primary key and the GiST index. */
        CREATE,
        /** The table exists and is empty: COPY straight into it. */
        APPEND,
        /** The table has parcels: COPY into a staging table, then upsert from there. */
        UPSERT
    }

    /**
     * Serializes imports into the table, creates the schema, table (without its indexes, which follow the load)
     * and rejects table when missing, checks and locks an existing table against other writers, and creates the
     * staging table when the parcels will be upserted.
     */
    Mode prepare(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            ps.setString(1, "farmwatch import-farmland " + t.schema() + "." + t.table());
            ps.execute();
        }
        if (!exists(c, "SELECT 1 FROM spatial_ref_sys WHERE srid = " + srid)) {
            throw FarmwatchException.usage("--crs " + storageCrs + " is not in spatial_ref_sys at " + t.describe());
        }
        if (!exists(c, "SELECT 1 FROM pg_namespace WHERE nspname = ?", t.schema())) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + PostgisTarget.quote(t.schema()));
            }
        }
        Mode mode;
        try (Statement st = c.createStatement()) {
            if (!exists(c, "SELECT 1 FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace "
                    + "WHERE n.nspname = ? AND k.relname = ?", t.schema(), t.table())) {
                st.execute("CREATE TABLE " + t.qualified() + " (parcel_id text NOT NULL, admin_code text, "
                        + "township text, land_class text, geom geometry(MultiPolygon, " + srid + ") NOT NULL, "
                        + "source text NOT NULL, imported_at timestamptz NOT NULL DEFAULT now())");
                st.execute("COMMENT ON TABLE " + t.qualified() + " IS 'Farmland parcels loaded by farmwatch import-farmland'");
                mode = Mode.CREATE;
            } else {
                checkTable(c, srid);
                // Readers go on; other writers wait for the commit.
                st.execute("LOCK TABLE " + t.qualified() + " IN SHARE ROW EXCLUSIVE MODE");
                mode = exists(c, "SELECT 1 FROM " + t.qualified() + " LIMIT 1") ? Mode.UPSERT : Mode.APPEND;
            }
            st.execute("CREATE TABLE IF NOT EXISTS " + t.qualifiedRejects() + " (source text NOT NULL, source_fid bigint, "
                    + "parcel_id text, reason text NOT NULL, detail text, raw_geom bytea, source_crs text, "
                    + "imported_at timestamptz NOT NULL DEFAULT now())");
            if (mode == Mode.UPSERT) {
                // Before the session's first temporary table: keeps a large staging table in memory.
                st.execute("SET LOCAL temp_buffers = '256MB'");
                st.execute("CREATE TEMPORARY TABLE " + STAGING_NAME + " (parcel_id text, admin_code text, township text, "
                        + "land_class text, geom geometry, source text) ON COMMIT DROP");
            }
        }
        return mode;
    }

    /** An existing table must have farmwatch's columns, a MultiPolygon column in the storage SRID and a unique parcel_id. */
    private void checkTable(Connection c, int srid) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns "
                + "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        List<String> missing = new ArrayList<>(TABLE_COLUMNS);
        missing.removeAll(columns);
        if (!missing.isEmpty()) {
            throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table() + " exists but is not a farmwatch "
                    + "parcel table: it lacks " + String.join(", ", missing) + " (it has "
                    + (columns.isEmpty() ? "no columns" : String.join(", ", columns)) + ") at " + t.describe());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT type, srid FROM geometry_columns "
                + "WHERE f_table_schema = ? AND f_table_name = ? AND f_geometry_column = 'geom'")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table()
                            + " has a column geom that is not a geometry, at " + t.describe());
                }
                String type = rs.getString(1);
                int tableSrid = rs.getInt(2);
                if (tableSrid != 0 && tableSrid != srid) {
                    throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table() + " stores SRID "
                            + tableSrid + " but --crs is " + storageCrs + "; pass --crs EPSG:" + tableSrid);
                }
                if (!"MULTIPOLYGON".equalsIgnoreCase(type) && !"GEOMETRY".equalsIgnoreCase(type)) {
                    throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table() + " column geom holds "
                            + type + "; an import writes MultiPolygons");
                }
            }
        }
        String unique = "SELECT 1 FROM pg_index i JOIN pg_class k ON k.oid = i.indrelid "
                + "JOIN pg_namespace n ON n.oid = k.relnamespace JOIN pg_attribute a ON a.attrelid = k.oid "
                + "AND a.attnum = i.indkey[0] WHERE n.nspname = ? AND k.relname = ? AND i.indisunique "
                + "AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = 'parcel_id'";
        if (!exists(c, unique, t.schema(), t.table())) {
            throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table()
                    + " has no primary key or unique index on parcel_id, which the upsert needs, at " + t.describe());
        }
    }

    private static boolean exists(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Upserts the staging rows into the table.
     *
     * @return {inserted, updated}
     */
    long[] upsert(Connection c) throws SQLException {
        String sql = "WITH up AS (INSERT INTO " + t.qualified() + " AS t (" + PARCEL_COLUMNS + ", imported_at) "
                + "SELECT " + PARCEL_COLUMNS + ", now() FROM " + STAGING + " "
                + "ON CONFLICT (parcel_id) DO UPDATE SET admin_code = EXCLUDED.admin_code, township = EXCLUDED.township, "
                + "land_class = EXCLUDED.land_class, geom = EXCLUDED.geom, source = EXCLUDED.source, "
                + "imported_at = EXCLUDED.imported_at "
                // Geometry '=' is exact: the same coordinates in the same order.
                + "WHERE (t.admin_code, t.township, t.land_class, t.geom) "
                + "IS DISTINCT FROM (EXCLUDED.admin_code, EXCLUDED.township, EXCLUDED.land_class, EXCLUDED.geom) "
                + "RETURNING (xmax = 0) AS inserted) "
                + "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    /** Replaces the rejects of the previous import of {@code source} with this import's, from the spool file. */
    void writeRejects(Connection c, String source, Path spool) throws SQLException, IOException {
        String r = t.qualifiedRejects();
        try (PreparedStatement del = c.prepareStatement("DELETE FROM " + r + " WHERE source = ?")) {
            del.setString(1, source);
            del.executeUpdate();
        }
        try (InputStream in = Files.newInputStream(spool)) {
            c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + r + " (" + REJECT_COLUMNS + ") FROM STDIN (FORMAT binary)", in);
        }
    }

    /** Gives a new table its primary key and GiST index after the load; adds the GiST index to an old table without one. */
    void finish(Connection c, Mode mode) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (mode == Mode.CREATE) {
                st.execute("ALTER TABLE " + t.qualified() + " ADD PRIMARY KEY (parcel_id)");
            }
            boolean indexed = mode != Mode.CREATE && exists(c, "SELECT 1 FROM pg_index i JOIN pg_class k ON k.oid = i.indrelid "
                    + "JOIN pg_namespace n ON n.oid = k.relnamespace JOIN pg_class x ON x.oid = i.indexrelid "
                    + "JOIN pg_am am ON am.oid = x.relam JOIN pg_attribute a ON a.attrelid = k.oid AND a.attnum = ANY(i.indkey) "
                    + "WHERE n.nspname = ? AND k.relname = ? AND a.attname = 'geom' AND am.amname = 'gist'", t.schema(), t.table());
            if (!indexed) {
                st.execute("CREATE INDEX ON " + t.qualified() + " USING gist (geom)");
            }
        }
    }

    /** Refreshes the planner's statistics after the commit; a failure here only warns. */
    void analyze(Connection c) {
        try (Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("ANALYZE " + t.qualified());
        } catch (SQLException e) {
            log.println("[farmwatch] import-farmland: warning: ANALYZE failed: " + e.getMessage());
        }
    }
}
