package org.farmwatch.publish;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.FlaggedParcel;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygon;

/**
 * The parts of {@link ReportPage} an inspector reads first: the next-steps box with the run's totals, and the parcel
 * table whose first column is the before/after chips with the change patches outlined. The table keeps the readable
 * columns of the lists; codes and hashes (admin code, rule, patch ids, centroids) stay in the lists and the map's
 * data.
 */
public final class ReportSections {

    /** The table's columns, by their key among {@link InspectorLists#COLUMNS}: what a person reads, no codes. */
    static final List<String> TABLE_KEYS = List.of("parcel_id", "township", "change_type_zh", "from_to", "land_class",
            "changed_area_mu", "changed_share_pct", "patch_count", "priority");

    /** What the priority is, as the table's header and caption say it. */
    static final String PRIORITY_NOTE = "优先级 = 按置信度加权的变化亩数 × (0.5 + 变化占比)，耕地再 ×1.2；越大越先查。"
            + " Priority = confidence-weighted changed mu × (0.5 + changed share), ×1.2 on cropland: higher, visit first.";

    private ReportSections() {}

    static List<ListColumn<FlaggedParcel>> tableColumns() {
        List<ListColumn<FlaggedParcel>> out = new ArrayList<>();
        for (String key : TABLE_KEYS) {
            InspectorLists.COLUMNS.stream().filter(c -> ReportPage.propertyName(c).equals(key)).findFirst()
                    .ifPresent(out::add);
        }
        return out;
    }

    /** The box of next steps, bilingual, with the counts and mu an inspector plans the rounds by. */
    static void nextSteps(StringBuilder h, List<FlaggedParcel> sorted) {
        Set<String> patches = PatchList.flaggingPatchIds(sorted);
        String mu = BigDecimal.valueOf(InspectorLists.sumMu(sorted)).setScale(2, RoundingMode.HALF_UP).toPlainString();
        h.append("<section class=\"next\" id=\"next-steps\" aria-label=\"下一步 next steps\">\n")
                .append("<div class=\"facts\"><span><b>").append(sorted.size()).append("</b> 块标记地块 flagged parcels</span>")
                .append("<span><b>").append(mu).append("</b> 亩变化 mu changed</span>")
                .append("<span><b>").append(patches.size()).append("</b> 个变化图斑 change patches</span></div>\n")
                .append("<div class=\"steps\"><h2>下一步 Next steps</h2>\n<ol>\n")
                .append("<li>核对清单：<code>inspector/flagged_parcels.xlsx</code>（图斑清单、各乡镇工作表）与 "
                        + "<code>inspector/dossiers/</code> 核查单。<span class=\"en\">Check the list and the dossiers.</span></li>\n")
                .append("<li>现场核查后在“核查结论”列选 属实 / 误报 / 合法（合法填批准文号）。"
                        + "<span class=\"en\">Fill in the verdicts: confirmed, false alarm or approved (with its number).</span></li>\n")
                .append("<li>交回填好的文件。<span class=\"en\">Return the file.</span></li>\n")
                .append("<li>导入 Import: <code>farmwatch import-verdicts flagged_parcels.xlsx --onemap onemap.gpkg</code>"
                        + "（或 PostGIS 地址 or the PostGIS URL）</li>\n")
                .append("</ol></div>\n</section>\n");
    }

    static void parcelTable(StringBuilder h, List<FlaggedParcel> sorted, Map<String, String[]> chips,
                            Map<String, String> outlines, String beforeDate, String afterDate) {
        List<ListColumn<FlaggedParcel>> columns = tableColumns();
        h.append("<section class=\"parcels\">\n<h2>标记地块 Flagged parcels (").append(sorted.size()).append(")</h2>\n")
                .append("<p class=\"hint\">黄框为变化图斑。点击表头排序，点击一行在地图上定位该地块。")
                .append(" Yellow: the change patches. Click a header to sort; click a row to zoom the map to the parcel.")
                .append("<br><span class=\"note\">").append(ReportPage.esc(PRIORITY_NOTE)).append("</span></p>\n")
                .append("<div class=\"table-wrap\">\n<table id=\"parcels\">\n<thead><tr>");
        if (!chips.isEmpty()) {
            h.append("<th>前/后影像 before/after</th>");
        }
        for (ListColumn<FlaggedParcel> c : columns) {
            // The rows start in priority order, highest first; the header says so.
            String key = ReportPage.propertyName(c);
            String sort = key.equals("priority") ? "descending" : "none";
            h.append("<th tabindex=\"0\" aria-sort=\"").append(sort).append("\" data-type=\"")
                    .append(c.numeric() ? "num" : "text").append('"');
            if (key.equals("priority")) {
                h.append(" title=\"").append(ReportPage.esc(PRIORITY_NOTE)).append('"');
            }
            h.append('>').append(ReportPage.esc(c.header())).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (FlaggedParcel p : sorted) {
            h.append("<tr tabindex=\"0\" data-parcel=\"").append(ReportPage.esc(Objects.toString(p.parcelId(), "")))
                    .append('"');
            if (Double.isFinite(p.centroidLon()) && Double.isFinite(p.centroidLat())) {
                // CGCS2000 and WGS 84 differ by centimetres: close enough to zoom to a parcel the map lacks.
                h.append(" data-lon=\"").append(p.centroidLon()).append("\" data-lat=\"").append(p.centroidLat())
                        .append('"');
            }
            h.append(" class=\"").append(ReportPage.esc(p.changeType() == null ? "other" : p.changeType().code))
                    .append("\">");
            if (!chips.isEmpty()) {
                h.append("<td class=\"chips\">");
                String[] pair = p.parcelId() == null ? null : chips.get(p.parcelId());
                String outline = p.parcelId() == null ? null : outlines.get(p.parcelId());
                if (pair != null) {
                    chip(h, p.parcelId(), pair.length > 0 ? pair[0] : null, "前 before", beforeDate, outline);
                    chip(h, p.parcelId(), pair.length > 1 ? pair[1] : null, "后 after", afterDate, outline);
                }
                h.append("</td>");
            }
            for (ListColumn<FlaggedParcel> c : columns) {
                Object cell = c.cell(p);
                if (c.numeric()) {
                    String v = cell == null ? "" : ((BigDecimal) cell).toPlainString();
                    h.append("<td class=\"num\" data-v=\"").append(v).append("\">").append(v).append("</td>");
                } else {
                    h.append("<td>").append(ReportPage.esc((String) cell)).append("</td>");
                }
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n</div>\n</section>\n");
    }

    private static void chip(StringBuilder h, String parcelId, String dataUri, String label, String date,
                             String outline) {
        if (dataUri == null) {
            return;
        }
        if (!dataUri.startsWith("data:image/")) {
            throw new IllegalArgumentException("chip of parcel " + parcelId + " must be a data:image/ URI, got: "
                    + (dataUri.length() <= 60 ? dataUri : dataUri.substring(0, 60) + "..."));
        }
        String full = label + " " + Objects.toString(date, "");
        h.append("<span class=\"chipbox\"><img class=\"chip\" width=\"96\" height=\"96\" alt=\"")
                .append(ReportPage.esc(label)).append("\" title=\"").append(ReportPage.esc(full)).append("\" src=\"")
                .append(ReportPage.esc(dataUri)).append("\">");
        if (outline != null && !outline.isEmpty()) {
            // Path data is only numbers and M/L/Z (written by patchOutlines), so it needs no escaping beyond esc.
            h.append("<svg class=\"patch\" viewBox=\"0 0 100 100\" aria-hidden=\"true\"><path class=\"halo\" d=\"")
                    .append(ReportPage.esc(outline)).append("\"/><path d=\"").append(ReportPage.esc(outline))
                    .append("\"/></svg>");
        }
        // The caption: 前 or 后 and the date, short enough for the chip's width.
        h.append("<span class=\"cap\">").append(ReportPage.esc(label.substring(0, 1) + " " + Objects.toString(date, "")))
                .append("</span></span>");
    }

    /**
     * Each flagged parcel's change patches as SVG path data in its chip's square ({@link ImageChips#frame}, 0..100,
     * y down), for the report's chips. Parcels whose patches are not among {@code patches} get no entry.
     */
    public static Map<String, String> patchOutlines(List<FlaggedParcel> flagged, Collection<ChangePatch> patches) {
        Map<String, Geometry> byId = new HashMap<>();
        patches.forEach(p -> byId.putIfAbsent(p.patchId(), p.geometry()));
        Map<String, String> out = new LinkedHashMap<>();
        for (FlaggedParcel f : flagged) {
            if (f.parcelId() == null || f.patchIds() == null || f.geometry() == null || f.geometry().isEmpty()) {
                continue;
            }
            Envelope frame = ImageChips.frame(f);
            StringBuilder d = new StringBuilder();
            for (String id : f.patchIds()) {
                Geometry g = byId.get(id);
                if (g != null) {
                    path(d, g, frame);
                }
            }
            if (d.length() > 0) {
                out.put(f.parcelId(), d.toString().strip());
            }
        }
        return out;
    }

    private static void path(StringBuilder d, Geometry g, Envelope frame) {
        for (int i = 0; i < g.getNumGeometries(); i++) {
            if (!(g.getGeometryN(i) instanceof Polygon poly)) {
                continue;
            }
            List<Coordinate[]> rings = new ArrayList<>();
            rings.add(poly.getExteriorRing().getCoordinates());
            for (int k = 0; k < poly.getNumInteriorRing(); k++) {
                rings.add(poly.getInteriorRingN(k).getCoordinates());
            }
            for (Coordinate[] ring : rings) {
                for (int k = 0; k < ring.length - 1; k++) {
                    double x = (ring[k].x - frame.getMinX()) / frame.getWidth() * 100;
                    double y = (frame.getMaxY() - ring[k].y) / frame.getHeight() * 100;
                    d.append(k == 0 ? 'M' : 'L').append(String.format(Locale.ROOT, "%.1f %.1f ", x, y));
                }
                d.append("Z ");
            }
        }
    }
}
