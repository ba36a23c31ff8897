package org.farmwatch.publish;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.classify.LandCover;

/**
 * The fields of the one-map layers as analysts see them, in one place: the GeoPackage layers ({@link OneMapGeoPackage}),
 * the PostGIS current views ({@link OneMapViews}) and the QGIS styles ({@link QgisStyle}) all follow it, so that a field
 * has the same name, unit, rounding, alias and value map wherever it is opened. Areas are m² and mu (亩) to 2
 * decimals, shares in percent to 1 decimal (as in the inspector lists), confidences and priorities to 3 decimals, lon/lat in degrees
 * to 6 decimals (about 0.1 m). Immutable.
 */
final class OneMapFields {

    /** How a field is stored: text, a real rounded to {@link Field#digits}, an integer, or an ISO date. */
    enum Kind { TEXT, REAL, INTEGER, DATE }

    /**
     * One field of a layer.
     *
     * @param digits decimals a REAL is rounded to; 0 for other kinds
     * @param alias  the bilingual name shown in QGIS's attribute table and forms
     * @param values stored code to its bilingual name (a QGIS value map); empty when the field holds no codes
     */
    record Field(String name, Kind kind, int digits, String alias, Map<String, String> values) {
        Field {
            if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
                throw new IllegalArgumentException("field name must be lower-case letters, digits and '_', got: " + name);
            }
            if (digits < 0 || digits > 8 || (kind != Kind.REAL && digits != 0)) {
                throw new IllegalArgumentException("field " + name + ": digits must be 0-8 and only for REAL, got: " + digits);
            }
            if (alias == null || alias.isBlank()) {
                throw new IllegalArgumentException("field " + name + " has no alias");
            }
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }

        /**
         * {@code v} rounded as this field stores it: half away from zero on its value to 15 significant digits, as
         * PostgreSQL's {@code round(v::numeric, digits)} rounds, so that both stores hold the same double.
         */
        double round(double v) {
            if (!Double.isFinite(v) || kind != Kind.REAL) {
                return v;
            }
            return new java.math.BigDecimal(v).round(new java.math.MathContext(15, java.math.RoundingMode.HALF_EVEN))
                    .setScale(digits, java.math.RoundingMode.HALF_UP).doubleValue();
        }
    }

    private OneMapFields() {}

    /** Change types: the report's names. */
    static final Map<String, String> CHANGE_TYPES = ordered(
            "non_agricultural", "非农化 non-agricultural",
            "non_grain", "非粮化 non-grain",
            "other", "其他 other",
            "bare_soil", "裸土待核 bare soil (low priority)",
            "low_confidence", "低置信度 low confidence");
    /** The shipped rules, named after the change type they report. */
    static final Map<String, String> RULES = ordered(
            "non_agricultural", "非农化规则 non-agricultural rule",
            "non_grain", "非粮化规则 non-grain rule",
            "bare_soil", "裸土规则 bare-soil rule");
    /** Verdict status: 'open' until inspectors return a verdict. */
    static final Map<String, String> STATUSES = ordered(
            "open", "待核查 open",
            "confirmed", "属实 confirmed",
            "false_alarm", "误报 false alarm",
            "approved", "已批准 approved");
    /** GB/T 21010-2017 codes farmland bases hold, and their names. */
    static final Map<String, String> LAND_CLASSES = ordered(
            "0101", "0101 水田 paddy field",
            "0102", "0102 水浇地 irrigated land",
            "0103", "0103 旱地 dry land",
            "0201", "0201 果园 orchard",
            "0202", "0202 茶园 tea garden",
            "0203", "0203 橡胶园 rubber plantation",
            "0204", "0204 其他园地 other garden",
            "0301", "0301 乔木林地 arbor forest",
            "0302", "0302 竹林地 bamboo forest",
            "0305", "0305 灌木林地 shrubland",
            "0307", "0307 其他林地 other forest",
            "0401", "0401 天然牧草地 natural pasture",
            "0403", "0403 人工牧草地 sown pasture",
            "0404", "0404 其他草地 other grassland",
            "1104", "1104 坑塘水面 pond",
            "1107", "1107 沟渠 ditch",
            "1202", "1202 设施农用地 facility agriculture");
    /** Land-cover classes by key, as from_class and to_class hold them. */
    static final Map<String, String> LAND_COVER = landCover();

    /** The change_patches layer (GeoPackage) and the current_change_patches view (PostGIS). */
    static final List<Field> PATCHES = List.of(
            text("patch_id", "图斑标识 patch id"),
            coded("change_type", "变化类型 change type", CHANGE_TYPES),
            coded("from_class", "原地类 from class", LAND_COVER),
            coded("to_class", "现地类 to class", LAND_COVER),
            real("area_m2", "面积(平方米) area m²", 2),
            real("area_mu", "面积(亩) area mu", 2),
            date("before_date", "前时相 before date"),
            date("after_date", "后时相 after date"),
            real("confidence", "置信度 confidence (0-1)", 3),
            coded("rule", "规则 rule", RULES),
            coded("status", "核查状态 verdict status", STATUSES),
            text("last_run_id", "最近运行 last run"));

    /** The flagged_parcels layer (GeoPackage) and the current_flagged_parcels view (PostGIS). */
    static final List<Field> PARCELS = List.of(
            text("parcel_id", "地块编号 parcel id"),
            text("admin_code", "行政代码 admin code"),
            text("township", "乡镇 township"),
            coded("land_class", "地类 land class", LAND_CLASSES),
            coded("change_type", "变化类型 change type", CHANGE_TYPES),
            coded("rule", "规则 rule", RULES),
            real("parcel_area_m2", "地块面积(平方米) parcel area m²", 2),
            real("parcel_area_mu", "地块面积(亩) parcel area mu", 2),
            real("changed_area_m2", "变化面积(平方米) changed area m²", 2),
            real("changed_area_mu", "变化面积(亩) changed area mu", 2),
            real("changed_share_pct", "变化占比(%) changed share %", 1),
            integer("patch_count", "图斑数 patches"),
            text("patch_ids", "图斑标识 patch ids"),
            coded("from_class", "原地类 from class", LAND_COVER),
            coded("to_class", "现地类 to class", LAND_COVER),
            date("before_date", "前时相 before date"),
            date("after_date", "后时相 after date"),
            real("priority", "优先级(越大越先核查) priority", 3),
            real("centroid_lon", "中心经度 centre longitude", 6),
            real("centroid_lat", "中心纬度 centre latitude", 6),
            coded("status", "核查状态 verdict status", STATUSES),
            date("first_seen", "首次发现 first seen"),
            date("last_seen", "最近发现 last seen"),
            text("last_run_id", "最近运行 last run"));

    /** The farmland layer: every parcel of the base over the run's area, drawn faint under the findings. */
    static final List<Field> FARMLAND = List.of(
            text("parcel_id", "地块编号 parcel id"),
            text("admin_code", "行政代码 admin code"),
            text("township", "乡镇 township"),
            coded("land_class", "地类 land class", LAND_CLASSES),
            real("area_mu", "面积(亩) area mu", 2));

    /** Aliases of fields that only the PostGIS history tables and QGIS's own key columns have. */
    static final Map<String, String> OTHER_ALIASES = ordered(
            "fid", "要素序号 feature id",
            "run_id", "运行编号 run id",
            "first_seen_run_id", "首次发现运行 first run",
            "changed_share", "变化比例(0-1) changed share",
            "updated", "更新时间 updated");

    /** The field named {@code name} of {@code fields}. */
    static Field field(List<Field> fields, String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("no field " + name + " in " + names(fields));
    }

    static List<String> names(List<Field> fields) {
        return fields.stream().map(Field::name).toList();
    }

    /** The bilingual alias of a field of any one-map layer, or "" for a field farmwatch does not know. */
    static String alias(String name) {
        for (List<Field> layer : List.of(PARCELS, PATCHES, FARMLAND)) {
            for (Field f : layer) {
                if (f.name().equals(name)) {
                    return f.alias();
                }
            }
        }
        return OTHER_ALIASES.getOrDefault(name, "");
    }

    /** The value map of a field of any one-map layer; empty when it holds no codes. */
    static Map<String, String> values(String name) {
        for (List<Field> layer : List.of(PARCELS, PATCHES, FARMLAND)) {
            for (Field f : layer) {
                if (f.name().equals(name)) {
                    return f.values();
                }
            }
        }
        return Map.of();
    }

    private static Field text(String name, String alias) {
        return new Field(name, Kind.TEXT, 0, alias, Map.of());
    }

    private static Field coded(String name, String alias, Map<String, String> values) {
        return new Field(name, Kind.TEXT, 0, alias, values);
    }

    private static Field real(String name, String alias, int digits) {
        return new Field(name, Kind.REAL, digits, alias, Map.of());
    }

    private static Field integer(String name, String alias) {
        return new Field(name, Kind.INTEGER, 0, alias, Map.of());
    }

    private static Field date(String name, String alias) {
        return new Field(name, Kind.DATE, 0, alias, Map.of());
    }

    private static Map<String, String> landCover() {
        Map<String, String> m = new LinkedHashMap<>();
        for (LandCover c : LandCover.values()) {
            if (c != LandCover.NODATA) {
                m.put(c.key(), c.chinese + " " + c.english);
            }
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** An insertion-ordered, unmodifiable map of key, value, key, value... */
    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
