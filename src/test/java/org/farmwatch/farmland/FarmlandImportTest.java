package org.farmwatch.farmland;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.farmwatch.cli.Farmwatch;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKTReader;

/**
 * {@code farmwatch import-farmland} against the real PostGIS server named by {@code -Dfarmwatch.pgurl} and the real
 * parcel registers in {@code ../shared/realdata/lpis-parcels}: without either those tests are skipped, unless
 * {@code CI} is set, where they fail. The repair, mapping-file and URL tests need neither. The server fixture is a
 * schema of its own, dropped at the end.
 */
class FarmlandImportTest {
    private static final Path LPIS = Path.of("../shared/realdata/lpis-parcels");
    private static final Path SAMPLE = Path.of("sample-tiles/farmland.gpkg");
    /** Areas after the round trip to the storage CRS and back must match the source's to this fraction. */
    private static final double AREA_TOLERANCE = 0.005;

    private static String serverUrl;
    private static String schema;

    @TempDir
    Path tmp;

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
            schema = "fw_import_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = jdbc(); Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
            }
        }
        return serverUrl;
    }

    /** The real parcel file, skipping (or failing under CI) when ../shared/realdata is not there. */
    private static Path lpis(String name) {
        Path file = LPIS.resolve(name);
        if (!Files.isRegularFile(file)) {
            if (System.getenv("CI") != null) {
                fail("CI must have ../shared/realdata beside the checkout; missing " + file);
            }
            assumeTrue(false, file + " is not beside the checkout");
        }
        return file;
    }

    @AfterAll
    static void dropFixture() throws SQLException {
        if (schema != null) {
            try (Connection c = jdbc(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
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

    private static String target(String table) throws SQLException {
        String url = server();
        return url + (url.contains("?") ? "&" : "?") + "table=" + schema + "." + table;
    }

    /** What the command printed and returned. */
    private record Run(int exit, String out, String err) {
        Map<String, Object> json() {
            assertEquals(0, exit, () -> "import failed: " + err);
            return Json.parseObject(out);
        }

        long count(String key) {
            return ((Number) json().get(key)).longValue();
        }
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Farmwatch.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Run importFile(Path file, String table, String mapping) throws Exception {
        List<String> args = new ArrayList<>(List.of("import-farmland", "--from", file.toString(), "--to", target(table)));
        if (mapping != null) {
            Path m = tmp.resolve(table + ".mapping");
            Files.writeString(m, mapping, StandardCharsets.UTF_8);
            args.add("--mapping");
            args.add(m.toString());
        }
        return cli(args.toArray(String[]::new));
    }

    private static long scalar(String sql) throws SQLException {
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }

    private static Map<String, String> strings(String sql) throws SQLException {
        Map<String, String> m = new LinkedHashMap<>();
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getString(2));
            }
        }
        return m;
    }

    /** Source areas in the source CRS by parcel id, the first feature of each id, read with OGR. */
    private static Map<String, Double> sourceAreas(Path file, String idField) {
        Gdal.init();
        String path = file.toString().endsWith(".zip") ? "/vsizip/" + file.toAbsolutePath() : file.toString();
        DataSource ds = ogr.Open(path, 0);
        try {
            Layer l = ds.GetLayer(0);
            boolean fid = l.GetLayerDefn().GetFieldIndex(idField) < 0;
            Map<String, Double> areas = new HashMap<>();
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                String id = fid ? Long.toString(f.GetFID()) : f.GetFieldAsString(idField).trim();
                areas.putIfAbsent(id, f.GetGeometryRef().GetArea());
                f.delete();
            }
            return areas;
        } finally {
            ds.delete();
        }
    }

    /**
     * Checks the imported table against the file: storage SRID 4490 and MultiPolygons, a GiST index, and every
     * parcel's area, transformed back to the source CRS in PostGIS, equal to the source's within 0.5%.
     */
    private static void assertStoredLikeSource(String table, Path file, String idField, int sourceSrid) throws SQLException {
        String t = schema + "." + table;
        assertEquals(4490, scalar("SELECT srid FROM geometry_columns WHERE f_table_schema = '" + schema
                + "' AND f_table_name = '" + table + "' AND f_geometry_column = 'geom'"));
        assertEquals("MULTIPOLYGON", strings("SELECT 'type', type FROM geometry_columns WHERE f_table_schema = '"
                + schema + "' AND f_table_name = '" + table + "'").get("type"));
        assertEquals(0, scalar("SELECT count(*) FROM " + t + " WHERE ST_SRID(geom) <> 4490 OR NOT ST_IsValid(geom)"));
        assertEquals(1, scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = '" + schema + "' AND tablename = '"
                + table + "' AND indexdef ILIKE '%USING gist (geom)%'"));
        Map<String, Double> source = sourceAreas(file, idField);
        Map<String, String> stored = strings("SELECT parcel_id, ST_Area(ST_Transform(geom, " + sourceSrid + "))::text FROM " + t);
        assertFalse(stored.isEmpty());
        for (Map.Entry<String, String> e : stored.entrySet()) {
            Double expected = source.get(e.getKey());
            assertNotNull(expected, "parcel " + e.getKey() + " is not in " + file);
            double actual = Double.parseDouble(e.getValue());
            assertTrue(Math.abs(actual - expected) <= AREA_TOLERANCE * expected,
                    () -> String.format(Locale.ROOT, "parcel %s of %s: %.3f m² stored, %.3f m² in the source",
                            e.getKey(), file, actual, expected));
        }
    }

    /** Imports the file again: nothing may change. */
    private void assertReimportChangesNothing(Path file, String table, String mapping, long kept) throws Exception {
        String before = strings("SELECT 'x', string_agg(parcel_id || imported_at::text, ',' ORDER BY parcel_id) FROM "
                + schema + "." + table).get("x");
        Map<String, Object> again = importFile(file, table, mapping).json();
        assertEquals(0L, ((Number) again.get("inserted")).longValue());
        assertEquals(0L, ((Number) again.get("updated")).longValue());
        assertEquals(kept, ((Number) again.get("unchanged")).longValue());
        assertEquals(before, strings("SELECT 'x', string_agg(parcel_id || imported_at::text, ',' ORDER BY parcel_id) FROM "
                + schema + "." + table).get("x"), "a re-import must leave every row as it was");
    }

    // ---- real parcel registers ------------------------------------------------------------------------------

    @Test
    void netherlandsBrpGeoPackageInRdNewTakesTheFidAsParcelId() throws Exception {
        Path file = lpis("brpgewaspercelen_definitief_2023.gpkg");
        // The BRP has no parcel number of its own: its FID column 'id' is the id.
        String mapping = "parcel_id = id\nland_class = gewascode\n";
        Map<String, Object> s = importFile(file, "brp_nl", mapping).json();
        assertEquals(100L, ((Number) s.get("read")).longValue());
        assertEquals(100L, ((Number) s.get("inserted")).longValue());
        assertEquals(0L, ((Number) s.get("rejected")).longValue());
        assertEquals("EPSG:28992", s.get("sourceCrs"));
        assertStoredLikeSource("brp_nl", file, "id", 28992);
        assertEquals("265", strings("SELECT parcel_id, land_class FROM " + schema + ".brp_nl WHERE parcel_id = '3'").get("3"));
        assertReimportChangesNothing(file, "brp_nl", mapping, 100);
    }

    @Test
    void brandenburgZippedShapefileRejectsRepeatedFieldBlockIds() throws Exception {
        Path file = lpis("antrag.zip");
        // ref_ident is the field block (FLIK): several crop parcels share one, so ids repeat within the file.
        String mapping = "parcel_id = ref_ident\nland_class = code\n";
        Map<String, Object> s = importFile(file, "antrag_bb", mapping).json();
        assertEquals(100L, ((Number) s.get("read")).longValue());
        assertEquals(82L, ((Number) s.get("inserted")).longValue());
        assertEquals(18L, ((Number) s.get("duplicates")).longValue());
        assertEquals(18L, ((Number) s.get("rejected")).longValue());
        assertEquals(Map.of("duplicate parcel_id", 18L), s.get("rejectedBy"));
        assertEquals("EPSG:25833", s.get("sourceCrs"));
        // The first feature of each id is kept: its area is the one compared.
        assertStoredLikeSource("antrag_bb", file, "ref_ident", 25833);
        String r = schema + ".antrag_bb_rejects";
        assertEquals(18, scalar("SELECT count(*) FROM " + r + " WHERE reason = 'duplicate parcel_id'"));
        assertEquals(18, scalar("SELECT count(*) FROM " + r + " r JOIN " + schema + ".antrag_bb p USING (parcel_id) "
                + "WHERE ST_Area(ST_GeomFromWKB(r.raw_geom)) > 0 AND r.source_crs = 'EPSG:25833' AND r.source_fid > 0"));
        assertReimportChangesNothing(file, "antrag_bb", mapping, 82);
        // The rejects of a source are replaced, not piled up.
        assertEquals(18, scalar("SELECT count(*) FROM " + r));
    }

    @Test
    void austrianGpkgZipInNorthingFirstLambertLandsInAustria() throws Exception {
        Path file = lpis("inspire_schlaege_2025-1_polygon.gpkg.zip");
        String mapping = "parcel_id = GEO_ID\nland_class = SNAR_CODE\n";
        Map<String, Object> s = importFile(file, "schlaege_at", mapping).json();
        assertEquals(100L, ((Number) s.get("inserted")).longValue());
        assertEquals(0L, ((Number) s.get("rejected")).longValue());
        assertEquals("EPSG:31287", s.get("sourceCrs"));
        // EPSG:31287 declares northing first; the data are easting first. Lower Austria is near 15°E, 48.3°N.
        assertEquals(0, scalar("SELECT count(*) FROM " + schema + ".schlaege_at "
                + "WHERE NOT ST_Within(geom, ST_MakeEnvelope(14.9, 48.2, 15.1, 48.4, 4490))"));
        // GEO_ID is a Real field: the id must not come out as 1.06806035E8.
        assertEquals("717", strings("SELECT parcel_id, land_class FROM " + schema + ".schlaege_at").get("106806035"));
        assertStoredLikeSource("schlaege_at", file, "GEO_ID", 31287);
        assertReimportChangesNothing(file, "schlaege_at", mapping, 100);
    }

    @Test
    void slovenianZippedShapefileInD96Tm() throws Exception {
        Path file = lpis("SI_2021.zip");
        String mapping = "parcel_id = ID\nadmin_code = EC_NUTS3\nland_class = SIFRA_KMRS\ntownship =\n";
        Map<String, Object> s = importFile(file, "gerk_si", mapping).json();
        assertEquals(100L, ((Number) s.get("inserted")).longValue());
        assertEquals(0L, ((Number) s.get("rejected")).longValue());
        assertEquals("EPSG:3794", s.get("sourceCrs"));
        assertEquals("parcel_id=ID, admin_code=EC_NUTS3, township=(none), land_class=SIFRA_KMRS", s.get("fields"));
        assertEquals(100, scalar("SELECT count(*) FROM " + schema + ".gerk_si WHERE township IS NULL AND admin_code IS NOT NULL"));
        assertStoredLikeSource("gerk_si", file, "ID", 3794);
        assertReimportChangesNothing(file, "gerk_si", mapping, 100);
    }

    // ---- the sample farmland and reading it back ---------------------------------------------------------------

    @Test
    void sampleFarmlandImportsWithDefaultMappingAndReadsBackThroughPostgisParcelSource() throws Exception {
        Path file = SAMPLE;
        assertTrue(Files.isRegularFile(file), "sample-tiles/farmland.gpkg is part of the repository");
        server();
        Map<String, Object> s = cli("import-farmland", "--from", file.toString(), "--to", target("sample")).json();
        assertEquals(1914L, ((Number) s.get("read")).longValue());
        assertEquals(1914L, ((Number) s.get("inserted")).longValue());
        assertEquals("parcel_id=TBBH, admin_code=ZLDWDM, township=ZLDWMC, land_class=DLBM", s.get("fields"));
        assertEquals(1914, scalar("SELECT count(*) FROM " + schema + ".sample WHERE land_class LIKE '0%' AND township <> ''"));

        PostgisParcelSource back = PostgisParcelSource.parse(target("sample"), FieldMapping.DEFAULT);
        ParcelSource.SourceSummary summary = back.check("EPSG:4527");
        assertEquals(1914, summary.featureCount());
        assertEquals("EPSG:4490", summary.sourceCrs());
        List<Parcel> parcels = new ArrayList<>();
        List<String> rejects = new ArrayList<>();
        Envelope all = new Envelope(summary.extent());
        all.expandBy(1);
        back.forEachIn(all, "EPSG:4527", parcels::add, rejects::add);
        assertEquals(List.of(), rejects);
        assertEquals(1914, parcels.size());
        assertEquals(1914, parcels.stream().map(Parcel::parcelId).distinct().count());
        // A FlatGeobuf copy of the same parcels, from another path: the parcels themselves are unchanged.
        Path fgb = tmp.resolve("farmland.fgb");
        Gdal.init();
        DataSource in = ogr.Open(file.toString(), 0);
        DataSource out = ogr.GetDriverByName("FlatGeobuf").CreateDataSource(fgb.toString());
        out.CopyLayer(in.GetLayer(0), "farmland");
        out.delete();
        in.delete();
        Map<String, Object> again = cli("import-farmland", "--from", fgb.toString(), "--to", target("sample")).json();
        assertEquals(1914L, ((Number) again.get("unchanged")).longValue());
    }

    // ---- defects, changes, failures -----------------------------------------------------------------------------

    /** A GeoJSON feature near Jinan; {@code geometry} is GeoJSON text or "null". */
    private static String feature(String id, String landClass, String geometry) {
        return "{\"type\":\"Feature\",\"properties\":{\"TBBH\":" + (id == null ? "null" : "\"" + id + "\"")
                + ",\"DLBM\":\"" + landClass + "\",\"ZLDWMC\":\"历城区王舍人街道\"},\"geometry\":" + geometry + "}";
    }

    private static String square(int i, double size) {
        double x0 = 117.0 + i * 0.002;
        double y0 = 36.65;
        double x1 = x0 + size;
        double y1 = y0 + size;
        return String.format(Locale.ROOT, "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],"
                + "[%.6f,%.6f],[%.6f,%.6f]]]}", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    }

    private Path geoJson(String name, List<String> features) throws Exception {
        Path file = tmp.resolve(name);
        Files.writeString(file, "{\"type\":\"FeatureCollection\",\"features\":[\n" + String.join(",\n", features) + "\n]}\n",
                StandardCharsets.UTF_8);
        return file;
    }

    /** Every kind of defect once, in WGS 84 (GeoJSON's CRS). */
    private Path defects(String name, String p1Class, String... extra) throws Exception {
        return defectsWithP9(name, p1Class, "117.031,36.651", extra);
    }

    /** {@link #defects(String, String, String...)} with P9's third vertex (lon,lat) given. */
    private Path defectsWithP9(String name, String p1Class, String p9Vertex, String... extra) throws Exception {
        double x = 117.02;
        double y = 36.65;
        List<String> f = new ArrayList<>(List.of(
                feature("P1", p1Class, square(1, 0.001)),
                // A bow-tie: two triangles meeting at the centre.
                feature("P2", "0101", String.format(Locale.ROOT, "{\"type\":\"Polygon\",\"coordinates\":[[[%1$.3f,%2$.3f],"
                        + "[%3$.3f,%4$.3f],[%3$.3f,%2$.3f],[%1$.3f,%4$.3f],[%1$.3f,%2$.3f]]]}", x, y, x + 0.001, y + 0.001)),
                // A polygon with a stray point.
                feature("P3", "0101", "{\"type\":\"GeometryCollection\",\"geometries\":[" + square(3, 0.001)
                        + ",{\"type\":\"Point\",\"coordinates\":[117.0,36.0]}]}"),
                // Two overlapping parts of one multipolygon.
                feature("P4", "0102", String.format(Locale.ROOT, "{\"type\":\"MultiPolygon\",\"coordinates\":[%s,%s]}",
                        square(4, 0.001).replaceAll(".*\"coordinates\":(.*)}", "$1"),
                        square(4, 0.0015).replaceAll(".*\"coordinates\":(.*)}", "$1"))),
                feature("P5", "0101", "{\"type\":\"LineString\",\"coordinates\":[[117.0,36.6],[117.001,36.601]]}"),
                feature("P6", "0101", "null"),
                feature("P7", "0101", "{\"type\":\"MultiPolygon\",\"coordinates\":[]}"),
                // All on one line: nothing with area survives.
                feature("P8", "0101", "{\"type\":\"Polygon\",\"coordinates\":[[[117.0,36.7],[117.001,36.7],[117.002,36.7],[117.0,36.7]]]}"),
                feature(null, "0101", square(9, 0.001)),
                feature("D1", "0101", square(10, 0.001)),
                feature("D1", "0101", square(11, 0.001)),
                // The first D2 is rejected for its geometry, so the second one is kept.
                feature("D2", "0101", "null"),
                feature("D2", "0103", square(12, 0.001)),
                feature("P9", "0101", "{\"type\":\"Polygon\",\"coordinates\":[[[117.03,36.65,10],[117.031,36.65,10],"
                        + "[" + p9Vertex + ",12],[117.03,36.65,10]]]}")));
        f.addAll(List.of(extra));
        return geoJson(name, f);
    }

    @Test
    void invalidGeometriesAreRepairedOrRejectedWithTheirReason() throws Exception {
        server();
        Run run = importFile(defects("defects.geojson", "0101"), "defects", null);
        Map<String, Object> s = run.json();
        assertEquals(14L, ((Number) s.get("read")).longValue());
        assertEquals(7L, ((Number) s.get("inserted")).longValue());
        assertEquals(3L, ((Number) s.get("repaired")).longValue());
        assertEquals(7L, ((Number) s.get("rejected")).longValue());
        assertEquals(1L, ((Number) s.get("duplicates")).longValue());
        assertEquals(Map.of("no geometry", 2L, "empty geometry", 1L, "not polygonal", 1L,
                "invalid geometry, not repairable", 1L, "no parcel_id", 1L, "duplicate parcel_id", 1L), s.get("rejectedBy"));
        assertTrue(run.err().contains("rejected 7 ("), run.err());

        String t = schema + ".defects";
        assertEquals("D1,D2,P1,P2,P3,P4,P9", strings("SELECT 'x', string_agg(parcel_id, ',' ORDER BY parcel_id) FROM " + t).get("x"));
        assertEquals(0, scalar("SELECT count(*) FROM " + t + " WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4490"));
        // The bow-tie keeps both triangles: half the square; the overlapping parts merge into the larger square.
        Map<String, String> areas = strings("SELECT parcel_id, round(ST_Area(geom::geography))::text FROM " + t);
        double cell = Double.parseDouble(areas.get("P1"));
        assertEquals(cell / 2, Double.parseDouble(areas.get("P2")), cell * 0.01);
        assertEquals(cell, Double.parseDouble(areas.get("P3")), cell * 0.01);
        assertEquals(cell * 2.25, Double.parseDouble(areas.get("P4")), cell * 0.01);
        assertEquals("0103", strings("SELECT parcel_id, land_class FROM " + t).get("D2"));

        Map<String, String> reasons = strings("SELECT coalesce(parcel_id, '(none)') || '#' || source_fid, reason FROM "
                + t + "_rejects");
        assertEquals(7, reasons.size(), reasons::toString);
        assertEquals("not polygonal", reasons.get("P5#4"));
        assertEquals("no geometry", reasons.get("P6#5"));
        assertEquals("empty geometry", reasons.get("P7#6"));
        assertEquals("invalid geometry, not repairable", reasons.get("P8#7"));
        assertEquals("no parcel_id", reasons.get("(none)#8"));
        assertEquals("duplicate parcel_id", reasons.get("D1#10"));
        assertEquals("no geometry", reasons.get("D2#11"));
        assertEquals("LINESTRING(117 36.6,117.001 36.601)", strings("SELECT 'x', ST_AsText(ST_GeomFromWKB(raw_geom)) FROM "
                + t + "_rejects WHERE reason = 'not polygonal'").get("x"));
        assertTrue(strings("SELECT 'x', detail FROM " + t + "_rejects WHERE parcel_id = 'P8'").get("x").contains("at ("));
    }

    @Test
    void changedParcelsAreUpdatedAndNewOnesInserted() throws Exception {
        server();
        importFile(defects("v1.geojson", "0101"), "changes", null).json();
        String before = strings("SELECT parcel_id, imported_at::text FROM " + schema + ".changes").get("P2");
        String p9Before = strings("SELECT parcel_id, ST_AsText(geom) FROM " + schema + ".changes").get("P9");
        // P1 changes its class; P9 moves a vertex within the same bounding box; N1 is new.
        Map<String, Object> s = importFile(defectsWithP9("v2.geojson", "0104", "117.0305,36.651",
                feature("N1", "0101", square(20, 0.001))), "changes", null).json();
        assertEquals(1L, ((Number) s.get("inserted")).longValue());
        assertEquals(2L, ((Number) s.get("updated")).longValue());
        assertEquals(5L, ((Number) s.get("unchanged")).longValue());
        assertEquals("0104", strings("SELECT parcel_id, land_class FROM " + schema + ".changes").get("P1"));
        String p9After = strings("SELECT parcel_id, ST_AsText(geom) FROM " + schema + ".changes").get("P9");
        assertFalse(p9Before.equals(p9After), p9After);
        assertTrue(p9After.contains("117.0305 36.651"), p9After);
        assertEquals(before, strings("SELECT parcel_id, imported_at::text FROM " + schema + ".changes").get("P2"));
        assertTrue(strings("SELECT parcel_id, source FROM " + schema + ".changes").get("P1").endsWith("v2.geojson#v2"));
    }

    @Test
    void aFailureLeavesTheTableAndItsRejectsAsTheyWere() throws Exception {
        server();
        importFile(defects("ok.geojson", "0101"), "atomic", null).json();
        String t = schema + ".atomic";
        String before = strings("SELECT 'x', string_agg(parcel_id || land_class || imported_at::text, ',' ORDER BY parcel_id) FROM " + t).get("x");
        long rejects = scalar("SELECT count(*) FROM " + t + "_rejects");
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE " + t + " ADD CONSTRAINT no_bad CHECK (land_class <> 'BAD')");
        }
        Run run = importFile(defects("bad.geojson", "BAD", feature("N2", "0101", square(21, 0.001))), "atomic", null);
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().contains("the table is unchanged"), run.err());
        assertEquals(before, strings("SELECT 'x', string_agg(parcel_id || land_class || imported_at::text, ',' ORDER BY parcel_id) FROM " + t).get("x"));
        assertEquals(rejects, scalar("SELECT count(*) FROM " + t + "_rejects"));
        assertEquals(0, scalar("SELECT count(*) FROM " + t + " WHERE parcel_id = 'N2'"));
    }

    @Test
    void noParcelIdFieldExitsWith3NamingTheCandidatesAndTheFields() throws Exception {
        // Brandenburg's field names match none of the defaults; the file is read before any connection is made.
        Path file = lpis("antrag.zip");
        Run run = cli("import-farmland", "--from", file.toString(),
                "--to", "postgresql://postgres@127.0.0.1:1/farmwatch?table=x.y");
        assertEquals(3, run.exit(), run.err());
        assertTrue(run.err().contains("looked for parcel_id, TBBH, BSM, id"), run.err());
        assertTrue(run.err().contains("ref_ident"), run.err());
    }

    @Test
    void existingTableInAnotherSridIsAUsageError() throws Exception {
        server();
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + schema + ".other_srid (parcel_id text PRIMARY KEY, admin_code text, township text, "
                    + "land_class text, geom geometry(MultiPolygon, 4527), source text, imported_at timestamptz)");
        }
        Run run = cli("import-farmland", "--from", SAMPLE.toString(), "--to", target("other_srid"));
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("stores SRID 4527"), run.err());
        Run moved = cli("import-farmland", "--from", SAMPLE.toString(), "--to", target("other_srid"), "--crs", "EPSG:4527");
        assertEquals(1914L, moved.count("inserted"));
        assertEquals(1914, scalar("SELECT count(*) FROM " + schema + ".other_srid WHERE ST_SRID(geom) = 4527"));
    }

    @Test
    void shapefileWithoutPrjNeedsSourceCrs() throws Exception {
        server();
        Gdal.init();
        Path dir = tmp.resolve("noprj");
        DataSource in = ogr.Open(SAMPLE.toString(), 0);
        DataSource out = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(dir.toString());
        out.CopyLayer(in.GetLayer(0), "farmland");
        out.delete();
        in.delete();
        Files.delete(dir.resolve("farmland.prj"));
        Path shp = dir.resolve("farmland.shp");
        Run without = cli("import-farmland", "--from", shp.toString(), "--to", target("noprj"));
        assertEquals(3, without.exit(), without.err());
        assertTrue(without.err().contains("has no CRS") && without.err().contains("--source-crs"), without.err());
        Run with = cli("import-farmland", "--from", shp.toString(), "--to", target("noprj"), "--source-crs", "EPSG:4490");
        assertEquals(1914L, with.count("inserted"));
        // The sample lies near Jinan, 116.78–116.89°E, 36.67–36.76°N.
        assertEquals(1914, scalar("SELECT count(*) FROM " + schema + ".noprj "
                + "WHERE ST_Within(geom, ST_MakeEnvelope(116.77, 36.67, 116.89, 36.77, 4490))"));
    }

    // ---- command line, mapping file, URL: no server ----------------------------------------------------------

    @Test
    void passwordIsNeverPrinted() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run run = cli("import-farmland", "--from", SAMPLE.toString(),
                "--to", "postgresql://farmer:s3cr%3At@127.0.0.1:" + port + "/farmwatch?table=fw.parcels");
        assertEquals(4, run.exit(), run.err());
        assertTrue(run.err().contains("postgresql://farmer@127.0.0.1:" + port + "/farmwatch?table=fw.parcels"), run.err());
        assertFalse(run.err().contains("s3cr") || run.out().contains("s3cr"), run.err());
    }

    @Test
    void mappingFileKeysAreCheckedAndMissingKeysKeepTheirDefaults() throws Exception {
        Path bad = tmp.resolve("bad.mapping");
        Files.writeString(bad, "parcel_id = GERK_PID\nparcel_number = ID\n");
        Run run = cli("import-farmland", "--from", SAMPLE.toString(), "--mapping", bad.toString(),
                "--to", "postgresql://postgres@127.0.0.1:1/farmwatch?table=x.y");
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("unknown mapping key 'parcel_number'"), run.err());

        Path good = tmp.resolve("good.mapping");
        Files.writeString(good, "farmland.field.parcel_id = 图斑编号, TBBH\nland_class = 地类编码\ntownship =\n",
                StandardCharsets.UTF_8);
        FieldMapping m = FieldMappingFile.read(good);
        assertEquals(List.of("图斑编号", "TBBH"), m.parcelId());
        assertEquals(List.of("地类编码"), m.landClass());
        assertEquals(List.of(), m.township());
        assertEquals(FieldMapping.DEFAULT.adminCode(), m.adminCode());

        Path noId = tmp.resolve("noid.mapping");
        Files.writeString(noId, "parcel_id = ,\n");
        assertEquals(FarmwatchException.Kind.USAGE,
                assertThrows(FarmwatchException.class, () -> FieldMappingFile.read(noId)).kind());
    }

    @Test
    void targetUrlIsValidatedAndQuoted() {
        Map<String, String> env = Map.of("PGPASSWORD", "from-env");
        Path home = tmp;
        PostgisTarget t = PostgisTarget.parse("postgres://u@db.example:6543/gis?table=Farm_2024.Parcels&sslmode=require", env, home);
        assertEquals("postgresql://u@db.example:6543/gis?table=Farm_2024.Parcels&sslmode=require", t.describe());
        assertEquals("\"Farm_2024\".\"Parcels\"", t.qualified());
        assertEquals("\"Farm_2024\".\"Parcels_rejects\"", t.qualifiedRejects());
        assertEquals("public", PostgisTarget.parse("postgresql://u@h/db?table=parcels", env, home).schema());
        for (String bad : List.of("postgresql://u@h/db", "postgresql://u@h/db?table=a.b;drop", "postgresql://u@h/db?table=a.\"b\"",
                "postgresql://u@h/db?table=a.b&geom=shape", "postgresql://u@h/db?table=a.b&x=1", "mysql://u@h/db?table=a.b",
                "postgresql://u@h:99999/db?table=a.b", "postgresql://u@h/db?table=a." + "t".repeat(56))) {
            FarmwatchException e = assertThrows(FarmwatchException.class, () -> PostgisTarget.parse(bad, env, home), bad);
            assertEquals(FarmwatchException.Kind.USAGE, e.kind(), bad);
        }
        FarmwatchException e = assertThrows(FarmwatchException.class,
                () -> PostgisTarget.parse("postgresql://u:hunter2@h/db?table=a.b;x", env, home));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    // ---- repair, WKT in and out: no server ------------------------------------------------------------------

    private static Geometry wkt(String text) throws ParseException {
        return new WKTReader().read(text);
    }

    @Test
    void repairKeepsValidPolygonsAsTheyAreAndWrapsThemAsMultiPolygons() throws ParseException {
        ParcelRepair.Outcome o = ParcelRepair.repair(wkt("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 4 2, 4 4, 2 2))"));
        assertEquals(ParcelRepair.Status.VALID, o.status());
        assertEquals("MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 4 2, 4 4, 2 2)))", o.geometry().toText());
        assertEquals("", o.detail());
    }

    @Test
    void repairSplitsABowTieIntoItsTwoTriangles() throws ParseException {
        ParcelRepair.Outcome o = ParcelRepair.repair(wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))"));
        assertEquals(ParcelRepair.Status.REPAIRED, o.status());
        assertEquals(2, o.geometry().getNumGeometries());
        assertEquals(50, o.geometry().getArea(), 1e-9);
        assertTrue(o.detail().startsWith("Self-intersection at (5.0 5.0)"), o.detail());
    }

    @Test
    void repairDropsStrayPointsAndEmptyParts() throws ParseException {
        ParcelRepair.Outcome o = ParcelRepair.repair(wkt("GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), POINT (5 5))"));
        assertEquals(ParcelRepair.Status.REPAIRED, o.status());
        assertEquals("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))", o.geometry().toText());
        ParcelRepair.Outcome empty = ParcelRepair.repair(wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), EMPTY)"));
        assertEquals(ParcelRepair.Status.REPAIRED, empty.status());
        assertEquals("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))", empty.geometry().toText());
    }

    @Test
    void repairRejectsWhatHasNoArea() throws ParseException {
        assertEquals(RejectReason.NO_GEOMETRY, ParcelRepair.repair(null).reason());
        assertEquals(RejectReason.EMPTY_GEOMETRY, ParcelRepair.repair(wkt("POLYGON EMPTY")).reason());
        ParcelRepair.Outcome line = ParcelRepair.repair(wkt("LINESTRING (0 0, 1 1)"));
        assertEquals(RejectReason.NOT_POLYGONAL, line.reason());
        assertEquals("LineString", line.detail());
        assertNull(line.geometry());
        assertEquals(RejectReason.NOT_POLYGONAL, ParcelRepair.repair(wkt("GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 1))")).reason());
        ParcelRepair.Outcome flat = ParcelRepair.repair(wkt("POLYGON ((0 0, 1 0, 2 0, 0 0))"));
        assertEquals(RejectReason.UNREPAIRABLE, flat.reason());
        assertFalse(flat.detail().isEmpty());
    }

    @Test
    void wkbHeaderTellsLinear2DGeometries() {
        assertTrue(ParcelFileReader.isLinear2D(new byte[] {1, 3, 0, 0, 0}));       // Polygon, little-endian
        assertTrue(ParcelFileReader.isLinear2D(new byte[] {0, 0, 0, 0, 6}));       // MultiPolygon, big-endian
        assertFalse(ParcelFileReader.isLinear2D(new byte[] {1, (byte) 0xEB, 3, 0, 0})); // Polygon Z (1003)
        assertFalse(ParcelFileReader.isLinear2D(new byte[] {1, 10, 0, 0, 0}));     // CurvePolygon
        assertFalse(ParcelFileReader.isLinear2D(new byte[] {1, 7, 0, 0, 0}));      // GeometryCollection: ask GDAL
    }
}
