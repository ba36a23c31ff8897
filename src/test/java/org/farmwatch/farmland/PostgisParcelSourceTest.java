package org.farmwatch.farmland;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.farmwatch.util.FarmwatchException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygonal;
import org.locationtech.jts.io.WKBReader;

/**
 * Runs {@link PostgisParcelSource} against the real PostGIS server named by {@code -Dfarmwatch.pgurl} (jobs/test
 * starts one). Without it the server tests are skipped, unless {@code CI} is set, where they fail. The URL and
 * password-file tests need no server. The fixture is a schema of its own, dropped at the end.
 */
class PostgisParcelSourceTest {
    private static final String WORKING_CRS = "EPSG:4527";
    private static final Pattern REJECT = Pattern.compile("parcel (\\S+): .+");

    /** The fixture grid: 6 × 4 parcels of 0.001° every 0.0015°, south-west corner near Jinan (117°E, 36.64°N). */
    private static final double LON0 = 116.995;
    private static final double LAT0 = 36.640;
    private static final double STEP = 0.0015;
    private static final double SIZE = 0.001;
    private static final int COLS = 6;
    private static final int ROWS = 4;
    private static final String BOW_TIE = "370102-BOWTIE";
    private static final String LINE = "370102-LINE";
    private static final String COLLECTION = "370102-GC";
    private static final String NO_GEOMETRY = "370102-NULL";

    private static String serverUrl;
    private static String schema;

    // ---- fixture ------------------------------------------------------------------------------------------------

    /** The server's URL, creating the fixture schema on first use; skips (or fails under CI) without a server. */
    private static synchronized String server() throws SQLException {
        String url = System.getProperty("farmwatch.pgurl", "").trim();
        if (url.isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("CI is set but -Dfarmwatch.pgurl is not; run the tests with jobs/test");
            }
            assumeTrue(false, "no PostGIS server: set -Dfarmwatch.pgurl=postgresql://... (jobs/test does)");
        }
        if (serverUrl == null) {
            serverUrl = url;
            schema = "fw_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            createFixture();
        }
        return serverUrl;
    }

    private static Connection jdbc() throws SQLException {
        URI uri = URI.create(serverUrl.replaceFirst("^postgres(ql)?://", "http://"));
        String userInfo = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo();
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String password = colon < 0 ? System.getenv("PGPASSWORD") : userInfo.substring(colon + 1);
        String jdbcUrl = "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort())
                + uri.getPath();
        return DriverManager.getConnection(jdbcUrl, user, password);
    }

    private static void createFixture() throws SQLException {
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            st.execute("CREATE TABLE " + schema + ".parcels (fid serial PRIMARY KEY, \"TBBH\" varchar(20), "
                    + "\"ZLDWDM\" varchar(19), \"ZLDWMC\" varchar(60), \"DLBM\" varchar(5), geom geometry(Geometry, 4490))");
            st.execute("CREATE INDEX ON " + schema + ".parcels USING gist (geom)");
            st.execute("CREATE TABLE " + schema + ".no_id (fid serial PRIMARY KEY, name text, geom geometry(Polygon, 4490))");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".parcels "
                    + "(\"TBBH\", \"ZLDWDM\", \"ZLDWMC\", \"DLBM\", geom) VALUES (?, ?, ?, ?, ST_GeomFromText(?, 4490))")) {
                for (int row = 0; row < ROWS; row++) {
                    for (int col = 0; col < COLS; col++) {
                        String id = String.format(Locale.ROOT, "370102-%02d%02d", row, col);
                        String wkt;
                        if (row == 1 && col == 2) {
                            id = BOW_TIE;
                            wkt = bowTie(col, row);
                        } else if (row == 1 && col == 3) {
                            id = LINE;
                            wkt = String.format(Locale.ROOT, "LINESTRING(%.6f %.6f, %.6f %.6f)",
                                    x(col), y(row), x(col) + SIZE, y(row) + SIZE);
                        } else if (row == 2 && col == 2) {
                            id = COLLECTION;
                            wkt = "GEOMETRYCOLLECTION(" + square(col, row) + ", POINT("
                                    + x(col) + " " + y(row) + "))";
                        } else {
                            wkt = square(col, row);
                        }
                        ps.setString(1, id);
                        ps.setString(2, "370102001" + row + "0" + col);
                        ps.setString(3, col < 3 ? "历下区姚家街道" : "历城区王舍人街道");
                        ps.setString(4, col == 5 ? "0103" : "0101");
                        ps.setString(5, wkt);
                        ps.addBatch();
                    }
                }
                ps.executeBatch();
            }
            st.execute("INSERT INTO " + schema + ".parcels (\"TBBH\", \"ZLDWDM\", \"ZLDWMC\", \"DLBM\", geom) "
                    + "VALUES ('" + NO_GEOMETRY + "', '370102001999', '历下区姚家街道', '0101', NULL)");
        }
    }

    private static double x(int col) {
        return LON0 + col * STEP;
    }

    private static double y(int row) {
        return LAT0 + row * STEP;
    }

    private static String square(int col, int row) {
        double x0 = x(col);
        double y0 = y(row);
        double x1 = x0 + SIZE;
        double y1 = y0 + SIZE;
        return String.format(Locale.ROOT, "POLYGON((%.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f))",
                x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    }

    /** A self-intersecting figure of eight: two triangles meeting at the cell's centre. */
    private static String bowTie(int col, int row) {
        double x0 = x(col);
        double y0 = y(row);
        double x1 = x0 + SIZE;
        double y1 = y0 + SIZE;
        return String.format(Locale.ROOT, "POLYGON((%.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f))",
                x0, y0, x1, y1, x1, y0, x0, y1, x0, y0);
    }

    @AfterAll
    static void dropFixture() throws SQLException {
        if (schema != null) {
            try (Connection c = jdbc(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static PostgisParcelSource source(String table) throws SQLException {
        String url = server();
        return PostgisParcelSource.parse(url + (url.contains("?") ? "&" : "?") + "table=" + schema + "." + table,
                FieldMapping.DEFAULT);
    }

    private static Set<String> queryIds(String sql, Object... args) throws SQLException {
        Set<String> ids = new TreeSet<>();
        try (Connection c = jdbc(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    private static double[] queryBox(String sql) throws SQLException {
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next());
            return new double[] {rs.getDouble(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4)};
        }
    }

    /** What one forEachIn call returned. */
    private record Fetched(Map<String, Parcel> parcels, Map<String, String> rejects) {
        Set<String> allIds() {
            Set<String> all = new TreeSet<>(parcels.keySet());
            all.addAll(rejects.keySet());
            return all;
        }
    }

    private static Fetched fetch(ParcelSource source, Envelope extent) {
        Map<String, Parcel> parcels = new HashMap<>();
        Map<String, String> rejects = new HashMap<>();
        source.forEachIn(extent, WORKING_CRS, p -> {
            assertNull(parcels.put(p.parcelId(), p), "parcel " + p.parcelId() + " delivered twice");
        }, reason -> {
            Matcher m = REJECT.matcher(reason);
            assertTrue(m.matches(), "reject reason names the parcel: " + reason);
            rejects.put(m.group(1), reason);
        });
        assertTrue(parcels.keySet().stream().noneMatch(rejects::containsKey), "a parcel both delivered and rejected");
        return new Fetched(parcels, rejects);
    }

    // ---- against the server ------------------------------------------------------------------------------------

    @Test
    void checkCountsRowsAndTransformsTheExtent() throws SQLException {
        ParcelSource source = source("parcels");
        ParcelSource.SourceSummary summary = source.check(WORKING_CRS);

        assertEquals(queryIds("SELECT count(*) FROM " + schema + ".parcels").iterator().next(),
                Long.toString(summary.featureCount()));
        assertEquals(ROWS * COLS + 1, summary.featureCount());
        assertEquals("EPSG:4490", summary.sourceCrs());

        double[] postgis = queryBox("WITH b AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 4490), 4527) g FROM "
                + schema + ".parcels) SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM b");
        Envelope e = summary.extent();
        assertEquals(postgis[0], e.getMinX(), 1.0);
        assertEquals(postgis[1], e.getMinY(), 1.0);
        assertEquals(postgis[2], e.getMaxX(), 1.0);
        assertEquals(postgis[3], e.getMaxY(), 1.0);

        double[] data = queryBox("WITH b AS (SELECT ST_Extent(ST_Transform(geom, 4527))::geometry g FROM "
                + schema + ".parcels) SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM b");
        Envelope grown = new Envelope(e);
        grown.expandBy(0.001);
        assertTrue(grown.covers(new Envelope(data[0], data[2], data[1], data[3])),
                "extent " + e + " covers every transformed parcel");
    }

    @Test
    void forEachInReturnsExactlyTheParcelsWhoseTransformedBoxMeetsTheExtent() throws SQLException {
        ParcelSource source = source("parcels");
        Envelope all = source.check(WORKING_CRS).extent();
        Envelope sub = new Envelope(all.getMinX() + 0.3 * all.getWidth(), all.getMinX() + 0.7 * all.getWidth(),
                all.getMinY() + 0.25 * all.getHeight(), all.getMinY() + 0.75 * all.getHeight());

        // Not "ST_Transform(geom, 4527) && envelope": && compares float4 boxes, metres apart at 39,500,000.
        Set<String> expected = queryIds("SELECT \"TBBH\" FROM (SELECT \"TBBH\", ST_Transform(geom, 4527) AS g FROM "
                + schema + ".parcels WHERE geom IS NOT NULL) t "
                + "WHERE ST_XMin(g) <= ? AND ST_XMax(g) >= ? AND ST_YMin(g) <= ? AND ST_YMax(g) >= ?",
                sub.getMaxX(), sub.getMinX(), sub.getMaxY(), sub.getMinY());
        assertTrue(expected.size() > 3 && expected.size() < ROWS * COLS, "the sub-extent holds some parcels: " + expected);
        assertTrue(expected.containsAll(List.of(BOW_TIE, LINE, COLLECTION)), "fixture: the odd parcels sit in the middle");

        Fetched got = fetch(source, sub);
        assertEquals(expected, got.allIds());
        assertTrue(got.rejects().containsKey(LINE), "a line is no parcel: " + got.rejects());
        assertTrue(got.rejects().get(LINE).contains("LineString"), got.rejects().get(LINE));
        assertTrue(got.parcels().get(COLLECTION).geometry() instanceof Polygonal, "the polygon of a collection is kept");

        Fetched everything = fetch(source, all);
        Set<String> withGeometry = queryIds("SELECT \"TBBH\" FROM " + schema + ".parcels WHERE geom IS NOT NULL");
        assertEquals(withGeometry, everything.allIds());
        assertFalse(everything.allIds().contains(NO_GEOMETRY));

        Envelope elsewhere = new Envelope(all.getMaxX() + 10_000, all.getMaxX() + 20_000, all.getMinY(), all.getMaxY());
        assertTrue(fetch(source, elsewhere).allIds().isEmpty());
    }

    @Test
    void parcelsArriveInGaussKrugerZone39MetresWithTheirFields() throws Exception {
        ParcelSource source = source("parcels");
        Fetched got = fetch(source, source.check(WORKING_CRS).extent());
        assertEquals(ROWS * COLS - 1, got.parcels().size());
        for (Parcel p : got.parcels().values()) {
            Envelope e = p.geometry().getEnvelopeInternal();
            assertTrue(e.getMinX() > 39_490_000 && e.getMaxX() < 39_510_000, "zone 39 easting near 117°E: " + e);
            assertTrue(e.getMinY() > 4_050_000 && e.getMaxY() < 4_070_000, "northing near 36.65°N: " + e);
            assertTrue(p.geometry().isValid(), p.parcelId());
            assertTrue(p.geometry() instanceof Polygonal, p.parcelId());
        }

        Parcel plain = got.parcels().get("370102-0005");
        assertEquals("370102001005", plain.adminCode());
        assertEquals("历城区王舍人街道", plain.township());
        assertEquals("0103", plain.landClass());
        byte[] wkb;
        try (Connection c = jdbc(); PreparedStatement ps = c.prepareStatement(
                "SELECT ST_AsBinary(ST_Transform(geom, 4527)) FROM " + schema + ".parcels WHERE \"TBBH\" = ?")) {
            ps.setString(1, plain.parcelId());
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                wkb = rs.getBytes(1);
            }
        }
        Geometry expected = new WKBReader().read(wkb);
        assertTrue(expected.equalsExact(plain.geometry(), 1e-6), "same as PostGIS: " + plain.geometry());
        assertEquals(4527, plain.geometry().getSRID());
        // About 89 m × 111 m.
        assertEquals(89.3 * 111.0, plain.geometry().getArea(), 300.0);
    }

    @Test
    void aBowTieIsRepairedOrRejectedWithAReason() throws SQLException {
        ParcelSource source = source("parcels");
        Fetched got = fetch(source, source.check(WORKING_CRS).extent());
        if (got.parcels().containsKey(BOW_TIE)) {
            Geometry g = got.parcels().get(BOW_TIE).geometry();
            assertTrue(g.isValid() && g instanceof Polygonal && !g.isEmpty(), "repaired: " + g);
            double square = got.parcels().get("370102-0000").geometry().getArea();
            assertEquals(square / 2, g.getArea(), square * 0.01, "two triangles, half the cell");
        } else {
            assertTrue(got.rejects().get(BOW_TIE).toLowerCase(Locale.ROOT).contains("self-intersection"),
                    got.rejects().get(BOW_TIE));
        }
    }

    @Test
    void aSerializedSourceReadsTheSame() throws Exception {
        PostgisParcelSource source = source("parcels");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(source);
        }
        ParcelSource copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (ParcelSource) in.readObject();
        }
        Envelope all = source.check(WORKING_CRS).extent();
        assertEquals(source.describe(), copy.describe());
        assertEquals(fetch(source, all).allIds(), fetch(copy, all).allIds());
    }

    @Test
    void aTableWithoutAParcelIdColumnIsAnInputError() throws SQLException {
        ParcelSource source = source("no_id");
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> source.check(WORKING_CRS));
        assertEquals(FarmwatchException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains(schema + ".no_id"), e.getMessage());
        assertTrue(e.getMessage().contains("TBBH") && e.getMessage().contains("parcel_id"), e.getMessage());
    }

    @Test
    void aTableWithRepeatedParcelIdsIsAnInputErrorUnlessTheColumnIsUnique() throws SQLException {
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + schema + ".repeated AS SELECT * FROM " + schema + ".parcels");
            st.execute("INSERT INTO " + schema + ".repeated SELECT * FROM " + schema + ".parcels WHERE \"TBBH\" = '370102-0000'");
        }
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> source("repeated").check(WORKING_CRS));
        assertEquals(FarmwatchException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains(schema + ".repeated") && e.getMessage().contains("370102-0000")
                && e.getMessage().contains("TBBH"), e.getMessage());
        // The fixture table holds each id once and has no unique index: the GROUP BY finds nothing to refuse.
        assertEquals(0, source("parcels").check(WORKING_CRS).duplicates().size());
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + schema + ".repeated");
        }
    }

    @Test
    void aMissingTableIsAnInputError() throws SQLException {
        ParcelSource source = source("nowhere");
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> source.check(WORKING_CRS));
        assertEquals(FarmwatchException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains(schema + ".nowhere"), e.getMessage());
    }

    @Test
    void aWorkingCrsThatIsNotEpsgIsAUsageError() throws SQLException {
        ParcelSource source = source("parcels");
        assertEquals(FarmwatchException.Kind.USAGE,
                assertThrows(FarmwatchException.class, () -> source.check("WGS84")).kind());
        assertEquals(FarmwatchException.Kind.USAGE,
                assertThrows(FarmwatchException.class, () -> source.check("EPSG:999999")).kind());
    }

    // ---- no server needed --------------------------------------------------------------------------------------

    @Test
    void anUnreachableServerIsAServiceFailure() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        PostgisParcelSource source = PostgisParcelSource.parse(
                "postgresql://farmer:hunter2@127.0.0.1:" + port + "/farmwatch?table=public.parcels", FieldMapping.DEFAULT);
        long start = System.nanoTime();
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> source.check(WORKING_CRS));
        assertTrue(System.nanoTime() - start < 15e9, "gives up within the timeouts");
        assertEquals(FarmwatchException.Kind.SERVICE, e.kind());
        assertEquals(4, e.kind().exitCode);
        assertTrue(e.getMessage().startsWith("PostGIS unavailable at postgresql://farmer@127.0.0.1:" + port
                + "/farmwatch?table=public.parcels: "), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());

        FarmwatchException again = assertThrows(FarmwatchException.class,
                () -> source.forEachIn(new Envelope(0, 1, 0, 1), WORKING_CRS, p -> {}, r -> {}));
        assertEquals(FarmwatchException.Kind.SERVICE, again.kind());
    }

    @Test
    void describeNeverShowsThePassword() {
        PostgisParcelSource source = PostgisParcelSource.parse(
                "postgresql://alice:s3cr%40t@db.example:5433/farm?table=public.parcels", FieldMapping.DEFAULT);
        assertEquals("postgresql://alice@db.example:5433/farm?table=public.parcels", source.describe());
        assertFalse(source.toString().contains("s3cr"));

        PostgisParcelSource other = PostgisParcelSource.parse(
                "postgres://bob:pw@10.0.0.7/gis?table=dltb&geom=shape", FieldMapping.DEFAULT);
        assertEquals("postgresql://bob@10.0.0.7:5432/gis?table=public.dltb&geom=shape", other.describe());
        assertEquals("public", other.schema());
        assertEquals("dltb", other.table());
    }

    @Test
    void malformedUrlsAreUsageErrorsNamingTheProblem() {
        Map<String, String> cases = new HashMap<>();
        cases.put("mysql://u@h:5432/db?table=a.b", "postgresql://");
        cases.put("postgresql://u@h:5432?table=a.b", "/database");
        cases.put("postgresql://u@h:5432/db", "table=");
        cases.put("postgresql://u@h:5432/db?table=", "table=");
        cases.put("postgresql://u@h:port/db?table=a.b", "port");
        cases.put("postgresql://u@h:70000/db?table=a.b", "70000");
        cases.put("postgresql://u@:5432/db?table=a.b", "host");
        cases.put("postgresql://u@h:5432/?table=a.b", "database");
        cases.put("postgresql://u@h:5432/db?table=a.b&colour=red", "colour");
        cases.put("postgresql://u@h:5432/db?table=a.b&geom=the geom", "the geom");
        cases.put("postgresql://u@h:5432/db?table=a.b.c", "a.b.c");
        cases.put("postgresql://u@h:5432/db?table=a.b&sslmode=maybe", "maybe");
        cases.put("postgresql://u:bad%zz@h:5432/db?table=a.b", "%-escape");
        cases.put("", "empty");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            FarmwatchException e = assertThrows(FarmwatchException.class,
                    () -> PostgisParcelSource.parse(c.getKey(), FieldMapping.DEFAULT), c.getKey());
            assertEquals(FarmwatchException.Kind.USAGE, e.kind(), c.getKey());
            assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + " -> " + e.getMessage());
        }
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> PostgisParcelSource.parse(
                "postgresql://u:pw123@h:5432/db", FieldMapping.DEFAULT));
        assertFalse(e.getMessage().contains("pw123"), e.getMessage());
    }

    @Test
    void hostileTableNamesAreUsageErrors() {
        for (String table : List.of("x;drop table y", "public.x\"y", "1abc", "a.b;--", "sch ema.t")) {
            FarmwatchException e = assertThrows(FarmwatchException.class, () -> PostgisParcelSource.parse(
                    "postgresql://u@h:5432/db?table=" + table, FieldMapping.DEFAULT), table);
            assertEquals(FarmwatchException.Kind.USAGE, e.kind(), table);
            assertTrue(e.getMessage().contains(table), e.getMessage());
        }
    }

    @Test
    void pgpassLinesMatchLikeLibpq(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pgpass");
        Files.writeString(file, String.join("\n",
                "# comment",
                "other.host:5432:*:alice:wrong",
                "db.example:5433:farm:alice:p\\:ss\\\\word",
                "*:*:*:*:fallback",
                ""));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertEquals("p:ss\\word", PostgisParcelSource.pgpassPassword(file, "db.example", 5433, "farm", "alice"));
        assertEquals("fallback", PostgisParcelSource.pgpassPassword(file, "db.example", 5432, "farm", "alice"));
        assertNull(PostgisParcelSource.pgpassPassword(dir.resolve("missing"), "h", 5432, "d", "u"));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertNull(PostgisParcelSource.pgpassPassword(file, "db.example", 5433, "farm", "alice"),
                "a password file others may read is ignored");
    }

    @Test
    void thePasswordComesFromTheUrlThenPgpasswordThenPgpass(@TempDir Path home) throws Exception {
        Path pgpass = home.resolve(".pgpass");
        Files.writeString(pgpass, "*:*:*:*:from-file\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
        String url = "postgresql://u@h:5432/db?table=a.b";
        // The password itself is private; a serialized copy shows which one travelled.
        assertTrue(serializedText(PostgisParcelSource.parse(url, FieldMapping.DEFAULT, Map.of(), home)).contains("from-file"));
        assertTrue(serializedText(PostgisParcelSource.parse(url, FieldMapping.DEFAULT, Map.of("PGPASSWORD", "from-env"), home))
                .contains("from-env"));
        assertTrue(serializedText(PostgisParcelSource.parse("postgresql://u:from-url@h:5432/db?table=a.b",
                FieldMapping.DEFAULT, Map.of("PGPASSWORD", "from-env"), home)).contains("from-url"));
    }

    private static String serializedText(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
