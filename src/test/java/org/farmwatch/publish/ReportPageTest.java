package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.publish.ReportPage.MapLayer;
import org.farmwatch.publish.ReportPage.ReportSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.algorithm.Orientation;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.util.AffineTransformation;

class ReportPageTest {

    private static final String EVIL = "</script><script>alert('x')</script>";

    @TempDir
    Path dir;

    static FlaggedParcel parcel(String id, String township, ChangeType type, double priority, String wkt) {
        Geometry g = InspectorListsTest.wkt(wkt);
        Coordinate c = g.getCentroid().getCoordinate();
        return new FlaggedParcel(id, "110108001", township, "0101 水田", type, "rule_" + type.code, 2000.0, 1234.56,
                1, List.of("cp-" + id), "cropland", "building", "2024-05-01", "2025-05-01", priority, c.x, c.y, g);
    }

    static List<FlaggedParcel> parcels() {
        return List.of(
                parcel("P-1", "海淀镇", ChangeType.NON_AGRICULTURAL, 0.9,
                        "POLYGON ((116.30 39.90, 116.30 39.91, 116.31 39.91, 116.31 39.90, 116.30 39.90))"),
                parcel("P-2", "<script>alert(1)</script>", ChangeType.NON_GRAIN, 0.5,
                        "MULTIPOLYGON (((116.32 39.90, 116.33 39.90, 116.33 39.91, 116.32 39.90)),"
                                + " ((116.34 39.90, 116.35 39.90, 116.35 39.91, 116.34 39.90)))"),
                parcel(EVIL, "东升镇 \"&'", ChangeType.OTHER, 0.1,
                        "POLYGON ((116.36 39.90, 116.38 39.90, 116.38 39.92, 116.36 39.92, 116.36 39.90),"
                                + " (116.365 39.905, 116.375 39.905, 116.375 39.915, 116.365 39.915, 116.365 39.905))"));
    }

    static ReportSummary summary(List<FlaggedParcel> parcels) {
        return new ReportSummary("run-2025-05-<b>", "2024-05-01", "2025-05-01",
                List.of("S2A_MSIL2A_20240501", "S2B_MSIL2A_20250501 <i>"), 1500, 42,
                ReportSummary.countByChangeType(parcels));
    }

    private String page() {
        List<FlaggedParcel> parcels = parcels();
        String geoJson = ReportPage.featureCollection(parcels, Function.identity());
        return ReportPage.html(summary(parcels), parcels, MapLayer.parcelsOnly(geoJson), Map.of());
    }

    @Test
    void escapesMarkupInData() {
        String html = page();
        assertFalse(html.contains("<script>alert"), "no script element from the data");
        assertFalse(html.contains("<b>\"") || html.contains("run-2025-05-<b>"), "run id escaped");
        assertFalse(html.contains("<i>"), "scene names escaped");
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "township escaped in text");
        assertTrue(html.contains("data-parcel=\"&lt;/script&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\""),
                "parcel id escaped in attribute");
        assertTrue(html.contains("东升镇 &quot;&amp;&#39;"));
        assertTrue(html.contains("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), "township escaped in JSON");
        // Four script elements: two JSON blocks, Leaflet and the page's own; data added none.
        assertEquals(4, count(html, "<script"));
        assertEquals(4, count(html, "</script>"));
        assertEquals(0, count(html, "<!--"));
    }

    @Test
    void callerGeoJsonCannotCloseTheScript() {
        String geoJson = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null,"
                + "\"properties\":{\"parcel_id\":\"</script><script>alert(1)</script><!--\"}}]}";
        String html = ReportPage.html(summary(List.of()), List.of(), MapLayer.parcelsOnly(geoJson), Map.of());
        assertEquals(4, count(html, "<script"));
        String block = scriptBlock(html, "fw-geojson");
        assertEquals("</script><script>alert(1)</script><!--",
                at(Json.parse(block), "features", 0, "properties", "parcel_id"));
    }

    @Test
    void inlinesLeafletAndLoadsNothing() throws IOException {
        String html = page();
        String leafletJs;
        try (InputStream in = getClass().getClassLoader()
                .getResourceAsStream("META-INF/resources/webjars/leaflet/1.9.4/dist/leaflet.js")) {
            leafletJs = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String body = leafletJs.substring(leafletJs.indexOf("!function"), leafletJs.indexOf("//# sourceMappingURL"));
        assertTrue(html.contains(body.strip()), "leaflet.js inlined whole");
        assertTrue(html.contains(".leaflet-container"), "leaflet.css inlined");
        assertFalse(html.contains("sourceMappingURL"));
        assertFalse(Pattern.compile("(?i)<(script|link|img|iframe)\\b[^>]*\\b(src|href)\\s*=\\s*[\"']?(https?:)?//")
                .matcher(html).find(), "no remote script, style or image");
        assertFalse(Pattern.compile("(?i)<script\\b[^>]*\\bsrc\\s*=").matcher(html).find(), "no script by src");
        assertFalse(Pattern.compile("(?i)<link\\b[^>]*rel=\"?stylesheet").matcher(html).find(), "no linked style");
        assertFalse(Pattern.compile("(?i)L\\.tileLayer\\(").matcher(html.substring(html.lastIndexOf("<script>")))
                .find(), "no tile layer");
        assertTrue(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    }

    @Test
    void pageHasTitleSummaryMapAndTable() {
        String html = page();
        assertTrue(html.contains("<title>耕地“非农化”“非粮化”监测报告 Farmland conversion report"));
        assertTrue(html.contains("<div id=\"map\""));
        assertTrue(html.contains("<table id=\"parcels\">"));
        assertEquals(ReportSections.TABLE_KEYS.size(), count(html.substring(html.indexOf("<table id=\"parcels\">"),
                html.indexOf("</thead>", html.indexOf("<table id=\"parcels\">"))), "<th "));
        assertTrue(html.contains("aria-sort=\"descending\" data-type=\"num\" title=\""));
        assertTrue(html.contains(">优先级(越大越先查) priority</th>"));
        assertTrue(html.indexOf("id=\"next-steps\"") < html.indexOf("<table id=\"parcels\">"), "next steps first");
        assertTrue(html.contains("import-verdicts"), "the next steps name the command");
        // Rows in priority order.
        int p1 = html.indexOf("data-parcel=\"P-1\"");
        int p2 = html.indexOf("data-parcel=\"P-2\"");
        assertTrue(p1 > 0 && p2 > p1);
        // By change type: one of each; by township: three rows.
        String byType = html.substring(html.indexOf("id=\"by-type\""), html.indexOf("</table>", html.indexOf("id=\"by-type\"")));
        assertEquals(3, count(byType, "<td class=\"num\">1</td>"));
        String byTownship = html.substring(html.indexOf("id=\"by-township\""),
                html.indexOf("</table>", html.indexOf("id=\"by-township\"")));
        assertEquals(3 + 1, count(byTownship, "<tr>"));
        assertFalse(html.contains("前/后影像"), "no chip column without chips");
    }

    @Test
    void featureCollectionIsValidGeoJson() {
        List<FlaggedParcel> parcels = parcels();
        Object fc = Json.parse(ReportPage.featureCollection(parcels, Function.identity()));
        assertEquals("FeatureCollection", at(fc, "type"));
        List<?> features = (List<?>) at(fc, "features");
        assertEquals(3, features.size());
        assertEquals("Polygon", at(fc, "features", 0, "geometry", "type"));
        assertEquals("MultiPolygon", at(fc, "features", 1, "geometry", "type"));
        assertEquals(2, ((List<?>) at(fc, "features", 1, "geometry", "coordinates")).size());
        assertEquals("P-1", at(fc, "features", 0, "properties", "parcel_id"));
        assertEquals(EVIL, at(fc, "features", 2, "properties", "parcel_id"));
        assertEquals("non_agricultural", at(fc, "features", 0, "properties", "change_type"));
        assertEquals(1.85, at(fc, "features", 0, "properties", "changed_area_mu"));
        assertEquals("cp-P-1", at(fc, "features", 0, "properties", "patch_ids"));
        // RFC 7946: outer rings anticlockwise, holes clockwise, whatever the input's orientation.
        List<?> rings = (List<?>) at(fc, "features", 0, "geometry", "coordinates");
        assertTrue(isCcw((List<?>) rings.get(0)));
        List<?> holed = (List<?>) at(fc, "features", 2, "geometry", "coordinates");
        assertEquals(2, holed.size());
        assertTrue(isCcw((List<?>) holed.get(0)));
        assertFalse(isCcw((List<?>) holed.get(1)));
        List<?> first = (List<?>) ((List<?>) rings.get(0)).get(0);
        assertEquals(List.of(116.3, 39.9), first);
    }

    @Test
    void featureCollectionHandlesMissingAndMixedGeometries() {
        FlaggedParcel none = new FlaggedParcel("N", "t", null, null, ChangeType.OTHER, null, 0, 0, 0, null, null,
                null, null, null, Double.NaN, Double.NaN, Double.NaN, null);
        FlaggedParcel mixed = parcel("M", "t", ChangeType.NON_GRAIN, 1,
                "GEOMETRYCOLLECTION (LINESTRING (116 39, 116.1 39.1),"
                        + " POLYGON ((116 39, 116.1 39, 116.1 39.1, 116 39)))");
        Object fc = Json.parse(ReportPage.featureCollection(List.of(none, mixed), Function.identity()));
        assertNull(at(fc, "features", 0, "geometry"));
        assertNull(at(fc, "features", 0, "properties", "priority"), "not-a-number becomes null");
        assertEquals("", at(fc, "features", 0, "properties", "patch_ids"));
        assertEquals("Polygon", at(fc, "features", 1, "geometry", "type"));
    }

    @Test
    void parcelsWithoutIdOrTownshipStillAppear() throws IOException {
        FlaggedParcel bare = new FlaggedParcel(null, null, null, null, null, null, 0, 0, 0, null, null, null, null,
                null, 0, Double.NaN, Double.NaN, null);
        List<FlaggedParcel> parcels = List.of(bare, parcels().get(0));
        MapLayer map = MapLayer.parcelsOnly(ReportPage.featureCollection(parcels, Function.identity()));
        String html = ReportPage.html(summary(parcels), parcels, map, Map.of("P-1", new String[] {null, null}));
        assertTrue(html.contains("<tr tabindex=\"0\" data-parcel=\"\" class=\"other\">"), "bare row, no centroid");
        assertTrue(html.contains(InspectorLists.UNKNOWN_TOWNSHIP));
        InspectorLists.write(parcels, dir);
        assertEquals(3, InspectorListsTest.readCsv(dir.resolve(InspectorLists.CSV_FILE)).size());
    }

    @Test
    void featureCollectionRejectsProjectedCoordinates() {
        FlaggedParcel projected = parcel("X", "t", ChangeType.NON_GRAIN, 1,
                "POLYGON ((500000 4400000, 500100 4400000, 500100 4400100, 500000 4400000))");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReportPage.featureCollection(List.of(projected), Function.identity()));
        assertTrue(e.getMessage().contains("parcel X"), e.getMessage());
        // The transform is applied: shifting into degrees makes the same parcel acceptable.
        AffineTransformation toDegrees = AffineTransformation.scaleInstance(1e-5, 1e-5);
        assertEquals(1, ((List<?>) at(Json.parse(ReportPage.featureCollection(List.of(projected),
                toDegrees::transform)), "features")).size());
    }

    @Test
    void embeddedGeoJsonAndConfigParse() {
        List<FlaggedParcel> parcels = parcels();
        MapLayer map = new MapLayer(ReportPage.featureCollection(parcels, Function.identity()),
                ReportPage.pngDataUri(new byte[] {1, 2, 3}), new double[] {116.29, 39.89, 116.39, 39.93});
        String html = ReportPage.html(summary(parcels), parcels, map, Map.of());
        assertEquals(3, ((List<?>) at(Json.parse(scriptBlock(html, "fw-geojson")), "features")).size());
        Object cfg = Json.parse(scriptBlock(html, "fw-config"));
        assertEquals("#e31a1c", at(cfg, "colors", "non_agricultural"));
        assertEquals("#ff7f00", at(cfg, "colors", "non_grain"));
        assertEquals(List.of(List.of(39.89, 116.29), List.of(39.93, 116.39)), at(cfg, "image", "bounds"));
        assertEquals("data:image/png;base64,AQID", at(cfg, "image", "url"));
    }

    @Test
    void chipsAppearBesideTheirParcels() {
        List<FlaggedParcel> parcels = parcels();
        String before = ReportPage.pngDataUri(new byte[] {9});
        Map<String, String[]> chips = new LinkedHashMap<>();
        chips.put("P-2", new String[] {before, null});
        String html = ReportPage.html(summary(parcels), parcels,
                MapLayer.parcelsOnly(ReportPage.featureCollection(parcels, Function.identity())), chips);
        assertTrue(html.contains("<th>前/后影像 before/after</th>"));
        String row = html.substring(html.indexOf("data-parcel=\"P-2\""));
        row = row.substring(0, row.indexOf("</tr>"));
        assertEquals(1, count(row, "<img class=\"chip\""));
        assertTrue(row.contains("src=\"" + before + "\""));
        chips.put("P-1", new String[] {"javascript:alert(1)", null});
        assertThrows(IllegalArgumentException.class, () -> ReportPage.html(summary(parcels), parcels,
                MapLayer.parcelsOnly("{}"), chips));
    }

    @Test
    void mapLayerChecksItsImage() {
        assertThrows(IllegalArgumentException.class, () -> new MapLayer("{}", "https://tiles.example/x.png",
                new double[] {116, 39, 117, 40}));
        assertThrows(IllegalArgumentException.class, () -> new MapLayer("{}", "data:image/png;base64,AA",
                new double[] {117, 39, 116, 40}));
        assertThrows(IllegalArgumentException.class, () -> new MapLayer("{}", "data:image/png;base64,AA",
                new double[] {500000, 4400000, 500100, 4400100}));
        assertThrows(IllegalArgumentException.class, () -> new MapLayer("{}", null, new double[] {116, 39, 117, 40}));
        assertThrows(IllegalArgumentException.class, () -> new MapLayer(" ", null, null));
    }

    @Test
    void writeReplacesTheFileAtomically() throws IOException {
        Path file = dir.resolve("out/report.html");
        List<FlaggedParcel> parcels = parcels();
        MapLayer map = MapLayer.parcelsOnly(ReportPage.featureCollection(parcels, Function.identity()));
        ReportPage.write(file, summary(parcels), parcels, map);
        ReportPage.write(file, summary(parcels), parcels.subList(0, 1), map);
        String html = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("标记地块 Flagged parcels (1)"));
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList());
        }
    }

    // ---- helpers ----

    static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    static String scriptBlock(String html, String id) {
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"" + id + "\">(.*?)</script>",
                Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), id);
        return m.group(1);
    }

    /** Walks parsed JSON by object keys and list indices. */
    static Object at(Object json, Object... path) {
        Object o = json;
        for (Object step : path) {
            o = step instanceof Integer i ? ((List<?>) o).get(i) : ((Map<?, ?>) o).get(step);
        }
        return o;
    }

    private static boolean isCcw(List<?> ring) {
        Coordinate[] cs = ring.stream().map(p -> (List<?>) p)
                .map(p -> new Coordinate((Double) p.get(0), (Double) p.get(1))).toArray(Coordinate[]::new);
        return Orientation.isCCW(cs);
    }

    /**
     * A strict JSON parser (RFC 8259) for the tests: objects become maps, arrays lists, numbers
     * doubles. Anything else, trailing text included, fails.
     */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.space();
            if (p.i != text.length()) {
                throw p.error("trailing text");
            }
            return v;
        }

        private Object value() {
            space();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    space();
                    if (peek('}')) {
                        return m;
                    }
                    do {
                        space();
                        String k = string();
                        space();
                        expect(':');
                        if (m.put(k, value()) != null) {
                            throw error("duplicate key " + k);
                        }
                        space();
                    } while (peek(','));
                    expect('}');
                    return m;
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    space();
                    if (peek(']')) {
                        return l;
                    }
                    do {
                        l.add(value());
                        space();
                    } while (peek(','));
                    expect(']');
                    return l;
                }
                case '"':
                    return string();
                default:
                    for (String lit : new String[] {"true", "false", "null"}) {
                        if (s.startsWith(lit, i)) {
                            i += lit.length();
                            return lit.equals("null") ? null : Boolean.valueOf(lit);
                        }
                    }
                    Matcher m = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?").matcher(s);
                    if (m.find(i) && m.start() == i && m.end() > i) {
                        i = m.end();
                        return Double.valueOf(m.group());
                    }
                    throw error("unexpected character");
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw error("raw control character in string");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private void space() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + ": "
                    + s.substring(Math.max(0, i - 20), Math.min(s.length(), i + 20)));
        }
    }
}
