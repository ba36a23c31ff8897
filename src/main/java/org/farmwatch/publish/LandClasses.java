package org.farmwatch.publish;

import java.util.Map;

/**
 * Names of the GB/T 21010-2017 land-use codes that farmland bases carry (DLBM), for lists that show "0103 旱地"
 * rather than a bare code. Only the agricultural classes a permanent-farmland base holds are named; any other code
 * is shown as it is.
 */
final class LandClasses {

    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry("01", "耕地 cropland"),
            Map.entry("0101", "水田 paddy field"),
            Map.entry("0102", "水浇地 irrigated land"),
            Map.entry("0103", "旱地 dry land"),
            Map.entry("02", "园地 garden land"),
            Map.entry("0201", "果园 orchard"),
            Map.entry("0201K", "可调整果园 adjustable orchard"),
            Map.entry("0202", "茶园 tea garden"),
            Map.entry("0203", "橡胶园 rubber plantation"),
            Map.entry("0204", "其他园地 other garden land"),
            Map.entry("03", "林地 forest land"),
            Map.entry("0301", "乔木林地 arbor forest"),
            Map.entry("0302", "竹林地 bamboo forest"),
            Map.entry("0305", "灌木林地 shrub land"),
            Map.entry("0307", "其他林地 other forest land"),
            Map.entry("0307K", "可调整其他林地 adjustable other forest"),
            Map.entry("04", "草地 grassland"),
            Map.entry("0403", "人工牧草地 sown pasture"),
            Map.entry("0404", "其他草地 other grassland"),
            Map.entry("1104", "坑塘水面 pond"),
            Map.entry("1104K", "可调整养殖坑塘 adjustable fish pond"),
            Map.entry("1202", "设施农用地 facility farmland"),
            Map.entry("1203", "田坎 field ridge"));

    private LandClasses() {}

    /** "0103 旱地 dry land" for a known code, the code alone for another, "" for none. */
    static String named(String code) {
        if (code == null || code.isBlank()) {
            return "";
        }
        String c = code.strip();
        String name = NAMES.get(c.toUpperCase(java.util.Locale.ROOT));
        return name == null ? c : c + " " + name;
    }
}
