package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKTReader;

/**
 * Runs {@link PostgisOneMap} against the real PostGIS server named by {@code -Dfarmwatch.pgurl} (jobs/test starts
 * one). Without it the server tests are skipped, unless {@code CI} is set, where they fail. Each test publishes
 * into a schema of its own and drops it, with its rows in {@code public.layer_styles}, at the end. Geometries are
 * WKT in EPSG:4527 (CGCS2000 3-degree Gauss-Krüger zone 39, near Jinan).
 */
class PostgisOneMapTest {
    static final String CRS = "EPSG:4527";
    private static final double X0 = 39_500_000;
    private static final double Y0 = 4_056_000;
    private static final String SPRING = "2025-04-15";
    private static final String AUTUMN = "2025-09-20";
    private static final String LATER = "2025-10-20";

    @TempDir
    Path tmp;

    /** This test's schema, dropped after it. */
    private String schema;

    // ---- server and schema --------------------------------------------------------------------------------------

    static String serverUrl() {
        String url = System.getProperty("farmwatch.pgurl", "").trim();
        if (url.isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("CI is set but -Dfarmwatch.pgurl is not; run the tests with jobs/test");
            }
            assumeTrue(false, "no PostGIS server: set -Dfarmwatch.pgurl=postgresql://... (jobs/test does)");
        }
        return url;
    }

    /** A fresh schema name for this test; mixed case, to show that it is quoted everywhere. */
    private String newSchema(String prefix) {
        schema = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        return schema;
    }

    static Connection jdbc(String url) throws SQLException {
        URI uri = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
        String userInfo = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo();
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String password = colon < 0 ? System.getenv("PGPASSWORD") : userInfo.substring(colon + 1);
        String jdbcUrl = "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort())
                + uri.getPath();
        return DriverManager.getConnection(jdbcUrl, user, password);
    }

    @AfterEach
    void dropSchema() throws SQLException {
        if (schema == null) {
            return;
        }
        try (Connection c = jdbc(serverUrl()); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM public.layer_styles WHERE f_table_schema = ?")) {
                ps.setString(1, schema);
                ps.executeUpdate();
            } catch (SQLException e) {
                // no layer_styles table: nothing of ours in it
            }
        }
    }

    // ---- fixtures -----------------------------------------------------------------------------------------------

    private static Geometry wkt(String text) {
        try {
            return new WKTReader().read(text);
        } catch (ParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** A square WKT polygon with its south-west corner dx, dy metres from (X0, Y0). */
    static String square(double dx, double dy, double size) {
        double x = X0 + dx;
        double y = Y0 + dy;
        return String.format(Locale.ROOT, "POLYGON((%.2f %.2f, %.2f %.2f, %.2f %.2f, %.2f %.2f, %.2f %.2f))",
                x, y, x + size, y, x + size, y + size, x, y + size, x, y);
    }

    static ChangePatch patch(String id, ChangeType type, String wkt, String after) {
        Geometry g = wkt(wkt);
        LandCover to = type == ChangeType.NON_GRAIN ? LandCover.ORCHARD : LandCover.BUILT_UP;
        return new ChangePatch(id, type, type == ChangeType.OTHER ? "" : "rule_" + type.code, LandCover.CROPLAND, to,
                g.getArea(), 0.8766, SPRING, after, g);
    }

    static FlaggedParcel parcel(String id, String township, ChangeType type, String wkt, double changedM2,
            List<String> patchIds, String after) {
        Geometry g = wkt(wkt);
        return new FlaggedParcel(id, "370112001", township, "0101 水田", type, "rule_" + type.code, g.getArea(),
                changedM2, patchIds.size(), patchIds, "cropland", "built_up", SPRING, after,
                changedM2 / FlaggedParcel.M2_PER_MU * 1.5, 117.1, 36.64, g);
    }

    static PostgisOneMap.RunRecord record(String runId, String status, long patches, long parcels) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("grid.crs", CRS);
        parameters.put("patch.minAreaM2", "100");
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("before", Map.of("id", "S2B_20250415", "date", SPRING));
        inputs.put("after", Map.of("id", "S2A_20250920", "date", AUTUMN));
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("patches_written", patches);
        counts.put("flagged_written", parcels);
        Instant started = Instant.parse("2025-09-21T01:00:00Z");
        return PostgisOneMap.RunRecord.of(runId, started, started.plusSeconds(600), status, parameters, inputs, counts);
    }

    /** Run "r1": four patches, three flagged parcels, with awkward text (tab, backslash, quote, Chinese). */
    static List<ChangePatch> run1Patches() {
        return List.of(
                patch("p1", ChangeType.NON_AGRICULTURAL, square(0, 0, 30), AUTUMN),
                patch("p2", ChangeType.NON_GRAIN, square(100, 0, 40), AUTUMN),
                patch("p3", ChangeType.OTHER, square(200, 0, 20), AUTUMN),
                patch("p4", ChangeType.NON_AGRICULTURAL, "MULTIPOLYGON(((39500300 4056000, 39500320 4056000, "
                        + "39500320 4056020, 39500300 4056000)), ((39500400 4056000, 39500420 4056000, "
                        + "39500420 4056020, 39500400 4056000)))", AUTUMN));
    }

    static List<FlaggedParcel> run1Parcels() {
        return List.of(
                parcel("P1", "港沟街道", ChangeType.NON_AGRICULTURAL, square(-10, -10, 60), 900, List.of("p1"), AUTUMN),
                parcel("P2", "tab\there \\ \"quoted\"", ChangeType.NON_GRAIN, square(90, -10, 60), 1600,
                        List.of("p2", "odd,\"id\"\\"), AUTUMN),
                parcel("P4", "唐王街道", ChangeType.NON_AGRICULTURAL, square(290, -10, 140), 400, List.of("p4"), AUTUMN));
    }

    static PostgisOneMap.Result publish(String url, String schema, String runId, List<ChangePatch> patches,
            List<FlaggedParcel> parcels) {
        return PostgisOneMap.publish(url, schema, record(runId, "succeeded", patches.size(), parcels.size()),
                patches.iterator(), parcels, CRS);
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static List<List<String>> rows(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<List<String>> out = new ArrayList<>();
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    List<String> row = new ArrayList<>();
                    for (int k = 1; k <= n; k++) {
                        row.add(rs.getString(k));
                    }
                    out.add(row);
                }
                return out;
            }
        }
    }

    static List<String> row(Connection c, String sql, Object... args) throws SQLException {
        List<List<String>> r = rows(c, sql, args);
        assertEquals(1, r.size(), "one row expected from " + sql);
        return r.get(0);
    }

    /** Every row of every one-map table, and this schema's rows in layer_styles, as text. */
    private static Map<String, List<List<String>>> snapshot(Connection c, String schema) throws SQLException {
        Map<String, List<List<String>>> m = new LinkedHashMap<>();
        for (String t : List.of("runs", "change_patches", "flagged_parcel_history", "flagged_parcels", "verdicts")) {
            m.put(t, rows(c, "SELECT t::text FROM \"" + schema + "\"." + t + " t ORDER BY 1"));
        }
        m.put("layer_styles", rows(c, "SELECT id, f_table_name, styleName, useAsDefault, update_time, "
                + "md5(styleQML::text), md5(styleSLD::text) FROM public.layer_styles WHERE f_table_schema = ? ORDER BY id",
                schema));
        return m;
    }

    // ---- (1) a small run ----------------------------------------------------------------------------------------

    @Test
    void publishesASmallRunIntoEveryTable() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_OneMap");
        PostgisOneMap.Result result = publish(url, s, "r1", run1Patches(), run1Parcels());
        assertEquals(new PostgisOneMap.Result("r1", 4, 3, 3, result.seconds()), result);

        try (Connection c = jdbc(url)) {
            String q = "\"" + s + "\".";
            List<String> run = row(c, "SELECT run_id, status, parameters->>'grid.crs', inputs->'after'->>'date', "
                    + "counts->>'patches_written', started = '2025-09-21T01:00:00Z'::timestamptz, finished - started "
                    + "FROM " + q + "runs");
            assertEquals(List.of("r1", "succeeded", CRS, AUTUMN, "4", "t", "00:10:00"), run);

            assertEquals(4, count(c, "SELECT count(*) FROM " + q + "change_patches WHERE run_id = 'r1'"));
            List<String> p2 = row(c, "SELECT change_type, from_class, to_class, area_m2, area_mu, before_date, after_date, "
                    + "confidence, rule, ST_SRID(geom), GeometryType(geom), ST_Equals(geom, ST_GeomFromText(?, 4527)) "
                    + "FROM " + q + "change_patches WHERE patch_id = 'p2'", "MULTIPOLYGON(((39500100 4056000, "
                    + "39500140 4056000, 39500140 4056040, 39500100 4056040, 39500100 4056000)))");
            assertEquals(List.of("non_grain", "cropland", "orchard", "1600", "2.4", SPRING, AUTUMN, "0.877",
                    "rule_non_grain", "4527", "MULTIPOLYGON", "t"), p2);
            assertEquals(2, count(c, "SELECT ST_NumGeometries(geom) FROM " + q + "change_patches WHERE patch_id = 'p4'"));
            assertEquals("", row(c, "SELECT rule FROM " + q + "change_patches WHERE patch_id = 'p3'").get(0));

            assertEquals(3, count(c, "SELECT count(*) FROM " + q + "flagged_parcels"));
            assertEquals(3, count(c, "SELECT count(*) FROM " + q + "flagged_parcel_history WHERE run_id = 'r1'"));
            List<String> p1 = row(c, "SELECT township, land_class, change_type, changed_area_m2, changed_area_mu, "
                    + "changed_share, patch_count, status, first_seen_run_id, first_seen, last_run_id, last_seen, "
                    + "ST_SRID(geom), GeometryType(geom) FROM " + q + "flagged_parcels WHERE parcel_id = 'P1'");
            assertEquals(List.of("港沟街道", "0101 水田", "non_agricultural", "900", "1.35", "0.25", "1", "open", "r1",
                    AUTUMN, "r1", AUTUMN, "4527", "MULTIPOLYGON"), p1);
            try (PreparedStatement ps = c.prepareStatement("SELECT township, patch_ids FROM " + q
                    + "flagged_parcels WHERE parcel_id = 'P2'"); ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals("tab\there \\ \"quoted\"", rs.getString(1));
                assertArrayEquals(new String[] {"p2", "odd,\"id\"\\"}, (String[]) rs.getArray(2).getArray());
            }
            assertEquals(0, count(c, "SELECT count(*) FROM " + q + "verdicts"));
            assertEquals(List.of("verdict_id", "parcel_id", "patch_id", "verdict", "approval_number", "decided_on",
                    "imported_at"), rows(c, "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                    + "AND table_name = 'verdicts' ORDER BY ordinal_position", s).stream().map(r -> r.get(0)).toList());

            assertEquals(List.of(List.of("change_patches", "4527", "MULTIPOLYGON"),
                    List.of("current_change_patches", "4527", "MULTIPOLYGON"),
                    List.of("current_flagged_parcels", "4527", "MULTIPOLYGON"),
                    List.of("flagged_parcel_history", "4527", "MULTIPOLYGON"),
                    List.of("flagged_parcels", "4527", "MULTIPOLYGON")),
                    rows(c, "SELECT f_table_name, srid, type FROM public.geometry_columns WHERE f_table_schema = ? "
                            + "ORDER BY 1", s));
            assertEquals(List.of(List.of("change_patches"), List.of("flagged_parcel_history"), List.of("flagged_parcels")),
                    rows(c, "SELECT tablename FROM pg_indexes WHERE schemaname = ? AND indexdef LIKE '%USING gist (geom)%' "
                            + "ORDER BY 1", s));

            List<List<String>> styles = rows(c, "SELECT f_table_catalog = current_database(), f_table_name, "
                    + "f_geometry_column, styleName, useAsDefault, owner = current_user, update_time IS NOT NULL, "
                    + "position('categorizedSymbol' IN styleQML::text) > 0, position('非农化' IN styleQML::text) > 0, "
                    + "position('first_seen' IN styleQML::text) > 0, position('StyledLayerDescriptor' IN styleSLD::text) > 0 "
                    + "FROM public.layer_styles WHERE f_table_schema = ? ORDER BY f_table_name", s);
            // The history of patches by change type; parcels and the current views by verdict status too.
            assertEquals(List.of(
                    List.of("t", "change_patches", "geom", "farmwatch", "t", "t", "t", "t", "t", "f", "t"),
                    List.of("t", "current_change_patches", "geom", "farmwatch", "t", "t", "t", "f", "t", "f", "t"),
                    List.of("t", "current_flagged_parcels", "geom", "farmwatch", "t", "t", "t", "f", "t", "t", "t"),
                    List.of("t", "flagged_parcels", "geom", "farmwatch", "t", "t", "t", "f", "t", "t", "t")), styles);
        }
    }

    @Test
    void checkCreatesTheTablesAndLayerStylesWithQgisColumns() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_styles");
        PostgisOneMap map = PostgisOneMap.at(url, s);
        map.check(null);
        try (Connection c = jdbc(url)) {
            assertEquals(0, count(c, "SELECT count(*) FROM pg_namespace WHERE nspname = ?", s), "check(null) makes nothing");
        }
        map.check(CRS);
        try (Connection c = jdbc(url)) {
            List<String> columns = rows(c, "SELECT column_name || ' ' || data_type FROM information_schema.columns "
                    + "WHERE table_schema = 'public' AND table_name = 'layer_styles' ORDER BY ordinal_position")
                    .stream().map(r -> r.get(0)).toList();
            // Whoever made the table (QGIS or farmwatch), these are the columns QGIS reads and farmwatch writes.
            for (String col : List.of("id integer", "f_table_catalog character varying", "f_table_schema character varying",
                    "f_table_name character varying", "f_geometry_column character varying", "stylename text",
                    "styleqml xml", "stylesld xml", "useasdefault boolean", "description text", "owner character varying",
                    "ui xml", "update_time timestamp without time zone")) {
                assertTrue(columns.contains(col) || columns.contains(col.replace("stylename text",
                        "stylename character varying")), col + " in " + columns);
            }
            // Five tables and the two current views.
            assertEquals(7, count(c, "SELECT count(*) FROM information_schema.tables WHERE table_schema = ?", s));
        }
    }

    // ---- (2) the same run again -----------------------------------------------------------------------------------

    @Test
    void publishingTheSameRunAgainReplacesIt() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_again");
        publish(url, s, "r1", run1Patches(), run1Parcels());
        try (Connection c = jdbc(url)) {
            Map<String, List<List<String>>> once = snapshot(c, s);
            publish(url, s, "r1", run1Patches(), run1Parcels());
            Map<String, List<List<String>>> twice = snapshot(c, s);
            for (String t : List.of("change_patches", "flagged_parcel_history", "verdicts")) {
                assertEquals(once.get(t), twice.get(t), t + " differs after the identical run was published again");
            }
            assertEquals(4, twice.get("layer_styles").size());
        }

        // The same id with new findings: p1 grown, p3 and p4 gone, p5 new; P1 grown, P2 and P4 gone, P3 new.
        List<ChangePatch> patches = List.of(
                patch("p1", ChangeType.NON_AGRICULTURAL, square(0, 0, 35), AUTUMN),
                patch("p2", ChangeType.NON_GRAIN, square(100, 0, 40), AUTUMN),
                patch("p5", ChangeType.NON_GRAIN, square(500, 0, 25), AUTUMN));
        List<FlaggedParcel> parcels = List.of(
                parcel("P1", "港沟街道", ChangeType.NON_AGRICULTURAL, square(-10, -10, 60), 1225, List.of("p1"), AUTUMN),
                parcel("P3", "港沟街道", ChangeType.NON_GRAIN, square(490, -10, 60), 625, List.of("p5"), AUTUMN));
        PostgisOneMap.Result r = PostgisOneMap.publish(url, s, record("r1", "succeeded-again", 3, 2),
                patches.iterator(), parcels, CRS);
        assertEquals(3, r.patches());
        assertEquals(2, r.newParcels(), "P1 and P3 are first seen in r1");
        try (Connection c = jdbc(url)) {
            String q = "\"" + s + "\".";
            assertEquals(List.of(List.of("r1", "succeeded-again", "3")),
                    rows(c, "SELECT run_id, status, counts->>'patches_written' FROM " + q + "runs"));
            assertEquals(List.of(List.of("p1", "1225"), List.of("p2", "1600"), List.of("p5", "625")),
                    rows(c, "SELECT patch_id, area_m2 FROM " + q + "change_patches ORDER BY 1"));
            assertEquals(List.of(List.of("P1", "1225", "r1"), List.of("P3", "625", "r1")),
                    rows(c, "SELECT parcel_id, changed_area_m2, first_seen_run_id FROM " + q + "flagged_parcels ORDER BY 1"));
            assertEquals(2, count(c, "SELECT count(*) FROM " + q + "flagged_parcel_history"));
            assertEquals(4, count(c, "SELECT count(*) FROM public.layer_styles WHERE f_table_schema = ?", s));
        }
    }

    // ---- (3) history across runs -----------------------------------------------------------------------------------

    @Test
    void aLaterRunKeepsFirstSeenAndMovesLastSeen() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_history");
        String q = "\"" + s + "\".";
        List<ChangePatch> aPatches = List.of(patch("a1", ChangeType.NON_AGRICULTURAL, square(0, 0, 30), AUTUMN),
                patch("a2", ChangeType.NON_GRAIN, square(100, 0, 30), AUTUMN));
        List<FlaggedParcel> aParcels = List.of(
                parcel("P1", "港沟街道", ChangeType.NON_AGRICULTURAL, square(-10, -10, 60), 900, List.of("a1"), AUTUMN),
                parcel("P2", "港沟街道", ChangeType.NON_GRAIN, square(90, -10, 60), 900, List.of("a2"), AUTUMN));
        publish(url, s, "runA", aPatches, aParcels);
        try (Connection c = jdbc(url); Statement st = c.createStatement()) {
            // A verdict import would do this; publishing must leave it alone.
            st.executeUpdate("UPDATE " + q + "flagged_parcels SET status = 'confirmed' WHERE parcel_id = 'P1'");
        }

        List<ChangePatch> bPatches = List.of(patch("b2", ChangeType.NON_AGRICULTURAL, square(100, 0, 50), LATER),
                patch("b3", ChangeType.NON_GRAIN, square(200, 0, 20), LATER));
        List<FlaggedParcel> bParcels = List.of(
                parcel("P2", "港沟街道", ChangeType.NON_AGRICULTURAL, square(90, -10, 60), 2500, List.of("b2"), LATER),
                parcel("P3", "唐王街道", ChangeType.NON_GRAIN, square(190, -10, 60), 400, List.of("b3"), LATER));
        PostgisOneMap.Result b = publish(url, s, "runB", bPatches, bParcels);
        assertEquals(1, b.newParcels());

        String state = "SELECT parcel_id, change_type, changed_area_m2, first_seen_run_id, first_seen, last_run_id, "
                + "last_seen, status FROM " + q + "flagged_parcels ORDER BY 1";
        List<List<String>> afterB = List.of(
                List.of("P1", "non_agricultural", "900", "runA", AUTUMN, "runA", AUTUMN, "confirmed"),
                List.of("P2", "non_agricultural", "2500", "runA", AUTUMN, "runB", LATER, "open"),
                List.of("P3", "non_grain", "400", "runB", LATER, "runB", LATER, "open"));
        try (Connection c = jdbc(url)) {
            assertEquals(afterB, rows(c, state));
            assertEquals(List.of(List.of("runA", "2"), List.of("runB", "2")),
                    rows(c, "SELECT run_id, count(*) FROM " + q + "change_patches GROUP BY 1 ORDER BY 1"));
            assertEquals(4, count(c, "SELECT count(*) FROM " + q + "flagged_parcel_history"));
        }

        // Publishing the older run again does not make its findings the newest.
        publish(url, s, "runA", aPatches, aParcels);
        try (Connection c = jdbc(url)) {
            assertEquals(afterB, rows(c, state));
        }

        // Run B published again without P2: P2's newest finding is run A's once more.
        publish(url, s, "runB", bPatches.subList(1, 2), bParcels.subList(1, 2));
        try (Connection c = jdbc(url)) {
            assertEquals(List.of(
                    List.of("P1", "non_agricultural", "900", "runA", AUTUMN, "runA", AUTUMN, "confirmed"),
                    List.of("P2", "non_grain", "900", "runA", AUTUMN, "runA", AUTUMN, "open"),
                    List.of("P3", "non_grain", "400", "runB", LATER, "runB", LATER, "open")), rows(c, state));
        }
    }

    // ---- (4) killed midway ------------------------------------------------------------------------------------------

    /**
     * The server's backend is terminated once the rows are staged, and once every change is made just before the
     * commit (as when the database goes down): SERVICE, the previous state whole, and a re-run converges.
     */
    @Test
    void aServerConnectionLostMidwayLeavesThePreviousState() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_term");
        for (PostgisOneMap.Step at : List.of(PostgisOneMap.Step.STAGED, PostgisOneMap.Step.MERGED)) {
            publish(url, s, "r1", run1Patches(), run1Parcels());
            try (Connection watcher = jdbc(url)) {
                Map<String, List<List<String>>> before = snapshot(watcher, s);
                int[] terminated = {0};
                FarmwatchException e = assertThrows(FarmwatchException.class, () -> PostgisOneMap.at(url, s).publish(
                        record("r1", "revised", 3, 2), revisedPatches().iterator(), revisedParcels(), CRS, (step, pid) -> {
                            if (step == at) {
                                try (PreparedStatement ps = watcher.prepareStatement("SELECT pg_terminate_backend(?)")) {
                                    ps.setInt(1, pid);
                                    ps.executeQuery().close();
                                    terminated[0] = pid;
                                } catch (SQLException x) {
                                    throw new IllegalStateException(x);
                                }
                            }
                        }), at.toString());
                assertTrue(terminated[0] > 0, "the publish reached " + at);
                assertEquals(FarmwatchException.Kind.SERVICE, e.kind(), e.toString());
                assertTrue(e.getMessage().contains(at == PostgisOneMap.Step.STAGED ? "the one map is unchanged"
                        : "publishing the run again is safe"), e.getMessage());
                assertEquals(before, snapshot(watcher, s), "after a connection lost at " + at);
            }
            assertConverges(url, s);
        }
    }

    /** A child JVM publishing a revision of r1 is killed while its changes are made but not committed. */
    @Test
    void aProcessKilledBeforeCommitLeavesThePreviousState() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_kill");
        publish(url, s, "r1", run1Patches(), run1Parcels());
        try (Connection watcher = jdbc(url)) {
            Map<String, List<List<String>>> before = snapshot(watcher, s);
            Process child = startChild(url, s, "revised", "MERGED");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null && !line.startsWith("REACHED MERGED")) {
                    // STAGED comes first
                }
                assertNotNull(line, "the child ended before MERGED: " + childErrors());
                // Every change is made in the child's transaction; others still see the old state.
                assertEquals(before, snapshot(watcher, s));
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            } finally {
                child.destroyForcibly();
            }
            awaitNoPublisher(watcher, s);
            assertEquals(before, snapshot(watcher, s));
        }
        assertConverges(url, s);
    }

    /** A child JVM publishing a large run is killed while the staging COPY streams its patches. */
    @Test
    void aProcessKilledDuringTheStagingCopyLeavesThePreviousState() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_copy");
        publish(url, s, "r1", run1Patches(), run1Parcels());
        long copied = 0;
        try (Connection watcher = jdbc(url)) {
            Map<String, List<List<String>>> before = snapshot(watcher, s);
            Process child = startChild(url, s, "large", "NONE");
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (copied < 2000) {
                    assertTrue(child.isAlive(), "the child ended before it was killed: " + childErrors());
                    assertTrue(System.nanoTime() < deadline, "no staging COPY seen within 60 s");
                    copied = count(watcher, "SELECT coalesce(max(p.tuples_processed), 0) FROM pg_stat_progress_copy p "
                            + "JOIN pg_stat_activity a ON a.pid = p.pid WHERE a.application_name = ?", "farmwatch onemap " + s);
                    Thread.sleep(5);
                }
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            } finally {
                child.destroyForcibly();
            }
            awaitNoPublisher(watcher, s);
            assertEquals(before, snapshot(watcher, s));
            assertEquals(0, count(watcher, "SELECT count(*) FROM \"" + s + "\".runs WHERE run_id = 'big'"));
        }
        assertTrue(copied >= 2000 && copied < LARGE_PATCHES, "killed mid-COPY after " + copied + " rows");
        // Publishing the large run again, uninterrupted, completes it.
        PostgisOneMap.Result r = PostgisOneMap.publish(url, s, record("big", "succeeded", LARGE_PATCHES, 10),
                largePatches(false), largeParcels(), CRS);
        assertEquals(LARGE_PATCHES, r.patches());
        try (Connection c = jdbc(url)) {
            assertEquals(LARGE_PATCHES, count(c, "SELECT count(*) FROM \"" + s + "\".change_patches WHERE run_id = 'big'"));
            assertEquals(4, count(c, "SELECT count(*) FROM \"" + s + "\".change_patches WHERE run_id = 'r1'"));
        }
    }

    static List<ChangePatch> revisedPatches() {
        return List.of(patch("p1", ChangeType.NON_AGRICULTURAL, square(0, 0, 35), AUTUMN),
                patch("p2", ChangeType.NON_GRAIN, square(100, 0, 40), AUTUMN),
                patch("p5", ChangeType.NON_GRAIN, square(500, 0, 25), AUTUMN));
    }

    static List<FlaggedParcel> revisedParcels() {
        return List.of(
                parcel("P1", "港沟街道", ChangeType.NON_AGRICULTURAL, square(-10, -10, 60), 1225, List.of("p1"), AUTUMN),
                parcel("P3", "港沟街道", ChangeType.NON_GRAIN, square(490, -10, 60), 625, List.of("p5"), AUTUMN));
    }

    /** After an interrupted revision of r1, publishing the revision again gives the revised state. */
    private static void assertConverges(String url, String s) throws SQLException {
        PostgisOneMap.Result r = PostgisOneMap.publish(url, s, record("r1", "revised", 3, 2), revisedPatches().iterator(),
                revisedParcels(), CRS);
        assertEquals(3, r.patches());
        try (Connection c = jdbc(url)) {
            String q = "\"" + s + "\".";
            assertEquals(List.of(List.of("r1", "revised")), rows(c, "SELECT run_id, status FROM " + q + "runs"));
            assertEquals(List.of(List.of("p1", "1225"), List.of("p2", "1600"), List.of("p5", "625")),
                    rows(c, "SELECT patch_id, area_m2 FROM " + q + "change_patches ORDER BY 1"));
            assertEquals(List.of(List.of("P1", "1225"), List.of("P3", "625")),
                    rows(c, "SELECT parcel_id, changed_area_m2 FROM " + q + "flagged_parcels ORDER BY 1"));
            assertEquals(4, count(c, "SELECT count(*) FROM public.layer_styles WHERE f_table_schema = ?", s));
        }
    }

    private static void awaitNoPublisher(Connection watcher, String s) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (count(watcher, "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?",
                "farmwatch onemap " + s) > 0) {
            assertTrue(System.nanoTime() < deadline, "the killed publisher's backend is still there after 30 s");
            Thread.sleep(20);
        }
    }

    private Path childErr;

    private Process startChild(String url, String s, String which, String pauseAt) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        childErr = tmp.resolve("child-" + which + ".err");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), url, s, which, pauseAt);
        pb.redirectError(childErr.toFile());
        return pb.start();
    }

    private String childErrors() {
        try {
            return childErr == null || !Files.exists(childErr) ? "" : Files.readString(childErr);
        } catch (Exception e) {
            return e.toString();
        }
    }

    static final int LARGE_PATCHES = 20_000;
    private static final GeometryFactory GEOMETRIES = new GeometryFactory();

    /** Patches on a grid of 20 m squares, 300 a row; slow ones pause 20 ms every 200 rows, like a Spark stream. */
    static Iterator<ChangePatch> largePatches(boolean slow) {
        return new Iterator<>() {
            int i;

            @Override
            public boolean hasNext() {
                return i < LARGE_PATCHES;
            }

            @Override
            public ChangePatch next() {
                if (i >= LARGE_PATCHES) {
                    throw new NoSuchElementException();
                }
                if (slow && i % 200 == 0) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int k = i++;
                // Built directly: parsing WKT would make the generator, not the publish, the slow part.
                double x = X0 + 10_000 + (k % 300) * 25.0;
                double y = Y0 + 10_000 + (k / 300) * 25.0;
                Geometry g = GEOMETRIES.createPolygon(new Coordinate[] {new Coordinate(x, y), new Coordinate(x + 20, y),
                    new Coordinate(x + 20, y + 20), new Coordinate(x, y + 20), new Coordinate(x, y)});
                ChangeType type = k % 3 == 0 ? ChangeType.NON_GRAIN : ChangeType.NON_AGRICULTURAL;
                return new ChangePatch("big-" + k, type, "rule_" + type.code, LandCover.CROPLAND, LandCover.BUILT_UP,
                        g.getArea(), 0.9, SPRING, AUTUMN, g);
            }
        };
    }

    static List<FlaggedParcel> largeParcels() {
        List<FlaggedParcel> out = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            out.add(parcel("B" + k, "港沟街道", ChangeType.NON_AGRICULTURAL, square(10_000 + k * 25.0, 10_000, 20),
                    400, List.of("big-" + k), AUTUMN));
        }
        return out;
    }

    /**
     * The publisher the kill tests run in a JVM of its own: {@code url schema large|revised NONE|STAGED|MERGED}.
     * It prints {@code REACHED <step> <pid>} at each step and, at the pause step, waits to be killed.
     */
    static final class Child {
        public static void main(String[] args) throws Exception {
            String url = args[0];
            String s = args[1];
            PostgisOneMap.Step pause = args[3].equals("NONE") ? null : PostgisOneMap.Step.valueOf(args[3]);
            PostgisOneMap.Listener listener = (step, pid) -> {
                System.out.println("REACHED " + step + " " + pid);
                System.out.flush();
                if (step == pause) {
                    try {
                        Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            if (args[2].equals("large")) {
                PostgisOneMap.at(url, s).publish(record("big", "succeeded", LARGE_PATCHES, 10), largePatches(true),
                        largeParcels(), CRS, listener);
            } else {
                PostgisOneMap.at(url, s).publish(record("r1", "revised", 3, 2), revisedPatches().iterator(),
                        revisedParcels(), CRS, listener);
            }
            System.out.println("DONE");
        }
    }

    // ---- (5) unreachable server ---------------------------------------------------------------------------------------

    @Test
    void anUnreachableServerIsAServiceErrorWithoutThePassword() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        String secret = "s3cret-Pw0rd";
        String url = "postgresql://farmer:" + secret + "@127.0.0.1:" + port + "/farmwatch";
        PostgisOneMap map = PostgisOneMap.at(url, null);
        assertEquals("postgresql://farmer@127.0.0.1:" + port + "/farmwatch schema=onemap", map.describe());
        for (Runnable call : List.<Runnable>of(() -> map.check(CRS), () -> map.check(null),
                () -> map.publish(record("r1", "succeeded", 4, 3), run1Patches().iterator(), run1Parcels(), CRS))) {
            FarmwatchException e = assertThrows(FarmwatchException.class, call::run);
            assertEquals(FarmwatchException.Kind.SERVICE, e.kind());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(secret), "password in: " + t);
                assertFalse(t.toString().contains(secret), "password in: " + t);
            }
        }
    }

    // ---- (6) hostile names and bad arguments ------------------------------------------------------------------------

    @Test
    void aHostileSchemaNameIsAUsageError() throws Exception {
        String url = System.getProperty("farmwatch.pgurl", "").isBlank()
                ? "postgresql://postgres@127.0.0.1:1/farmwatch" : serverUrl();
        for (String bad : List.of("onemap\"; DROP SCHEMA public CASCADE; --", "one map", "1onemap", "pg_catalog",
                "onemap.runs", "", "ü", "a".repeat(64), "x\"y")) {
            FarmwatchException e = assertThrows(FarmwatchException.class,
                    () -> PostgisOneMap.publish(url, bad, record("r1", "succeeded", 0, 0), List.<ChangePatch>of().iterator(),
                            List.of(), CRS), bad);
            assertEquals(FarmwatchException.Kind.USAGE, e.kind(), bad);
            assertTrue(e.getMessage().contains("--onemap-schema"), e.getMessage());
        }
        assertEquals("a".repeat(63), PostgisOneMap.at(url, "a".repeat(63)).schema());
        assertEquals("onemap", PostgisOneMap.at(url, null).schema());
    }

    @Test
    void badUrlsAndCrsAreUsageErrorsWithoutThePassword() {
        for (String bad : List.of("mysql://u:pw-secret@h/db", "postgresql://u:pw-secret@h", "postgresql://u:pw-secret@h:99999/db",
                "postgresql://u:pw-secret@h/db?table=onemap.runs", "postgresql://u:pw-secret@h/db?sslmode=maybe",
                "postgresql://u:pw-secret@h/db%zz", "")) {
            FarmwatchException e = assertThrows(FarmwatchException.class, () -> PostgisOneMap.at(bad, null), bad);
            assertEquals(FarmwatchException.Kind.USAGE, e.kind(), bad);
            assertFalse(e.getMessage().contains("pw-secret"), e.getMessage());
        }
        PostgisOneMap map = PostgisOneMap.at("postgres://u:pw-secret@[::1]:6543/one%20map?sslmode=require", "Karte");
        assertEquals("postgresql://u@[::1]:6543/one map?sslmode=require schema=Karte", map.describe());
        assertEquals(map.describe(), map.toString());
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> map.check("auto"));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertThrows(IllegalArgumentException.class, () -> record("bad id", "succeeded", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PostgisOneMap.RunRecord("r", Instant.EPOCH, null, "ok",
                "[1]", "{}", "{}"));
    }

    @Test
    void pgpassLinesMatchAsLibpqReadsThem() throws Exception {
        Path pgpass = tmp.resolve("pgpass");
        Files.writeString(pgpass, "# comment\nother:5432:*:*:no\n127.0.0.1:55432:farm\\:watch:*:from-file\n");
        Files.setPosixFilePermissions(pgpass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals("from-file", OneMapDatabase.pgpassPassword(pgpass, "127.0.0.1", 55432, "farm:watch", "postgres"));
        assertEquals(null, OneMapDatabase.pgpassPassword(pgpass, "127.0.0.1", 5432, "farm:watch", "postgres"));
        Files.setPosixFilePermissions(pgpass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(null, OneMapDatabase.pgpassPassword(pgpass, "127.0.0.1", 55432, "farm:watch", "postgres"));
        assertEquals("postgresql://u:***@h/db", OneMapDatabase.redact("postgresql://u:secret@h/db"));
    }

    @Test
    void aSchemaMadeForOneCrsRefusesAnother() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_srid");
        publish(url, s, "r1", run1Patches(), run1Parcels());
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> PostgisOneMap.publish(url, s,
                record("r2", "succeeded", 0, 0), List.<ChangePatch>of().iterator(), List.of(), "EPSG:4528"));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("EPSG:4527"), e.getMessage());
    }

    @Test
    void aRunListingAPatchTwiceIsAnInputErrorAndChangesNothing() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_dup");
        publish(url, s, "r1", run1Patches(), run1Parcels());
        try (Connection c = jdbc(url)) {
            Map<String, List<List<String>>> before = snapshot(c, s);
            List<ChangePatch> twice = new ArrayList<>(run1Patches());
            twice.add(run1Patches().get(0));
            FarmwatchException e = assertThrows(FarmwatchException.class, () -> publish(url, s, "r1", twice, run1Parcels()));
            assertEquals(FarmwatchException.Kind.INPUT, e.kind(), e.toString());
            assertTrue(e.getMessage().contains("patch id twice"), e.getMessage());
            assertEquals(before, snapshot(c, s));
        }
    }

    // ---- QGIS ---------------------------------------------------------------------------------------------------------

    private static final String QGIS_SCRIPT = """
            import json, sys
            from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer
            app = QgsApplication([], False)
            app.initQgis()
            host, port, db, user, schema = sys.argv[1:6]
            for table, key in (("change_patches", "patch_id"), ("flagged_parcels", "parcel_id"),
                               ("current_change_patches", "patch_id"), ("current_flagged_parcels", "parcel_id")):
                uri = QgsDataSourceUri()
                uri.setConnection(host, port, db, user, "")
                uri.setDataSource(schema, table, "geom", "", key)
                layer = QgsVectorLayer(uri.uri(False), table, "postgres")
                r = layer.renderer()
                cats = [c.label() for c in r.categories()] if r is not None and r.type() == "categorizedSymbol" else \
                    [x.label() for x in r.rootRule().children()] if r is not None and r.type() == "RuleRenderer" else []
                print(json.dumps({"table": table, "valid": layer.isValid(), "features": layer.featureCount(),
                                  "crs": layer.crs().authid(), "renderer": r.type() if r is not None else None,
                                  "attr": r.classAttribute() if r is not None and r.type() == "categorizedSymbol" else None,
                                  "labels": cats,
                                  "alias": layer.attributeAlias(layer.fields().indexOf("change_type"))}, ensure_ascii=False))
            app.exitQgis()
            """;

    /** Real QGIS (Debian's python3-qgis) opens both published tables with farmwatch's default style. */
    @Test
    @Tag("qgis")
    void qgisLoadsThePublishedLayersWithTheirDefaultStyles() throws Exception {
        String url = serverUrl();
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), python + " is not installed");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import qgis.core").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3-qgis is not installed");

        String s = newSchema("fw_om_qgis");
        publish(url, s, "r1", run1Patches(), run1Parcels());
        URI uri = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
        String user = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo().split(":")[0];
        Path script = tmp.resolve("qgis_onemap.py");
        Files.writeString(script, QGIS_SCRIPT);
        ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), uri.getHost(),
                Integer.toString(uri.getPort() < 0 ? 5432 : uri.getPort()), uri.getPath().substring(1), user, s);
        pb.environment().put("QT_QPA_PLATFORM", "offscreen");
        pb.redirectError(tmp.resolve("qgis.err").toFile());
        Process qgis = pb.start();
        String out = new String(qgis.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(qgis.waitFor(120, TimeUnit.SECONDS), "QGIS did not finish");
        assertEquals(0, qgis.exitValue(), out + Files.readString(tmp.resolve("qgis.err")));
        List<Map<String, Object>> layers = out.lines().filter(l -> l.startsWith("{"))
                .map(Json::parseObject).toList();
        assertEquals(4, layers.size(), out);
        for (Map<String, Object> l : layers) {
            String table = (String) l.get("table");
            assertEquals(Boolean.TRUE, l.get("valid"), l.toString());
            assertEquals(table.endsWith("change_patches") ? 4L : 3L, ((Number) l.get("features")).longValue());
            assertEquals(CRS, l.get("crs"));
            @SuppressWarnings("unchecked")
            List<String> labels = (List<String>) l.get("labels");
            if (table.equals("change_patches")) {
                // The history, which has no verdict status: by change type alone.
                assertEquals("categorizedSymbol", l.get("renderer"), "default style not applied: " + l);
                assertEquals("change_type", l.get("attr"));
                assertEquals(List.of("非农化 non-agricultural", "非粮化 non-grain", "其他 other",
                        "裸土待核 bare soil (low priority)", "低置信度 low confidence"), labels);
            } else {
                // Open findings by change type, judged ones by their verdict.
                assertEquals("RuleRenderer", l.get("renderer"), "default style not applied: " + l);
                assertEquals("待核查 open · 非农化 non-agricultural", labels.get(0));
                assertEquals(List.of("属实 confirmed", "误报 false alarm", "已批准 approved"), labels.subList(5, 8));
            }
            assertEquals("变化类型 change type", l.get("alias"));
        }
    }

    // ---- timing ---------------------------------------------------------------------------------------------------------

    /** About the size of a county's night: 120 patches, 50 flagged parcels. Prints the time it takes. */
    @Test
    void publishesATypicalRunInAFewSeconds() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_om_time");
        List<ChangePatch> patches = new ArrayList<>();
        List<FlaggedParcel> parcels = new ArrayList<>();
        for (int k = 0; k < 120; k++) {
            patches.add(patch("t" + k, k % 2 == 0 ? ChangeType.NON_GRAIN : ChangeType.NON_AGRICULTURAL,
                    square((k % 12) * 100.0, (k / 12) * 100.0, 30 + k % 7), AUTUMN));
        }
        for (int k = 0; k < 50; k++) {
            parcels.add(parcel("T" + k, "港沟街道", ChangeType.NON_AGRICULTURAL,
                    square((k % 12) * 100.0 - 10, (k / 12) * 100.0 - 10, 60), 900, List.of("t" + k), AUTUMN));
        }
        PostgisOneMap.Result first = publish(url, s, "t1", patches, parcels);
        PostgisOneMap.Result again = publish(url, s, "t1", patches, parcels);
        PostgisOneMap.Result next = publish(url, s, "t2", patches, parcels);
        System.out.printf(Locale.ROOT, "[PostgisOneMapTest] 120 patches + 50 parcels: first publish (creates the schema) "
                + "%.3f s, same run again %.3f s, next run %.3f s%n", first.seconds(), again.seconds(), next.seconds());
        assertEquals(120, next.patches());
        assertEquals(0, next.newParcels());
        assertTrue(again.seconds() < 10, "publishing took " + again.seconds() + " s");
    }
}
