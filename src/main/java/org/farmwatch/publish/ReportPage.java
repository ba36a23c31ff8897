package org.farmwatch.publish;

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
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;

import org.farmwatch.util.FarmwatchException;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;

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
        write(file, summary, parcels, map, chips, Map.of());
    }

    /**
     * Writes the report page with chips, the change patches outlined on them.
     *
     * @param outlines by parcel id, SVG path data of its patches in the chip's 0..100 square
     *     ({@link ReportSections#patchOutlines})
     */
    public static void write(Path file, ReportSummary summary, List<FlaggedParcel> parcels, MapLayer map,
            Map<String, String[]> chips, Map<String, String> outlines) {
        Objects.requireNonNull(file, "file");
        byte[] page = html(summary, parcels, map, chips, outlines).getBytes(StandardCharsets.UTF_8);
        InspectorLists.writeAtomically(file, out -> out.write(page));
    }

    static String html(ReportSummary summary, List<FlaggedParcel> parcels, MapLayer map, Map<String, String[]> chips) {
        return html(summary, parcels, map, chips, Map.of());
    }

    /**
     * The page as text: the next steps and the table with its chips first (in the first screen at 1400 px), the
     * map beside the table, then the counts, and the run's codes last.
     */
    static String html(ReportSummary summary, List<FlaggedParcel> parcels, MapLayer map, Map<String, String[]> chips,
            Map<String, String> outlines) {
        Objects.requireNonNull(outlines, "outlines");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(parcels, "parcels");
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(chips, "chips");
        ReportAssets.Leaflet leaflet = ReportAssets.Leaflet.get();
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
                .append("<style>\n").append(ReportAssets.PAGE_CSS).append("</style>\n</head>\n<body>\n");

        h.append("<header>\n<h1>耕地“非农化”“非粮化”监测报告 <span class=\"en\">Farmland conversion report</span></h1>\n")
                .append("<p class=\"meta\">前时相 before <b>")
                .append(esc(summary.beforeDate())).append("</b> · 后时相 after <b>").append(esc(summary.afterDate()))
                .append("</b></p>\n</header>\n<main>\n");
        ReportSections.nextSteps(h, sorted);
        h.append("<section class=\"work\">\n");
        ReportSections.parcelTable(h, sorted, withChips ? chips : Map.of(), outlines, summary.beforeDate(),
                summary.afterDate());
        h.append("<div id=\"map\" class=\"map\" role=\"region\" aria-label=\"地图 map\"></div>\n</section>\n");
        h.append("<section class=\"summary\">\n");
        appendSummary(h, summary, sorted);
        h.append("</section>\n");
        h.append("<details class=\"codes\"><summary>运行编号与影像 run id and scenes</summary>\n<p>运行 run <b>")
                .append(esc(summary.runId())).append("</b></p>\n");
        appendScenes(h, summary);
        h.append("</details>\n");
        h.append("</main>\n");

        h.append("<script type=\"application/json\" id=\"fw-geojson\">").append(scriptJson(map.geoJson()))
                .append("</script>\n<script type=\"application/json\" id=\"fw-config\">").append(configJson(map))
                .append("</script>\n<script>\n").append(leaflet.js()).append("\n</script>\n<script>\n").append(ReportAssets.PAGE_JS)
                .append("</script>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void appendSummary(StringBuilder h, ReportSummary s, List<FlaggedParcel> sorted) {
        h.append("<h2>概况 Summary</h2>\n<table class=\"kv\">\n")
                .append("<tr><th>检查地块 parcels checked</th><td class=\"num\">").append(s.parcelsChecked())
                .append("</td></tr>\n<tr><th>变化图斑 change patches</th><td class=\"num\">").append(s.patchCount())
                .append("</td></tr>\n<tr><th>标记地块 flagged parcels</th><td class=\"num\">").append(s.flaggedTotal())
                .append("</td></tr>\n<tr><th>变化面积 changed area (亩 mu)</th><td class=\"num\">")
                .append(BigDecimal.valueOf(InspectorLists.sumMu(sorted)).setScale(2, RoundingMode.HALF_UP).toPlainString())
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

    }

    private static void appendScenes(StringBuilder h, ReportSummary s) {
        h.append("<div class=\"scenes\"><p>影像 scenes (").append(s.sceneNames().size())
                .append(")</p>\n<ul>\n");
        for (String scene : s.sceneNames()) {
            h.append("<li>").append(esc(scene)).append("</li>\n");
        }
        h.append("</ul>\n</div>\n");
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
        return ReportGeoJson.featureCollection(parcels, toLonLat);
    }

    /** The English half of a bilingual header, such as {@code parcel_id}. */
    static String propertyName(ListColumn<?> c) {
        return c.header().substring(c.header().lastIndexOf(' ') + 1);
    }

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
}
