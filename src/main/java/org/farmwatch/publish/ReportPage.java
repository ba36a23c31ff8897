package org.farmwatch.publish;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;

import org.farmwatch.util.FarmwatchException;
import org.locationtech.jts.algorithm.Orientation;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.CoordinateSequence;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.util.PolygonExtracter;

/**
 * Writes {@code report.html}: one self-contained page for inspectors without internet, with the
 * run's summary, a Leaflet map of the flagged parcels over an optional true-colour background, and
 * a sortable table of the parcels with the same columns as {@link InspectorLists}.
 *
 * <p>The page loads nothing: Leaflet's script and style are inlined from the webjar on the
 * classpath, images are {@code data:} URIs, there is no tile layer, and a Content-Security-Policy
 * forbids any fetch. Text from the data is HTML-escaped, and JSON inside scripts has {@code <},
 * {@code >} and {@code &} escaped so that no value can close the script element.
 */
public final class ReportPage {

    public static final String FILE = "report.html";

    /** Map colours by {@link ChangeType#code}: ColorBrewer Paired red and orange, and grey for the rest. */
    static final Map<ChangeType, String> COLOURS = Collections.unmodifiableMap(new EnumMap<>(Map.of(
            ChangeType.NON_AGRICULTURAL, "#e31a1c",
            ChangeType.NON_GRAIN, "#ff7f00",
            ChangeType.OTHER, "#969696",
            ChangeType.BARE_SOIL, "#c9a66b",
            ChangeType.LOW_CONFIDENCE, "#bdbdbd")));

    private static final String WEBJAR = "META-INF/resources/webjars/leaflet/";
    private static final String WEBJAR_POM = "META-INF/maven/org.webjars.npm/leaflet/pom.properties";
    private static final Pattern SOURCE_MAP = Pattern.compile("(?m)^\\s*(//|/\\*)# sourceMappingURL=.*$");

    private ReportPage() {}

    /**
     * What the map shows. Immutable.
     *
     * @param geoJson the flagged parcels as a GeoJSON FeatureCollection in longitude/latitude
     *     (EPSG:4326 with x = longitude), each feature with a {@code parcel_id} and
     *     {@code change_type} property, as {@link #featureCollection} writes it
     * @param imageDataUri an optional true-colour background as a {@code data:image/...} URI, or null
     * @param imageBoundsLonLat the background's bounds {west, south, east, north} in degrees, or null
     *     when there is no background
     */
    public record MapLayer(String geoJson, String imageDataUri, double[] imageBoundsLonLat) {

        public MapLayer {
            if (geoJson == null || geoJson.isBlank()) {
                throw new IllegalArgumentException("geoJson must be a GeoJSON FeatureCollection, got: " + geoJson);
            }
            if (imageDataUri == null) {
                if (imageBoundsLonLat != null) {
                    throw new IllegalArgumentException("imageBoundsLonLat given without imageDataUri");
                }
            } else {
                if (!imageDataUri.startsWith("data:image/")) {
                    throw new IllegalArgumentException("imageDataUri must be a data:image/ URI, got: "
                            + abbreviated(imageDataUri));
                }
                imageBoundsLonLat = checkedBounds(imageBoundsLonLat);
            }
        }

        /** A map of the parcels alone, on a plain background. */
        public static MapLayer parcelsOnly(String geoJson) {
            return new MapLayer(geoJson, null, null);
        }

        /** A map of the parcels over a PNG background with bounds {west, south, east, north} in degrees. */
        public static MapLayer overPng(String geoJson, byte[] png, double[] boundsLonLat) {
            return new MapLayer(geoJson, pngDataUri(png), boundsLonLat);
        }

        @Override
        public double[] imageBoundsLonLat() {
            return imageBoundsLonLat == null ? null : imageBoundsLonLat.clone();
        }

        private static double[] checkedBounds(double[] b) {
            if (b == null || b.length != 4) {
                throw new IllegalArgumentException("imageBoundsLonLat must be {west, south, east, north}, got: "
                        + Arrays.toString(b));
            }
            boolean ok = Arrays.stream(b).allMatch(Double::isFinite)
                    && b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] < b[2] && b[1] < b[3];
            if (!ok) {
                throw new IllegalArgumentException(
                        "imageBoundsLonLat must be {west, south, east, north} in degrees with west < east and"
                                + " south < north, got: " + Arrays.toString(b));
            }
            return b.clone();
        }
    }

    /**
     * The run's headline numbers. Immutable.
     *
     * @param runId the run's identifier
     * @param beforeDate the earlier period, as the run names it (e.g. {@code 2024-05-01})
     * @param afterDate the later period
     * @param sceneNames the satellite scenes the composites were made from
     * @param parcelsChecked how many farmland parcels the run checked
     * @param patchCount how many change patches the run found
     * @param flaggedByChangeType how many parcels the run flagged, by change type
     */
    public record ReportSummary(String runId, String beforeDate, String afterDate, List<String> sceneNames,
            long parcelsChecked, long patchCount, Map<ChangeType, Long> flaggedByChangeType) {

        public ReportSummary {
            if (runId == null || runId.isBlank()) {
                throw new IllegalArgumentException("runId must not be blank, got: " + runId);
            }
            Objects.requireNonNull(beforeDate, "beforeDate");
            Objects.requireNonNull(afterDate, "afterDate");
            sceneNames = List.copyOf(Objects.requireNonNull(sceneNames, "sceneNames"));
            if (parcelsChecked < 0) {
                throw new IllegalArgumentException("parcelsChecked must not be negative, got: " + parcelsChecked);
            }
            if (patchCount < 0) {
                throw new IllegalArgumentException("patchCount must not be negative, got: " + patchCount);
            }
            EnumMap<ChangeType, Long> counts = new EnumMap<>(ChangeType.class);
            for (Map.Entry<ChangeType, Long> e : Objects.requireNonNull(flaggedByChangeType, "flaggedByChangeType")
                    .entrySet()) {
                if (e.getKey() == null || e.getValue() == null || e.getValue() < 0) {
                    throw new IllegalArgumentException(
                            "flaggedByChangeType must map change types to counts >= 0, got: " + flaggedByChangeType);
                }
                counts.put(e.getKey(), e.getValue());
            }
            flaggedByChangeType = Collections.unmodifiableMap(counts);
        }

        /** Number of flagged parcels of each change type, for {@code flaggedByChangeType}. */
        public static Map<ChangeType, Long> countByChangeType(List<FlaggedParcel> parcels) {
            Map<ChangeType, Long> counts = new EnumMap<>(ChangeType.class);
            InspectorLists.countByType(parcels).forEach((t, n) -> counts.put(t, (long) n));
            return counts;
        }

        public long flaggedTotal() {
            return flaggedByChangeType.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Writes the report page to {@code file}, replacing it atomically.
     *
     * @throws FarmwatchException if the file cannot be written or Leaflet is not on the classpath
     */
    public static void write(Path file, ReportSummary summary, List<FlaggedParcel> parcels, MapLayer map) {
        write(file, summary, parcels, map, Map.of());
    }

    /**
     * Writes the report page with before/after image chips beside each parcel in the table.
     *
     * @param chips by parcel id, {before, after} as {@code data:image/...} URIs; either may be null,
     *     and parcels without an entry show no chips
     */
    public static void write(Path file, ReportSummary summary, List<FlaggedParcel> parcels, MapLayer map,
            Map<String, String[]> chips) {
        Objects.requireNonNull(file, "file");
        byte[] page = html(summary, parcels, map, chips).getBytes(StandardCharsets.UTF_8);
        InspectorLists.writeAtomically(file, out -> out.write(page));
    }

    /** The page as text. */
    static String html(ReportSummary summary, List<FlaggedParcel> parcels, MapLayer map, Map<String, String[]> chips) {
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(parcels, "parcels");
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(chips, "chips");
        Leaflet leaflet = Leaflet.get();
        List<FlaggedParcel> sorted = new ArrayList<>(parcels);
        sorted.sort(InspectorLists.PRIORITY_ORDER);
        boolean withChips = sorted.stream().anyMatch(p -> p.parcelId() != null && chips.containsKey(p.parcelId()));

        StringBuilder h = new StringBuilder(256 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                // No fetch of any kind: the page must behave the same offline, and a stray URL fails loudly.
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n")
                .append("<title>耕地“非农化”“非粮化”监测报告 Farmland conversion report · ")
                .append(esc(summary.runId())).append("</title>\n")
                .append("<link rel=\"icon\" href=\"data:,\">\n")
                .append("<style>\n").append(leaflet.css()).append("\n</style>\n")
                .append("<style>\n").append(PAGE_CSS).append("</style>\n</head>\n<body>\n");

        h.append("<header>\n<h1>耕地“非农化”“非粮化”监测报告 <span class=\"en\">Farmland conversion report</span></h1>\n")
                .append("<p class=\"meta\">运行 run <b>").append(esc(summary.runId())).append("</b> · 前时相 before <b>")
                .append(esc(summary.beforeDate())).append("</b> · 后时相 after <b>").append(esc(summary.afterDate()))
                .append("</b></p>\n</header>\n<main>\n<section class=\"top\">\n<div class=\"side\">\n");
        appendSummary(h, summary, sorted);
        h.append("</div>\n<div id=\"map\" class=\"map\" role=\"region\" aria-label=\"地图 map\"></div>\n</section>\n");
        appendParcelTable(h, sorted, withChips ? chips : Map.of());
        h.append("</main>\n");

        h.append("<script type=\"application/json\" id=\"fw-geojson\">").append(scriptJson(map.geoJson()))
                .append("</script>\n<script type=\"application/json\" id=\"fw-config\">").append(configJson(map))
                .append("</script>\n<script>\n").append(leaflet.js()).append("\n</script>\n<script>\n").append(PAGE_JS)
                .append("</script>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void appendSummary(StringBuilder h, ReportSummary s, List<FlaggedParcel> sorted) {
        h.append("<h2>概况 Summary</h2>\n<table class=\"kv\">\n")
                .append("<tr><th>检查地块 parcels checked</th><td class=\"num\">").append(s.parcelsChecked())
                .append("</td></tr>\n<tr><th>变化图斑 change patches</th><td class=\"num\">").append(s.patchCount())
                .append("</td></tr>\n<tr><th>标记地块 flagged parcels</th><td class=\"num\">").append(s.flaggedTotal())
                .append("</td></tr>\n</table>\n");

        h.append("<h3>按变化类型 By change type</h3>\n<table class=\"counts\" id=\"by-type\">\n")
                .append("<thead><tr><th>变化类型 change type</th><th>地块 parcels</th></tr></thead>\n<tbody>\n");
        for (ChangeType t : ChangeType.FLAGGING) {
            h.append("<tr><td><span class=\"swatch\" style=\"background:").append(COLOURS.get(t))
                    .append("\"></span>").append(esc(t.chinese)).append(' ').append(esc(t.code))
                    .append("</td><td class=\"num\">").append(s.flaggedByChangeType().getOrDefault(t, 0L))
                    .append("</td></tr>\n");
        }
        h.append("</tbody>\n</table>\n");

        h.append("<h3>按乡镇 By township</h3>\n<table class=\"counts\" id=\"by-township\">\n<thead><tr><th>乡镇 township</th>");
        for (ChangeType t : ChangeType.FLAGGING) {
            h.append("<th title=\"").append(esc(t.code)).append("\">").append(esc(t.chinese)).append("</th>");
        }
        h.append("<th>合计 total</th><th>亩 mu</th></tr></thead>\n<tbody>\n");
        for (Map.Entry<String, List<FlaggedParcel>> e : InspectorLists.byTownship(sorted).entrySet()) {
            Map<ChangeType, Integer> counts = InspectorLists.countByType(e.getValue());
            h.append("<tr><td>").append(esc(e.getKey())).append("</td>");
            for (ChangeType t : ChangeType.FLAGGING) {
                h.append("<td class=\"num\">").append(counts.getOrDefault(t, 0)).append("</td>");
            }
            h.append("<td class=\"num\">").append(e.getValue().size()).append("</td><td class=\"num\">")
                    .append(BigDecimal.valueOf(InspectorLists.sumMu(e.getValue())).setScale(2, RoundingMode.HALF_UP)
                            .toPlainString())
                    .append("</td></tr>\n");
        }
        h.append("</tbody>\n</table>\n");

        h.append("<details class=\"scenes\"><summary>影像 scenes (").append(s.sceneNames().size())
                .append(")</summary>\n<ul>\n");
        for (String scene : s.sceneNames()) {
            h.append("<li>").append(esc(scene)).append("</li>\n");
        }
        h.append("</ul>\n</details>\n");
    }

    private static void appendParcelTable(StringBuilder h, List<FlaggedParcel> sorted, Map<String, String[]> chips) {
        h.append("<section class=\"parcels\">\n<h2>标记地块 Flagged parcels (").append(sorted.size()).append(")</h2>\n")
                .append("<p class=\"hint\">点击表头排序，点击一行在地图上定位该地块。")
                .append(" Click a header to sort; click a row to zoom the map to the parcel.</p>\n")
                .append("<div class=\"table-wrap\">\n<table id=\"parcels\">\n<thead><tr>");
        for (ListColumn<FlaggedParcel> c : InspectorLists.COLUMNS) {
            // The rows start in priority order, highest first; the header says so.
            String sort = propertyName(c).equals("priority") ? "descending" : "none";
            h.append("<th tabindex=\"0\" aria-sort=\"").append(sort).append("\" data-type=\"")
                    .append(c.numeric() ? "num" : "text")
                    .append("\">").append(esc(c.header())).append("</th>");
        }
        if (!chips.isEmpty()) {
            h.append("<th>前/后影像 before/after</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (FlaggedParcel p : sorted) {
            h.append("<tr tabindex=\"0\" data-parcel=\"").append(esc(Objects.toString(p.parcelId(), ""))).append('"');
            if (Double.isFinite(p.centroidLon()) && Double.isFinite(p.centroidLat())) {
                // CGCS2000 and WGS 84 differ by centimetres: close enough to zoom to a parcel the map lacks.
                h.append(" data-lon=\"").append(p.centroidLon()).append("\" data-lat=\"").append(p.centroidLat())
                        .append('"');
            }
            h.append(" class=\"").append(esc(p.changeType() == null ? "other" : p.changeType().code)).append("\">");
            for (ListColumn<FlaggedParcel> c : InspectorLists.COLUMNS) {
                Object cell = c.cell(p);
                if (c.numeric()) {
                    String v = cell == null ? "" : ((BigDecimal) cell).toPlainString();
                    h.append("<td class=\"num\" data-v=\"").append(v).append("\">").append(v).append("</td>");
                } else {
                    h.append("<td>").append(esc((String) cell)).append("</td>");
                }
            }
            if (!chips.isEmpty()) {
                h.append("<td class=\"chips\">");
                String[] pair = p.parcelId() == null ? null : chips.get(p.parcelId());
                if (pair != null) {
                    appendChip(h, p.parcelId(), pair.length > 0 ? pair[0] : null, "前 before");
                    appendChip(h, p.parcelId(), pair.length > 1 ? pair[1] : null, "后 after");
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n</div>\n</section>\n");
    }

    private static void appendChip(StringBuilder h, String parcelId, String dataUri, String label) {
        if (dataUri == null) {
            return;
        }
        if (!dataUri.startsWith("data:image/")) {
            throw new IllegalArgumentException("chip of parcel " + parcelId + " must be a data:image/ URI, got: "
                    + abbreviated(dataUri));
        }
        h.append("<img class=\"chip\" width=\"72\" height=\"72\" alt=\"").append(esc(label)).append("\" title=\"")
                .append(esc(label)).append("\" src=\"").append(esc(dataUri)).append("\">");
    }

    private static String configJson(MapLayer map) {
        StringBuilder j = new StringBuilder("{\"colors\":{");
        for (ChangeType t : ChangeType.values()) {
            j.append(jsonString(t.code)).append(':').append(jsonString(COLOURS.get(t))).append(',');
        }
        j.setLength(j.length() - 1);
        j.append("},\"labels\":{");
        // The legend of the map, which draws flagged parcels only: the types a parcel can have.
        for (ChangeType t : ChangeType.FLAGGING) {
            j.append(jsonString(t.code)).append(':').append(jsonString(t.chinese + " " + t.code)).append(',');
        }
        j.setLength(j.length() - 1);
        j.append("},\"image\":");
        if (map.imageDataUri() == null) {
            j.append("null");
        } else {
            double[] b = map.imageBoundsLonLat();
            // Leaflet wants [[south, west], [north, east]] in latitude, longitude order.
            j.append("{\"url\":").append(jsonString(map.imageDataUri())).append(",\"bounds\":[[").append(b[1])
                    .append(',').append(b[0]).append("],[").append(b[3]).append(',').append(b[2]).append("]]}");
        }
        return scriptJson(j.append('}').toString());
    }

    // ---- GeoJSON ----

    /**
     * The parcels as a GeoJSON FeatureCollection (RFC 7946) for {@link MapLayer#geoJson}. Each
     * feature's geometry is {@code toLonLat} applied to the parcel's geometry, which must give
     * x = longitude and y = latitude in degrees; polygons are written as Polygon or MultiPolygon
     * with outer rings anticlockwise, other geometry types keep only their polygons, and parcels
     * without polygons get a null geometry. Properties are the list's columns, keyed by their
     * English names ({@code parcel_id}, {@code change_type}, ...), plus {@code from_classes} and
     * {@code to_classes}. Coordinates keep 7 decimals, about a centimetre.
     *
     * @throws IllegalArgumentException if a transformed coordinate is not a longitude and latitude
     */
    public static String featureCollection(List<FlaggedParcel> parcels, Function<Geometry, Geometry> toLonLat) {
        Objects.requireNonNull(parcels, "parcels");
        Objects.requireNonNull(toLonLat, "toLonLat");
        StringBuilder j = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
        for (int i = 0; i < parcels.size(); i++) {
            FlaggedParcel p = parcels.get(i);
            if (i > 0) {
                j.append(',');
            }
            j.append("{\"type\":\"Feature\",\"id\":").append(jsonString(p.parcelId())).append(",\"geometry\":");
            Geometry g = p.geometry() == null || p.geometry().isEmpty() ? null : toLonLat.apply(p.geometry());
            appendGeometry(j, g, p.parcelId());
            j.append(",\"properties\":{");
            for (ListColumn<FlaggedParcel> c : InspectorLists.COLUMNS) {
                j.append(jsonString(propertyName(c))).append(':');
                Object cell = c.cell(p);
                j.append(cell instanceof BigDecimal d ? d.toPlainString()
                        : cell == null ? "null" : jsonString((String) cell)).append(',');
            }
            j.append("\"from_classes\":").append(jsonString(p.fromClasses()))
                    .append(",\"to_classes\":").append(jsonString(p.toClasses())).append("}}");
        }
        return j.append("]}").toString();
    }

    /** The English half of a bilingual header, such as {@code parcel_id}. */
    static String propertyName(ListColumn<?> c) {
        return c.header().substring(c.header().lastIndexOf(' ') + 1);
    }

    private static void appendGeometry(StringBuilder j, Geometry g, String parcelId) {
        List<Polygon> polygons = new ArrayList<>();
        if (g != null) {
            for (Object o : PolygonExtracter.getPolygons(g)) {
                if (!((Polygon) o).isEmpty()) {
                    polygons.add((Polygon) o);
                }
            }
        }
        if (polygons.isEmpty()) {
            j.append("null");
        } else if (polygons.size() == 1 && !(g instanceof MultiPolygon)) {
            j.append("{\"type\":\"Polygon\",\"coordinates\":");
            appendPolygon(j, polygons.get(0), parcelId);
            j.append('}');
        } else {
            j.append("{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (int i = 0; i < polygons.size(); i++) {
                if (i > 0) {
                    j.append(',');
                }
                appendPolygon(j, polygons.get(i), parcelId);
            }
            j.append("]}");
        }
    }

    private static void appendPolygon(StringBuilder j, Polygon p, String parcelId) {
        j.append('[');
        appendRing(j, p.getExteriorRing(), true, parcelId);
        for (int i = 0; i < p.getNumInteriorRing(); i++) {
            j.append(',');
            appendRing(j, p.getInteriorRingN(i), false, parcelId);
        }
        j.append(']');
    }

    /** RFC 7946 §3.1.6: outer rings anticlockwise, holes clockwise. */
    private static void appendRing(StringBuilder j, LinearRing ring, boolean outer, String parcelId) {
        CoordinateSequence seq = ring.getCoordinateSequence();
        int n = seq.size();
        boolean reverse = n >= 4 && Orientation.isCCW(seq) != outer;
        j.append('[');
        for (int k = 0; k < n; k++) {
            Coordinate c = seq.getCoordinate(reverse ? n - 1 - k : k);
            if (!(c.x >= -180 && c.x <= 180 && c.y >= -90 && c.y <= 90)) {
                throw new IllegalArgumentException("parcel " + parcelId + ": coordinate (" + c.x + ", " + c.y
                        + ") is not longitude, latitude in degrees; does toLonLat transform from the working CRS?");
            }
            if (k > 0) {
                j.append(',');
            }
            j.append('[').append(degrees(c.x)).append(',').append(degrees(c.y)).append(']');
        }
        j.append(']');
    }

    private static String degrees(double v) {
        return Double.toString(Math.rint(v * 1e7) / 1e7);
    }

    // ---- escaping ----

    /** HTML text or attribute value, escaped; null becomes empty. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        s = org.farmwatch.util.Text.listSafe(s); // no bidi override reorders the page, no control character reaches it
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            String rep = switch (ch) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep != null && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (rep != null) {
                    b.append(rep);
                } else {
                    b.append(ch);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** A JSON string literal, with {@code < > &} and line separators escaped so it is safe inside a script. */
    static String jsonString(String s) {
        if (s == null) {
            return "null";
        }
        s = org.farmwatch.util.Text.listSafe(s); // the page's script shows these values: neutralised as in esc
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&' || ch == '\u2028' || ch == '\u2029') {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * JSON text made safe to sit inside a script element: {@code <}, {@code >} and {@code &} can only
     * occur inside JSON strings, where their {@code \\u} escapes mean the same, so no value can
     * write {@code </script>} or {@code <!--}.
     */
    static String scriptJson(String json) {
        StringBuilder b = new StringBuilder(json.length() + 64);
        for (int i = 0; i < json.length(); i++) {
            char ch = json.charAt(i);
            switch (ch) {
                case '<' -> b.append("\\u003c");
                case '>' -> b.append("\\u003e");
                case '&' -> b.append("\\u0026");
                case '\u2028' -> b.append("\\u2028");
                case '\u2029' -> b.append("\\u2029");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    /** A PNG as a {@code data:} URI, for {@link MapLayer#imageDataUri} and chips. */
    public static String pngDataUri(byte[] png) {
        Objects.requireNonNull(png, "png");
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    private static String abbreviated(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }

    // ---- Leaflet and the page's own style and script ----

    /** Leaflet's script and style from the webjar, made safe to inline. */
    record Leaflet(String js, String css) {

        private static volatile Leaflet loaded;

        /** Reads the webjar once; a missing webjar fails every call, not just the first. */
        static Leaflet get() {
            Leaflet l = loaded;
            if (l == null) {
                String version = webjarVersion();
                l = new Leaflet(inlineable(resource(version, "leaflet.js"), "script"),
                        inlineable(resource(version, "leaflet.css"), "style"));
                loaded = l;
            }
            return l;
        }

        private static String webjarVersion() {
            try (InputStream in = ReportPage.class.getClassLoader().getResourceAsStream(WEBJAR_POM)) {
                if (in != null) {
                    Properties props = new Properties();
                    props.load(in);
                    return props.getProperty("version", "1.9.4");
                }
            } catch (IOException e) {
                // fall back to the version the pom names
            }
            return "1.9.4";
        }

        private static String resource(String version, String name) {
            String path = WEBJAR + version + "/dist/" + name;
            try (InputStream in = ReportPage.class.getClassLoader().getResourceAsStream(path)) {
                if (in == null) {
                    throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                            "Leaflet is not on the classpath: missing " + path + " (org.webjars.npm:leaflet)");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot read " + path, e);
            }
        }

        /**
         * Drops the source-map comment (the browser would try to fetch the map when its tools are
         * open) and breaks any closing tag of the element the text will sit in.
         */
        private static String inlineable(String text, String element) {
            String t = SOURCE_MAP.matcher(text).replaceAll("");
            return Pattern.compile("</(" + element + ")", Pattern.CASE_INSENSITIVE).matcher(t).replaceAll("<\\\\/$1");
        }
    }

    private static final String PAGE_CSS = """
            body { margin: 0; font: 14px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
                   color: #1b1f23; background: #f6f7f8; }
            header { padding: 10px 16px 6px; background: #24475c; color: #fff; }
            h1 { margin: 0; font-size: 20px; } h1 .en { font-weight: normal; font-size: 15px; opacity: .85; }
            .meta { margin: 2px 0 0; font-size: 13px; }
            main { padding: 10px 16px 24px; }
            h2 { font-size: 16px; margin: 4px 0 6px; } h3 { font-size: 14px; margin: 12px 0 4px; }
            .top { display: flex; gap: 14px; align-items: stretch; }
            .side { flex: 0 0 330px; max-height: 66vh; overflow: auto; }
            .map { flex: 1 1 auto; height: 66vh; min-height: 380px; background: #dde3e6;
                   border: 1px solid #b9c2c8; }
            @media (max-width: 800px) { .top { flex-direction: column; } .side { flex: none; max-height: none; } }
            table { border-collapse: collapse; background: #fff; }
            th, td { border: 1px solid #d4d9dd; padding: 3px 6px; text-align: left; vertical-align: top; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            .kv th { font-weight: normal; background: #eef2f4; }
            .counts { width: 100%; font-size: 13px; }
            .counts th { background: #eef2f4; }
            .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px;
                      border: 1px solid rgba(0,0,0,.3); }
            .scenes { margin-top: 10px; font-size: 12px; } .scenes ul { margin: 4px 0; padding-left: 18px; }
            .parcels { margin-top: 16px; } .hint { margin: 0 0 6px; color: #555; font-size: 13px; }
            .table-wrap { overflow: auto; max-height: 80vh; border: 1px solid #d4d9dd; }
            #parcels { font-size: 13px; min-width: 100%; }
            #parcels thead th { position: sticky; top: 0; background: #e4eaee; cursor: pointer; user-select: none;
                                white-space: nowrap; }
            #parcels th[aria-sort="ascending"]::after { content: " ▲"; }
            #parcels th[aria-sort="descending"]::after { content: " ▼"; }
            #parcels tbody tr { cursor: pointer; }
            #parcels tbody tr:hover { background: #f0f6fa; }
            #parcels tbody tr.selected { background: #fff3c4; }
            #parcels tr.non_agricultural td:first-child { border-left: 4px solid #e31a1c; }
            #parcels tr.non_grain td:first-child { border-left: 4px solid #ff7f00; }
            #parcels tr.other td:first-child { border-left: 4px solid #969696; }
            td.chips { white-space: nowrap; }
            .chip { margin-right: 3px; border: 1px solid #999; image-rendering: pixelated; }
            .legend { background: rgba(255,255,255,.9); padding: 4px 8px; border-radius: 4px; font-size: 12px;
                      line-height: 18px; }
            .map-message { padding: 12px; color: #8a1c1c; }
            """;

    /** The page's script: plain ES5 so that older browsers on inspectors' laptops run it too. */
    private static final String PAGE_JS = """
            (function () {
              'use strict';
              var mapEl = document.getElementById('map');
              var table = document.getElementById('parcels');
              var cfg = JSON.parse(document.getElementById('fw-config').textContent);
              var collator = (window.Intl && Intl.Collator)
                  ? new Intl.Collator('zh-CN', {numeric: true})
                  : {compare: function (a, b) { return a < b ? -1 : a > b ? 1 : 0; }};

              // ---- the map ----
              var map = L.map(mapEl, {attributionControl: false, minZoom: 2, maxZoom: 20, zoomSnap: 0.25});
              var byId = {};
              var selectedLayer = null;
              var imageBounds = null;
              if (cfg.image) {
                imageBounds = L.latLngBounds(cfg.image.bounds);
                L.imageOverlay(cfg.image.url, imageBounds, {interactive: false, alt: '背景影像 background image'})
                    .addTo(map);
              }
              function colour(type) {
                return cfg.colors[type] || cfg.colors.other;
              }
              function style(feature) {
                var c = colour(feature.properties && feature.properties.change_type);
                return {color: c, weight: 2, opacity: 1, fillColor: c, fillOpacity: 0.25};
              }
              function line(parent, text) {
                var div = document.createElement('div');
                div.textContent = text;
                parent.appendChild(div);
              }
              function tooltip(props) {
                var el = document.createElement('div');
                var b = document.createElement('b');
                b.textContent = String(props.parcel_id);
                el.appendChild(b);
                line(el, (props.township || '') + ' · ' + (cfg.labels[props.change_type] || props.change_type || ''));
                if (props.changed_area_mu != null) {
                  line(el, props.changed_area_mu + ' 亩 mu · ' + props.changed_area_m2 + ' m²');
                }
                if (props.from_classes || props.to_classes) {
                  line(el, (props.from_classes || '?') + ' → ' + (props.to_classes || '?'));
                }
                return el;
              }
              var parcels = null;
              try {
                parcels = L.geoJSON(JSON.parse(document.getElementById('fw-geojson').textContent), {
                  style: style,
                  onEachFeature: function (feature, layer) {
                    var props = feature.properties || {};
                    if (props.parcel_id == null) {
                      return;
                    }
                    var id = String(props.parcel_id);
                    byId[id] = layer;
                    layer.bindTooltip(tooltip(props), {sticky: true});
                    layer.on('click', function () { select(id, false); });
                  }
                }).addTo(map);
              } catch (e) {
                var msg = document.createElement('div');
                msg.className = 'map-message';
                msg.textContent = '地图数据无法读取 The map data could not be read: ' + e.message;
                mapEl.appendChild(msg);
              }
              var legend = L.control({position: 'bottomright'});
              legend.onAdd = function () {
                var el = L.DomUtil.create('div', 'legend');
                Object.keys(cfg.labels).forEach(function (code) {
                  var row = document.createElement('div');
                  var sw = document.createElement('span');
                  sw.className = 'swatch';
                  sw.style.background = colour(code);
                  row.appendChild(sw);
                  row.appendChild(document.createTextNode(cfg.labels[code]));
                  el.appendChild(row);
                });
                return el;
              };
              legend.addTo(map);
              var parcelBounds = parcels && parcels.getLayers().length ? parcels.getBounds() : null;
              if (parcelBounds && parcelBounds.isValid()) {
                map.fitBounds(parcelBounds, {padding: [24, 24], maxZoom: 18});
              } else if (imageBounds) {
                map.fitBounds(imageBounds);
              } else {
                map.setView([35, 105], 4);
              }

              // ---- linking rows and parcels ----
              function rowOf(id) {
                var rows = table.tBodies[0].rows;
                for (var i = 0; i < rows.length; i++) {
                  if (rows[i].getAttribute('data-parcel') === id) {
                    return rows[i];
                  }
                }
                return null;
              }
              function select(id, fromTable) {
                var rows = table.querySelectorAll('tbody tr.selected');
                for (var i = 0; i < rows.length; i++) {
                  rows[i].classList.remove('selected');
                }
                var row = rowOf(id);
                if (row) {
                  row.classList.add('selected');
                  if (!fromTable) {
                    row.scrollIntoView({block: 'nearest'});
                  }
                }
                if (selectedLayer && parcels) {
                  parcels.resetStyle(selectedLayer);
                }
                selectedLayer = byId[id] || null;
                if (selectedLayer) {
                  selectedLayer.setStyle({weight: 4, fillOpacity: 0.1});
                  selectedLayer.bringToFront();
                }
                if (fromTable) {
                  if (selectedLayer && selectedLayer.getBounds) {
                    map.fitBounds(selectedLayer.getBounds(), {padding: [40, 40], maxZoom: 18});
                  } else if (row && row.hasAttribute('data-lat')) {
                    map.setView([parseFloat(row.getAttribute('data-lat')), parseFloat(row.getAttribute('data-lon'))], 17);
                  }
                  mapEl.scrollIntoView({block: 'nearest'});
                }
              }
              function onRow(e) {
                var row = e.target.closest('tbody tr');
                if (row && (e.type === 'click' || e.key === 'Enter')) {
                  select(row.getAttribute('data-parcel'), true);
                }
              }
              table.tBodies[0].addEventListener('click', onRow);
              table.tBodies[0].addEventListener('keydown', onRow);

              // ---- sorting ----
              var headers = table.tHead.rows[0].cells;
              function sortBy(col) {
                var th = headers[col];
                var ascending = th.getAttribute('aria-sort') !== 'ascending';
                var numeric = th.getAttribute('data-type') === 'num';
                for (var i = 0; i < headers.length; i++) {
                  if (headers[i].hasAttribute('aria-sort')) {
                    headers[i].setAttribute('aria-sort', 'none');
                  }
                }
                th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
                var body = table.tBodies[0];
                var keyed = Array.prototype.map.call(body.rows, function (row, index) {
                  var cell = row.cells[col];
                  var v = numeric ? cell.getAttribute('data-v') : cell.textContent;
                  return {row: row, index: index, key: numeric ? (v === '' || v === null ? NaN : parseFloat(v)) : v};
                });
                keyed.sort(function (a, b) {
                  var d;
                  if (numeric) {
                    // Blanks go last whichever way the column is sorted.
                    if (isNaN(a.key) || isNaN(b.key)) {
                      return isNaN(a.key) === isNaN(b.key) ? a.index - b.index : (isNaN(a.key) ? 1 : -1);
                    }
                    d = a.key - b.key;
                  } else {
                    d = collator.compare(a.key, b.key);
                  }
                  return (ascending ? d : -d) || a.index - b.index;
                });
                var frag = document.createDocumentFragment();
                keyed.forEach(function (k) { frag.appendChild(k.row); });
                body.appendChild(frag);
              }
              Array.prototype.forEach.call(headers, function (th, col) {
                if (!th.hasAttribute('data-type')) {
                  return;
                }
                th.addEventListener('click', function () { sortBy(col); });
                th.addEventListener('keydown', function (e) {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    sortBy(col);
                  }
                });
              });
              mapEl.setAttribute('data-ready', 'true');
            })();
            """;
}
