package org.farmwatch.publish;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Default QGIS styles for the one-map layers, as QML (what QGIS applies on load) and SLD (for
 * other clients): polygons categorized by {@code change_type} in the colours of the report,
 * bilingual labels, and bilingual field aliases.
 */
public final class QgisStyle {
    private QgisStyle() {}

    /** change_type code, legend label, fill RGB. */
    static final String[][] CATEGORIES = {
        {"non_agricultural", "非农化 non-agricultural", "227,26,28"},
        {"non_grain", "非粮化 non-grain", "255,127,0"},
        {"other", "其他 other", "150,150,150"},
        {"bare_soil", "裸土待核 bare soil (low priority)", "201,166,107"},
        {"low_confidence", "低置信度 low confidence", "189,189,189"},
    };

    static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        ALIASES.put("patch_id", "图斑编号 patch id");
        ALIASES.put("parcel_id", "地块编号 parcel id");
        ALIASES.put("admin_code", "行政代码 admin code");
        ALIASES.put("township", "乡镇 township");
        ALIASES.put("land_class", "地类 land class");
        ALIASES.put("change_type", "变化类型 change type");
        ALIASES.put("from_class", "原地类 from class");
        ALIASES.put("to_class", "现地类 to class");
        ALIASES.put("area_m2", "面积(平方米) area m²");
        ALIASES.put("area_mu", "面积(亩) area mu");
        ALIASES.put("changed_area_m2", "变化面积(平方米) changed m²");
        ALIASES.put("changed_area_mu", "变化面积(亩) changed mu");
        ALIASES.put("changed_share", "变化比例 changed share");
        ALIASES.put("patch_count", "图斑数 patches");
        ALIASES.put("before_date", "前时相 before");
        ALIASES.put("after_date", "后时相 after");
        ALIASES.put("confidence", "置信度 confidence");
        ALIASES.put("priority", "优先级 priority");
    }

    public static String qml(String[] fields) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n");
        b.append("<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling|Fields\">\n");
        b.append(" <renderer-v2 type=\"categorizedSymbol\" attr=\"change_type\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n");
        b.append("  <categories>\n");
        for (int i = 0; i < CATEGORIES.length; i++) {
            b.append("   <category render=\"true\" symbol=\"").append(i).append("\" value=\"").append(CATEGORIES[i][0])
                    .append("\" label=\"").append(CATEGORIES[i][1]).append("\"/>\n");
        }
        b.append("  </categories>\n  <symbols>\n");
        for (int i = 0; i < CATEGORIES.length; i++) {
            String rgb = CATEGORIES[i][2];
            b.append("   <symbol type=\"fill\" name=\"").append(i).append("\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n");
            b.append("    <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
            prop(b, "color", rgb + ",110");
            prop(b, "outline_color", rgb + ",255");
            prop(b, "outline_style", "solid");
            prop(b, "outline_width", "0.6");
            prop(b, "outline_width_unit", "MM");
            prop(b, "style", "solid");
            b.append("    </layer>\n   </symbol>\n");
        }
        b.append("  </symbols>\n </renderer-v2>\n");
        b.append(" <aliases>\n");
        for (int i = 0; i < fields.length; i++) {
            String alias = ALIASES.getOrDefault(fields[i], "");
            b.append("  <alias field=\"").append(fields[i]).append("\" index=\"").append(i).append("\" name=\"")
                    .append(alias).append("\"/>\n");
        }
        b.append(" </aliases>\n");
        b.append(" <layerGeometryType>2</layerGeometryType>\n");
        b.append("</qgis>\n");
        return b.toString();
    }

    private static void prop(StringBuilder b, String k, String v) {
        b.append("     <prop k=\"").append(k).append("\" v=\"").append(v).append("\"/>\n");
    }

    public static String sld(String layerName) {
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append("<StyledLayerDescriptor version=\"1.1.0\" xmlns=\"http://www.opengis.net/sld\" "
                + "xmlns:se=\"http://www.opengis.net/se\" xmlns:ogc=\"http://www.opengis.net/ogc\" "
                + "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
        b.append(" <NamedLayer><se:Name>").append(layerName).append("</se:Name><UserStyle><se:Name>").append(layerName)
                .append("</se:Name><se:FeatureTypeStyle>\n");
        for (String[] c : CATEGORIES) {
            String[] rgb = c[2].split(",");
            String hex = String.format("#%02x%02x%02x", Integer.parseInt(rgb[0]), Integer.parseInt(rgb[1]), Integer.parseInt(rgb[2]));
            b.append("  <se:Rule><se:Name>").append(c[1]).append("</se:Name><se:Description><se:Title>").append(c[1])
                    .append("</se:Title></se:Description>\n");
            b.append("   <ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>change_type</ogc:PropertyName><ogc:Literal>")
                    .append(c[0]).append("</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>\n");
            b.append("   <se:PolygonSymbolizer><se:Fill><se:SvgParameter name=\"fill\">").append(hex)
                    .append("</se:SvgParameter><se:SvgParameter name=\"fill-opacity\">0.43</se:SvgParameter></se:Fill>")
                    .append("<se:Stroke><se:SvgParameter name=\"stroke\">").append(hex)
                    .append("</se:SvgParameter><se:SvgParameter name=\"stroke-width\">2</se:SvgParameter></se:Stroke>")
                    .append("</se:PolygonSymbolizer>\n  </se:Rule>\n");
        }
        b.append(" </se:FeatureTypeStyle></UserStyle></NamedLayer>\n</StyledLayerDescriptor>\n");
        return b.toString();
    }
}
