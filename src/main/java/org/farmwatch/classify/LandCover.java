package org.farmwatch.classify;

/**
 * The land-cover classes farmwatch tells apart, each with its GB/T 21010-2017 code. The byte
 * {@link #id} is what class rasters hold; 0 is "no data" (cloud, shadow or outside the scene).
 */
public enum LandCover {
    NODATA(0, "", "无数据", "no data"),
    CROPLAND(1, "01", "耕地", "cropland"),
    ORCHARD(2, "02", "园地", "orchard and plantation"),
    FOREST(3, "03", "林地", "forest"),
    NURSERY(4, "0301", "苗圃", "tree nursery"),
    GRASSLAND(5, "04", "草地", "grassland and turf"),
    BUILT_UP(6, "05-10", "建设用地", "built-up and transport"),
    WATER(7, "11", "水域及坑塘", "water and fish ponds"),
    BARE(8, "12", "裸地及挖损地", "bare land and excavation"),
    GREENHOUSE(9, "1202", "设施农用地", "facility agriculture and greenhouses");

    public final byte id;
    public final String gbCode;
    public final String chinese;
    public final String english;

    LandCover(int id, String gbCode, String chinese, String english) {
        this.id = (byte) id;
        this.gbCode = gbCode;
        this.chinese = chinese;
        this.english = english;
    }

    private static final LandCover[] BY_ID = new LandCover[16];

    static {
        for (LandCover c : values()) {
            BY_ID[c.id] = c;
        }
    }

    public static LandCover ofId(int id) {
        LandCover c = id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
        if (c == null) {
            throw new IllegalArgumentException("no land-cover class with id " + id);
        }
        return c;
    }

    /** Lower-case key used in configuration and output fields, such as {@code built_up}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static LandCover ofKey(String key) {
        return valueOf(key.trim().toUpperCase(java.util.Locale.ROOT));
    }
}
