package org.farmwatch.publish;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Default QGIS styles for the one-map layers, as QML (what QGIS applies on load) and SLD (for other clients). The
 * findings are drawn so that the imagery under them shows: change patches as outlines, flagged parcels hatched, in
 * the colours of the report; where a layer carries a verdict {@code status}, confirmed findings are drawn heavier
 * and false alarms and approvals dashed and muted. The farmland layer is a faint outline. Labels (id and mu) appear
 * only at large scales; every field has a bilingual alias, and coded fields a Chinese value map
 * ({@link OneMapFields}).
 */
public final class QgisStyle {
    private QgisStyle() {}

    /** What a style is for. */
    public enum Kind {
        CHANGE_PATCHES("change_patches", "变化图斑 change patches"),
        FLAGGED_PARCELS("flagged_parcels", "疑似问题地块 flagged parcels"),
        FARMLAND("farmland", "永久基本农田 farmland parcels");

        public final String layerName;
        public final String title;

        Kind(String layerName, String title) {
            this.layerName = layerName;
            this.title = title;
        }

        /** The kind of a one-map layer or table by its name: the GeoPackage layer, history table or current view. */
        public static Kind of(String layerOrTable) {
            for (Kind k : values()) {
                if (layerOrTable.equals(k.layerName) || layerOrTable.equals("current_" + k.layerName)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("not a one-map layer: " + layerOrTable);
        }
    }

    /** change_type code, legend label, RGB. */
    static final String[][] CATEGORIES = {
        {"non_agricultural", "非农化 non-agricultural", "227,26,28"},
        {"non_grain", "非粮化 non-grain", "255,127,0"},
        {"other", "其他 other", "150,150,150"},
        {"bare_soil", "裸土待核 bare soil (low priority)", "201,166,107"},
        {"low_confidence", "低置信度 low confidence", "189,189,189"},
    };

    /** Verdict statuses that are drawn apart from open findings: status, legend label, RGB, dashed. */
    private static final String[][] JUDGED = {
        {"confirmed", "属实 confirmed", "165,0,38"},
        {"false_alarm", "误报 false alarm", "120,120,120"},
        {"approved", "已批准 approved", "26,152,80"},
    };

    /** Scale denominators below which labels show: parcels from 1:10,000, patches and farmland from 1:5,000. */
    static final int PARCEL_LABEL_SCALE = 10_000;
    static final int PATCH_LABEL_SCALE = 5_000;
    /** Farmland parcel ids, many and small: from 1:2,500 only. */
    static final int FARMLAND_LABEL_SCALE = 2_500;
    /**
     * Labels' font: Debian's CJK font (fonts-wqy-microhei, which the PDF dossiers need too); where it is missing
     * QGIS substitutes its default font, which on Chinese desktops draws 亩 as well.
     */
    static final String LABEL_FONT = "WenQuanYi Micro Hei";

    /** The QML of {@code kind} for a layer with {@code fields} (in layer order). */
    public static String qml(Kind kind, String[] fields) {
        List<String> names = List.of(fields);
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n");
        b.append("<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling|Fields|Rendering\" labelsEnabled=\"1\">\n");
        if (kind == Kind.FARMLAND) {
            b.append(" <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n");
            b.append("  <symbols>\n");
            // Faint: a thin pale outline that the findings and the imagery stand out against.
            fillSymbol(b, "0", "255,255,170", 0.2, false, false, 150);
            b.append("  </symbols>\n </renderer-v2>\n");
        } else if (names.contains("status")) {
            ruleRenderer(b, kind);
        } else {
            categorized(b, kind);
        }
        labeling(b, kind, names);
        fieldConfiguration(b, fields);
        b.append(" <aliases>\n");
        for (int i = 0; i < fields.length; i++) {
            b.append("  <alias field=\"").append(xml(fields[i])).append("\" index=\"").append(i).append("\" name=\"")
                    .append(xml(OneMapFields.alias(fields[i]))).append("\"/>\n");
        }
        b.append(" </aliases>\n");
        b.append(" <previewExpression>\"").append(xml(fields.length > 0 ? fields[0] : "fid")).append("\"</previewExpression>\n");
        b.append(" <layerGeometryType>2</layerGeometryType>\n");
        b.append("</qgis>\n");
        return b.toString();
    }

    /** By change type only: for the history tables, which hold no verdict status. */
    private static void categorized(StringBuilder b, Kind kind) {
        b.append(" <renderer-v2 type=\"categorizedSymbol\" attr=\"change_type\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n");
        b.append("  <categories>\n");
        for (int i = 0; i < CATEGORIES.length; i++) {
            b.append("   <category render=\"true\" symbol=\"").append(i).append("\" value=\"").append(CATEGORIES[i][0])
                    .append("\" label=\"").append(xml(CATEGORIES[i][1])).append("\"/>\n");
        }
        b.append("  </categories>\n  <symbols>\n");
        for (int i = 0; i < CATEGORIES.length; i++) {
            openSymbol(b, Integer.toString(i), CATEGORIES[i][2], kind);
        }
        b.append("  </symbols>\n </renderer-v2>\n");
    }

    /**
     * Open findings by change type, judged ones by their verdict: what an analyst still has to look at stands out,
     * confirmed ones heavier, false alarms and approvals dashed and muted.
     */
    private static void ruleRenderer(StringBuilder b, Kind kind) {
        b.append(" <renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n");
        b.append("  <rules key=\"{farmwatch-root}\">\n");
        int n = 0;
        for (String[] c : CATEGORIES) {
            b.append("   <rule key=\"{farmwatch-open-").append(c[0]).append("}\" symbol=\"").append(n++)
                    .append("\" label=\"").append(xml("待核查 open · " + c[1])).append("\" filter=\"")
                    .append(xml("coalesce(\"status\", 'open') = 'open' AND \"change_type\" = '" + c[0] + "'")).append("\"/>\n");
        }
        for (String[] j : JUDGED) {
            b.append("   <rule key=\"{farmwatch-").append(j[0]).append("}\" symbol=\"").append(n++)
                    .append("\" label=\"").append(xml(j[1])).append("\" filter=\"")
                    .append(xml("\"status\" = '" + j[0] + "'")).append("\"/>\n");
        }
        b.append("  </rules>\n  <symbols>\n");
        n = 0;
        for (String[] c : CATEGORIES) {
            openSymbol(b, Integer.toString(n++), c[2], kind);
        }
        for (String[] j : JUDGED) {
            boolean confirmed = j[0].equals("confirmed");
            fillSymbol(b, Integer.toString(n++), j[2], confirmed ? 0.9 : 0.5, !confirmed,
                    confirmed && kind == Kind.FLAGGED_PARCELS, 255);
        }
        b.append("  </symbols>\n </renderer-v2>\n");
    }

    /** An open finding: a patch as an outline, a parcel hatched and outlined, in its type's colour. */
    private static void openSymbol(StringBuilder b, String name, String rgb, Kind kind) {
        fillSymbol(b, name, rgb, kind == Kind.CHANGE_PATCHES ? 0.6 : 0.4, false, kind == Kind.FLAGGED_PARCELS, 255);
    }

    /** A fill symbol without fill: an outline of {@code widthMm}, dashed or solid, with a 45° hatch or not. */
    private static void fillSymbol(StringBuilder b, String name, String rgb, double widthMm, boolean dashed,
                                   boolean hatch, int alpha) {
        String colour = rgb + "," + alpha;
        b.append("   <symbol type=\"fill\" name=\"").append(name).append("\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n");
        if (hatch) {
            // Thin lines 2.5 mm apart: most of the image shows between them.
            b.append("    <layer class=\"LinePatternFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
            prop(b, "angle", "45");
            prop(b, "color", colour);
            prop(b, "distance", "2.5");
            prop(b, "distance_unit", "MM");
            prop(b, "line_width", "0.3");
            prop(b, "line_width_unit", "MM");
            b.append("     <symbol type=\"line\" name=\"@").append(name).append("@0\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n");
            b.append("      <layer class=\"SimpleLine\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
            prop(b, "line_color", colour);
            prop(b, "line_style", "solid");
            prop(b, "line_width", "0.3");
            prop(b, "line_width_unit", "MM");
            b.append("      </layer>\n     </symbol>\n    </layer>\n");
        }
        b.append("    <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
        prop(b, "color", rgb + ",0");
        prop(b, "style", "no");
        prop(b, "outline_color", colour);
        prop(b, "outline_style", dashed ? "dash" : "solid");
        prop(b, "outline_width", String.format(Locale.ROOT, "%.2f", widthMm));
        prop(b, "outline_width_unit", "MM");
        b.append("    </layer>\n   </symbol>\n");
    }

    /** Id and area at large scales only: at a county's scale they would hide the map. */
    private static void labeling(StringBuilder b, Kind kind, List<String> names) {
        String expression;
        int scale;
        switch (kind) {
            case FLAGGED_PARCELS -> {
                expression = "\"parcel_id\" || '\\n' || format_number(\"changed_area_mu\", 2) || ' 亩'";
                scale = PARCEL_LABEL_SCALE;
            }
            case CHANGE_PATCHES -> {
                expression = "\"patch_id\" || '\\n' || format_number(\"area_mu\", 2) || ' 亩'";
                scale = PATCH_LABEL_SCALE;
            }
            default -> {
                expression = "\"parcel_id\"";
                scale = FARMLAND_LABEL_SCALE;
            }
        }
        // A layer without the fields (an older table) gets no labels rather than labels that fail to evaluate.
        for (String f : List.of("parcel_id", "patch_id", "changed_area_mu", "area_mu")) {
            if (expression.contains("\"" + f + "\"") && !names.contains(f)) {
                return;
            }
        }
        boolean farmland = kind == Kind.FARMLAND;
        b.append(" <labeling type=\"simple\">\n  <settings calloutType=\"simple\">\n");
        b.append("   <text-style fieldName=\"").append(xml(expression)).append("\" isExpression=\"1\" fontSize=\"")
                .append(farmland ? "7" : "9").append("\" fontSizeUnit=\"Point\" fontWeight=\"").append(farmland ? "50" : "63")
                .append("\" textColor=\"").append(farmland ? "255,255,200,255" : "255,255,255,255")
                .append("\" textOpacity=\"1\" multilineHeight=\"1\" fontFamily=\"").append(LABEL_FONT)
                .append("\" namedStyle=\"\" capitalization=\"0\" allowHtml=\"0\">\n");
        b.append("    <text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"0,0,0,255\" "
                + "bufferOpacity=\"0.8\" bufferJoinStyle=\"128\" bufferNoFill=\"1\" bufferBlendMode=\"0\"/>\n");
        b.append("   </text-style>\n");
        b.append("   <text-format multilineAlign=\"1\" wrapChar=\"\" autoWrapLength=\"0\" plussign=\"0\" "
                + "formatNumbers=\"0\" decimals=\"3\" addDirectionSymbol=\"0\"/>\n");
        // Horizontal, inside the polygon where it fits, around it otherwise.
        b.append("   <placement placement=\"1\" polygonPlacementFlags=\"2\" centroidWhole=\"0\" centroidInside=\"1\" "
                + "fitInPolygonOnly=\"0\" priority=\"").append(kind == Kind.FLAGGED_PARCELS ? 7 : farmland ? 2 : 5)
                .append("\" dist=\"0\" distUnits=\"MM\"/>\n");
        b.append("   <rendering scaleVisibility=\"1\" scaleMin=\"0\" scaleMax=\"").append(scale)
                .append("\" obstacle=\"1\" obstacleFactor=\"1\" obstacleType=\"1\" displayAll=\"0\" upsidedownLabels=\"0\" "
                        + "labelPerPart=\"0\" mergeLines=\"0\" minFeatureSize=\"0\" limitNumLabels=\"0\" maxNumLabels=\"2000\" "
                        + "drawLabels=\"1\" zIndex=\"").append(farmland ? 0 : 1).append("\"/>\n");
        b.append("  </settings>\n </labeling>\n");
    }

    /** A value map editor for each coded field, so that QGIS shows 旱地, 非农化 and 待核查 rather than codes. */
    private static void fieldConfiguration(StringBuilder b, String[] fields) {
        b.append(" <fieldConfiguration>\n");
        for (String f : fields) {
            Map<String, String> values = OneMapFields.values(f);
            b.append("  <field name=\"").append(xml(f)).append("\" configurationFlags=\"None\">\n");
            if (values.isEmpty()) {
                b.append("   <editWidget type=\"TextEdit\">\n    <config>\n     <Option/>\n    </config>\n   </editWidget>\n");
            } else {
                b.append("   <editWidget type=\"ValueMap\">\n    <config>\n     <Option type=\"Map\">\n");
                b.append("      <Option type=\"List\" name=\"map\">\n");
                for (Map.Entry<String, String> e : values.entrySet()) {
                    b.append("       <Option type=\"Map\">\n        <Option type=\"QString\" name=\"").append(xml(e.getValue()))
                            .append("\" value=\"").append(xml(e.getKey())).append("\"/>\n       </Option>\n");
                }
                b.append("      </Option>\n     </Option>\n    </config>\n   </editWidget>\n");
            }
            b.append("  </field>\n");
        }
        b.append(" </fieldConfiguration>\n");
    }

    private static void prop(StringBuilder b, String k, String v) {
        b.append("     <prop k=\"").append(k).append("\" v=\"").append(xml(v)).append("\"/>\n");
    }

    static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** SLD for other clients: outlines by change type, in the report's colours. */
    public static String sld(String layerName) {
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append("<StyledLayerDescriptor version=\"1.1.0\" xmlns=\"http://www.opengis.net/sld\" "
                + "xmlns:se=\"http://www.opengis.net/se\" xmlns:ogc=\"http://www.opengis.net/ogc\" "
                + "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
        b.append(" <NamedLayer><se:Name>").append(xml(layerName)).append("</se:Name><UserStyle><se:Name>").append(xml(layerName))
                .append("</se:Name><se:FeatureTypeStyle>\n");
        for (String[] c : CATEGORIES) {
            String[] rgb = c[2].split(",");
            String hex = String.format(Locale.ROOT, "#%02x%02x%02x", Integer.parseInt(rgb[0]), Integer.parseInt(rgb[1]),
                    Integer.parseInt(rgb[2]));
            b.append("  <se:Rule><se:Name>").append(xml(c[1])).append("</se:Name><se:Description><se:Title>").append(xml(c[1]))
                    .append("</se:Title></se:Description>\n");
            b.append("   <ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>change_type</ogc:PropertyName><ogc:Literal>")
                    .append(c[0]).append("</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>\n");
            b.append("   <se:PolygonSymbolizer><se:Stroke><se:SvgParameter name=\"stroke\">").append(hex)
                    .append("</se:SvgParameter><se:SvgParameter name=\"stroke-width\">2</se:SvgParameter></se:Stroke>")
                    .append("</se:PolygonSymbolizer>\n  </se:Rule>\n");
        }
        b.append(" </se:FeatureTypeStyle></UserStyle></NamedLayer>\n</StyledLayerDescriptor>\n");
        return b.toString();
    }
}
