package org.farmwatch.publish;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Json;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.util.PolygonExtracter;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Publishes a run into the shared PostGIS one map: a schema (default {@value #DEFAULT_SCHEMA}) of the tables
 * {@code runs}, {@code change_patches}, {@code flagged_parcels} (with {@code first_seen}/{@code last_seen} across
 * runs and a {@code status}), {@code flagged_parcel_history} and {@code verdicts}, plus QGIS's default styles in
 * {@code public.layer_styles}. See {@link OneMapSql} for the tables.
 *
 * <p>Publishing is atomic and idempotent. The patches and parcels are streamed with COPY into temporary staging
 * tables, and then, in the same single transaction, the run row is upserted, the run's earlier patches and
 * findings are replaced by the staged ones, the flagged parcels they touch are rebuilt from their history, and the
 * style rows replaced. Until the commit nothing is visible to others; a process or server killed at any point
 * leaves the previous state whole, and publishing the same run id again replaces that run without duplicates.
 * Publishers to the same schema take turns (an advisory lock, waited for up to {@link #LOCK_WAIT_SECONDS} s).
 *
 * <p>Geometries are in the working CRS; the tables' geometry columns are {@code MultiPolygon} with its SRID, and
 * a schema created for one SRID refuses another. Areas are square metres and mu (亩, 10000/15 m²), rounded as in
 * {@code onemap.gpkg}. Errors: a bad URL, schema name or CRS is USAGE, an unreachable or lost server SERVICE, bad
 * patch or parcel values INPUT, a schema held by another publisher for too long LOCKED. No message shows the
 * password. Immutable and thread-safe; every call opens its own connection.
 */
public final class PostgisOneMap {

    public static final String DEFAULT_SCHEMA = "onemap";
    /** How long a publish waits for another publisher to the same schema before failing LOCKED. */
    public static final int LOCK_WAIT_SECONDS = 600;

    private static final Pattern EPSG = Pattern.compile("(?i)EPSG:(\\d{1,9})");
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /**
     * What a run says about itself in {@code runs}. Immutable.
     *
     * @param runId          1-64 letters, digits, '.', '_' or '-', as {@code --run-id}
     * @param finished       null while unknown
     * @param status         such as "succeeded"
     * @param parametersJson a JSON object: the configuration echo
     * @param inputsJson     a JSON object: the input scenes and farmland source
     * @param countsJson     a JSON object: the run's counts
     */
    public record RunRecord(String runId, Instant started, Instant finished, String status, String parametersJson,
                            String inputsJson, String countsJson) {
        public RunRecord {
            if (runId == null || !RUN_ID.matcher(runId).matches()) {
                throw new IllegalArgumentException("runId must be 1-64 letters, digits, '.', '_' or '-', got: " + runId);
            }
            Objects.requireNonNull(started, "started");
            if (finished != null && finished.isBefore(started)) {
                throw new IllegalArgumentException("finished " + finished + " is before started " + started);
            }
            if (status == null || status.isBlank()) {
                throw new IllegalArgumentException("status must not be blank");
            }
            jsonObject("parametersJson", parametersJson);
            jsonObject("inputsJson", inputsJson);
            jsonObject("countsJson", countsJson);
        }

        /** A record from the run manifest's maps (written as JSON with {@link Json#write}). */
        public static RunRecord of(String runId, Instant started, Instant finished, String status,
                Map<String, ?> parameters, Map<String, ?> inputs, Map<String, ?> counts) {
            return new RunRecord(runId, started, finished, status, Json.write(parameters), Json.write(inputs),
                    Json.write(counts));
        }

        private static void jsonObject(String name, String text) {
            if (text == null) {
                throw new IllegalArgumentException(name + " must not be null (use \"{}\")");
            }
            try {
                Json.parseObject(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " must be a JSON object: " + e.getMessage(), e);
            }
        }
    }

    /**
     * What one publish did. Immutable.
     *
     * @param patches    change patches the run now has in the one map
     * @param parcels    flagged parcels the run reported
     * @param newParcels of those, the parcels whose first finding is this run's (first_seen_run_id); publishing a run
     *                   again counts the parcels it found first again
     * @param seconds    wall time of the publish, connection included
     */
    public record Result(String runId, long patches, long parcels, long newParcels, double seconds) {}

    /** Milestones of a publish, in order; {@link #MERGED} is the last moment before the commit. */
    public enum Step {
        /** Patches and parcels are in the staging tables; nothing else has changed. */
        STAGED,
        /** Every change is made, not yet committed. */
        MERGED,
        /** Committed: others see the new state. */
        COMMITTED
    }

    /**
     * Told of each {@link Step}, with the server process id of the publishing connection (for logs and for
     * {@code pg_stat_activity}). It runs on the publishing thread, inside the transaction up to {@link Step#MERGED}:
     * a listener that throws there aborts the publish, which is rolled back.
     */
    @FunctionalInterface
    public interface Listener {
        void reached(Step step, int backendPid);
    }

    private static final Listener SILENT = (step, pid) -> { };

    private final OneMapDatabase db;
    private final String schema;

    private PostgisOneMap(OneMapDatabase db, String schema) {
        this.db = db;
        this.schema = schema;
    }

    /**
     * The one map at a URL ({@code postgresql://user[:password]@host[:port]/database[?sslmode=mode]}) in a schema.
     * Checks the arguments only; nothing is connected.
     *
     * @param schema null for {@value #DEFAULT_SCHEMA}
     * @throws FarmwatchException of kind USAGE for a bad URL or schema name
     */
    public static PostgisOneMap at(String url, String schema) {
        String name = schema == null ? DEFAULT_SCHEMA : schema;
        if (!OneMapSql.SCHEMA_NAME.matcher(name).matches()) {
            throw FarmwatchException.usage("--onemap-schema must match " + OneMapSql.SCHEMA_NAME.pattern()
                    + " (letters, digits and '_', not starting with a digit or pg_, at most 63), got: " + name);
        }
        return new PostgisOneMap(OneMapDatabase.parse(url), name);
    }

    /** {@link #at} then {@link #publish(RunRecord, Iterator, List, String)}. */
    public static Result publish(String url, String schema, RunRecord run, Iterator<ChangePatch> patches,
            List<FlaggedParcel> flagged, String workingCrs) {
        return at(url, schema).publish(run, patches, flagged, workingCrs);
    }

    /** {@code postgresql://user@host:port/database schema=name}, never the password. */
    public String describe() {
        return db.describe() + " schema=" + schema;
    }

    @Override
    public String toString() {
        return describe();
    }

    public String schema() {
        return schema;
    }

    /**
     * The QGIS data source of one of this one map's current views ({@link OneMapViews}), keyed by its id column, in
     * the working CRS's SRID; without the password.
     */
    public String qgisDataSource(QgisStyle.Kind kind, String workingCrs) {
        String view = switch (kind) {
            case CHANGE_PATCHES -> OneMapViews.PATCHES;
            case FLAGGED_PARCELS -> OneMapViews.PARCELS;
            case FARMLAND -> throw new IllegalArgumentException("the one map has no current view of the farmland");
        };
        String key = kind == QgisStyle.Kind.CHANGE_PATCHES ? "patch_id" : "parcel_id";
        return db.qgisConnection() + " key='" + key + "' checkPrimaryKeyUnicity='0' srid=" + srid(workingCrs)
                + " type=MultiPolygon table=\"" + schema + "\".\"" + view + "\" (geom)";
    }

    /** The database, for the verdict import and reader in this package. */
    OneMapDatabase database() {
        return db;
    }

    /**
     * Connects, checks that PostGIS is installed and knows the working CRS, creates the schema's tables if they are
     * missing, and checks that they and {@code public.layer_styles} take this run. Call it before a long run to fail
     * fast; {@link #publish} does the same. With a null CRS (the grid's is not known yet: {@code grid.crs = auto})
     * it only connects and checks that PostGIS is installed.
     *
     * @throws FarmwatchException SERVICE when the server cannot be reached, USAGE when PostGIS, the CRS, the
     *                            schema's SRID or the user's privileges do not fit
     */
    public void check(String workingCrs) {
        OneMapSql sql = workingCrs == null ? null : new OneMapSql(schema, srid(workingCrs));
        try (Connection c = db.connect(applicationName())) {
            if (sql == null) {
                requirePostgis(c);
            } else {
                prepare(c, sql, workingCrs);
            }
        } catch (SQLException e) {
            throw failure("checking", e, "");
        }
    }

    /**
     * The latest current-period acquisition date of any succeeded run in this one map: scenes up to it
     * have been processed. Empty when no run has succeeded yet (or the tables do not exist yet).
     */
    public java.util.Optional<java.time.LocalDate> watermark() {
        try (Connection c = db.connect(applicationName());
             java.sql.Statement st = c.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("SELECT to_regclass('" + schema + ".runs') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return java.util.Optional.empty();
                }
            }
            try (java.sql.ResultSet rs = st.executeQuery("SELECT max((a->>'date')::date) FROM \"" + schema + "\".runs r, "
                    + "jsonb_array_elements(CASE WHEN jsonb_typeof(r.inputs->'after') = 'array' THEN r.inputs->'after' "
                    + "ELSE '[]'::jsonb END) a WHERE r.status = 'succeeded'")) {
                rs.next();
                java.sql.Date d = rs.getDate(1);
                return d == null ? java.util.Optional.empty() : java.util.Optional.of(d.toLocalDate());
            }
        } catch (SQLException e) {
            throw failure("reading the watermark of", e, "");
        }
    }

    /** A held PostgreSQL advisory lock; closing it releases the lock and its connection. */
    public interface RegionLock extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes the advisory lock of a region without waiting, on a connection held until {@link RegionLock#close}:
     * a second nightly run for the same region is refused at once, and the lock goes with a crashed process.
     *
     * @throws FarmwatchException LOCKED (exit 5) when another session holds it
     */
    public RegionLock lockRegion(String region) {
        Connection c = db.connect(applicationName());
        String key = "farmwatch-nightly:" + schema + ":" + region;
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            ps.setString(1, key);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    c.close();
                    throw new FarmwatchException(FarmwatchException.Kind.LOCKED, "another nightly run for region '" + region
                            + "' is in progress (advisory lock on " + describe() + "); this one stops");
                }
            }
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the lock query failed already; that is the error to report
            }
            throw failure("locking", e, "");
        }
        return () -> {
            try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
                ps.setString(1, key);
                ps.execute();
            } catch (SQLException ignored) {
                // closing the connection below releases the lock anyway
            } finally {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // nothing more to release
                }
            }
        };
    }

    /** {@link #publish(RunRecord, Iterator, List, String, Listener)} without a listener. */
    public Result publish(RunRecord run, Iterator<ChangePatch> patches, List<FlaggedParcel> flagged, String workingCrs) {
        return publish(run, patches, flagged, workingCrs, SILENT);
    }

    /**
     * Publishes one run (see the class comment). {@code patches} is read once, as it streams; geometries of both
     * are in {@code workingCrs}.
     *
     * @throws FarmwatchException of the kinds in the class comment. Whatever the failure, the one map is as before;
     *                            only when the connection breaks during the commit itself can the outcome be either
     *                            (the message says so), and publishing the run again is safe either way
     */
    public Result publish(RunRecord run, Iterator<ChangePatch> patches, List<FlaggedParcel> flagged, String workingCrs,
            Listener listener) {
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(patches, "patches");
        Objects.requireNonNull(flagged, "flagged");
        Objects.requireNonNull(listener, "listener");
        int srid = srid(workingCrs);
        long t0 = System.nanoTime();
        OneMapSql sql = new OneMapSql(schema, srid);
        try (Connection c = db.connect(applicationName())) {
            prepare(c, sql, workingCrs);
            int pid = c.unwrap(PGConnection.class).getBackendPID();
            c.setAutoCommit(false);
            long[] counts;
            try {
                counts = publishIn(c, sql, run, patches, flagged, pid, listener);
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c);
                throw e;
            }
            try {
                c.commit();
            } catch (SQLException e) {
                // The server may have committed before the connection broke: only a new look can tell.
                throw failure("committing run " + run.runId() + " to", e,
                        " (whether the commit took effect is unknown; publishing the run again is safe)");
            }
            listener.reached(Step.COMMITTED, pid);
            return new Result(run.runId(), counts[0], counts[1], counts[2], (System.nanoTime() - t0) / 1e9);
        } catch (SQLException e) {
            throw failure("publishing run " + run.runId() + " to", e, " (the one map is unchanged)");
        }
    }

    /** Returns {patches, parcels, new parcels}. Runs inside the caller's transaction. */
    private long[] publishIn(Connection c, OneMapSql sql, RunRecord run, Iterator<ChangePatch> patches,
            List<FlaggedParcel> flagged, int pid, Listener listener) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String ddl : sql.staging()) {
                st.execute(ddl);
            }
        }
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        long staged = OneMapCopy.patches(copy, sql, patches);
        long parcels = OneMapCopy.parcels(copy, sql, flagged);
        try (Statement st = c.createStatement()) {
            st.execute("ANALYZE pg_temp.stage_patches");
            st.execute("ANALYZE pg_temp.stage_parcels");
        }
        listener.reached(Step.STAGED, pid);

        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT_SECONDS + "s'");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
            ps.setInt(1, OneMapSql.LOCK_CLASS);
            ps.setInt(2, sql.lockKey());
            ps.executeQuery().close();
        }
        try (PreparedStatement ps = c.prepareStatement(sql.upsertRun())) {
            ps.setString(1, run.runId());
            ps.setObject(2, OffsetDateTime.ofInstant(run.started(), ZoneOffset.UTC));
            if (run.finished() != null) {
                ps.setObject(3, OffsetDateTime.ofInstant(run.finished(), ZoneOffset.UTC));
            } else {
                ps.setNull(3, Types.TIMESTAMP_WITH_TIMEZONE);
            }
            ps.setString(4, run.status());
            ps.setString(5, run.parametersJson());
            ps.setString(6, run.inputsJson());
            ps.setString(7, run.countsJson());
            ps.executeUpdate();
        }
        long inserted;
        try {
            runWithId(c, sql.deletePatches(), run.runId());
            inserted = runWithId(c, sql.insertPatches(), run.runId());
        } catch (SQLException e) {
            throw duplicateOr(e, "patch", run.runId());
        }
        try {
            runWithId(c, sql.affected(), run.runId());
            runWithId(c, sql.deleteHistory(), run.runId());
            runWithId(c, sql.insertHistory(), run.runId());
        } catch (SQLException e) {
            throw duplicateOr(e, "parcel", run.runId());
        }
        try (Statement st = c.createStatement()) {
            runWithId(c, sql.mergeParcels(), run.runId());
            st.executeUpdate(sql.dropUnflagged());
        }
        long fresh;
        try (PreparedStatement ps = c.prepareStatement(sql.countNewParcels())) {
            ps.setString(1, run.runId());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                fresh = rs.getLong(1);
            }
        }
        writeStyles(c);
        if (inserted != staged) {
            throw new IllegalStateException("staged " + staged + " patches but inserted " + inserted);
        }
        listener.reached(Step.MERGED, pid);
        return new long[] {inserted, parcels, fresh};
    }

    // ---- schema ------------------------------------------------------------------------------------------------

    /** PostGIS present, SRID known, tables created (under the DDL lock), SRIDs of existing tables matching. */
    private void prepare(Connection c, OneMapSql sql, String workingCrs) throws SQLException {
        c.setAutoCommit(false);
        try {
            requirePostgis(c);
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM spatial_ref_sys WHERE srid = ?")) {
                ps.setInt(1, srid(workingCrs));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw FarmwatchException.usage("working CRS " + workingCrs + " is not in spatial_ref_sys at "
                                + db.describe());
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                ps.setInt(1, OneMapSql.LOCK_CLASS);
                ps.setInt(2, OneMapSql.LOCK_DDL);
                ps.executeQuery().close();
            }
            boolean complete;
            try (PreparedStatement ps = c.prepareStatement(OneMapSql.ALL_EXIST)) {
                ps.setArray(1, c.createArrayOf("text", sql.relations().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    complete = rs.next() && rs.getBoolean(1);
                }
            }
            if (!complete) {
                try (Statement st = c.createStatement()) {
                    for (String ddl : sql.ddl()) {
                        st.execute(ddl);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(OneMapSql.GEOMETRY_SRIDS)) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int have = rs.getInt(2);
                        if (have != srid(workingCrs)) {
                            throw FarmwatchException.usage("one map schema " + schema + " at " + db.describe()
                                    + " holds " + rs.getString(1) + " in EPSG:" + have + ", but this run's working CRS is "
                                    + workingCrs + "; publish it to another --onemap-schema");
                        }
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(OneMapSql.MAY_WRITE_STYLES)) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw FarmwatchException.usage("user " + rs.getString(2) + " may not insert into and delete "
                                + "from public.layer_styles at " + db.describe() + ", where the one map's QGIS styles go");
                    }
                }
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private void requirePostgis(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regtype('geometry') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw FarmwatchException.usage("PostGIS is not installed in " + db.describe()
                        + " (CREATE EXTENSION postgis)");
            }
        }
    }

    private void writeStyles(Connection c) throws SQLException {
        String[][] layers = {
            {"change_patches", String.join(",", OneMapSql.PATCH_FIELDS), "变化图斑 change patches (history: one row per run)"},
            {"flagged_parcels", String.join(",", OneMapSql.PARCEL_FIELDS), "疑似问题地块 flagged parcels"},
            {OneMapViews.PATCHES, String.join(",", OneMapFields.names(OneMapFields.PATCHES)),
                "当前变化图斑 current change patches"},
            {OneMapViews.PARCELS, String.join(",", OneMapFields.names(OneMapFields.PARCELS)),
                "当前疑似问题地块 current flagged parcels"},
        };
        try (PreparedStatement del = c.prepareStatement(OneMapSql.DELETE_STYLES);
                PreparedStatement ins = c.prepareStatement(OneMapSql.INSERT_STYLE)) {
            for (String[] l : layers) {
                del.setString(1, schema);
                del.setString(2, l[0]);
                del.executeUpdate();
                ins.setString(1, schema);
                ins.setString(2, l[0]);
                ins.setString(3, QgisStyle.qml(QgisStyle.Kind.of(l[0]), l[1].split(",")));
                ins.setString(4, QgisStyle.sld(l[0]));
                ins.setString(5, "farmwatch default style: " + l[2]);
                ins.executeUpdate();
            }
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** The polygons of a geometry as one MultiPolygon; INPUT when there are none. */
    static Geometry multiPolygon(Geometry g, String what) {
        if (g instanceof MultiPolygon) {
            return g;
        }
        if (g instanceof Polygon p) {
            return g.getFactory().createMultiPolygon(new Polygon[] {p});
        }
        if (g != null) {
            @SuppressWarnings("unchecked")
            List<Polygon> polygons = PolygonExtracter.getPolygons(g);
            if (!polygons.isEmpty()) {
                GeometryFactory f = g.getFactory();
                return f.createMultiPolygon(polygons.toArray(new Polygon[0]));
            }
        }
        throw FarmwatchException.input(what + " has no polygon geometry: "
                + (g == null ? "null" : g.getGeometryType()));
    }

    private static long runWithId(Connection c, String statement, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(statement)) {
            ps.setString(1, runId);
            return ps.executeUpdate();
        }
    }

    private static int srid(String workingCrs) {
        Matcher m = workingCrs == null ? null : EPSG.matcher(workingCrs.trim());
        if (m == null || !m.matches()) {
            throw FarmwatchException.usage("the one map needs the working CRS as EPSG:<code>, got: " + workingCrs);
        }
        return Integer.parseInt(m.group(1));
    }

    /** What pg_stat_activity shows for the publishing connection (the server cuts it to 63 bytes). */
    String applicationName() {
        return "farmwatch onemap " + schema;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.isClosed() && !c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // The transaction dies with the connection anyway.
        }
    }

    /** A primary key violation from the staged rows means the run lists an id twice: INPUT. */
    private static SQLException duplicateOr(SQLException e, String what, String runId) {
        if ("23505".equals(e.getSQLState())) {
            throw FarmwatchException.input("run " + runId + " lists the same " + what + " id twice: "
                    + OneMapDatabase.reason(e), e);
        }
        return e;
    }

    /**
     * A lost or refused connection is SERVICE; a lock wait timeout LOCKED; bad values INPUT; missing privileges
     * USAGE; anything else INTERNAL. The message names the server, never the password.
     */
    FarmwatchException failure(String doing, SQLException e, String unchanged) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = " one map " + describe() + ": " + OneMapDatabase.reason(e);
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.equals("40P01")) {
            return FarmwatchException.service("PostGIS one map unavailable while " + doing + where + unchanged, e);
        }
        if (state.equals("55P03")) {
            return new FarmwatchException(FarmwatchException.Kind.LOCKED, "another publisher held the one map for over "
                    + LOCK_WAIT_SECONDS + " s while " + doing + where + unchanged, e);
        }
        if (state.startsWith("22") || state.startsWith("23")) {
            return FarmwatchException.input("bad values while " + doing + where + unchanged, e);
        }
        if (state.equals("42501")) {
            return FarmwatchException.usage("missing privileges while " + doing + where + unchanged);
        }
        return new FarmwatchException(FarmwatchException.Kind.INTERNAL, doing + where + unchanged, e);
    }
}
