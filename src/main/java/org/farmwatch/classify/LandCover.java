package org.farmwatch.classify;

/**
 * The land-cover classes farmwatch tells apart. The byte {@link #id} is what class rasters hold; 0 is
 * "no data" (cloud, shadow or outside the scene). Their GB/T 21010-2017 codes are configuration
 * ({@code class.<name>.codes} in conf/farmwatch.conf), read into {@link ClassCodes}.
 */
public enum LandCover {
    NODATA(0, "无数据", "no data"),
    CROPLAND(1, "耕地", "cropland"),
    ORCHARD(2, "园地", "orchard and plantation"),
    FOREST(3, "林地", "forest"),
    NURSERY(4, "苗圃", "tree nursery"),
    GRASSLAND(5, "草地", "grassland and turf"),
    BUILT_UP(6, "建设用地", "built-up and transport"),
    WATER(7, "水域及坑塘", "water and fish ponds"),
    BARE(8, "裸地及挖损地", "bare land and excavation"),
    GREENHOUSE(9, "设施农用地", "facility agriculture and greenhouses");

    public final byte id;
    public final String chinese;
    public final String english;

    LandCover(int id, String chinese, String english) {
        this.id = (byte) id;
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
