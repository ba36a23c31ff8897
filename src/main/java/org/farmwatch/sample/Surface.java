package org.farmwatch.sample;

/**
 * Ground surfaces the sample generator paints, with typical top-of-canopy reflectance in the six
 * bands (blue, green, red, nir, swir16, swir22). Values follow published Sentinel-2 spectra of
 * North China Plain crops, orchards and built-up land.
 */
enum Surface {
    NONE(0, 0, 0, 0, 0, 0, 0, 0),
    WHEAT(1, .035, .075, .040, .420, .220, .110, 4),
    MAIZE(2, .040, .080, .050, .380, .210, .110, 4),
    TILLED(3, .070, .095, .115, .185, .260, .210, 5),
    ORCHARD(4, .045, .075, .060, .270, .170, .095, 4),
    NURSERY(5, .050, .080, .070, .250, .190, .120, 4),
    FOREST(6, .030, .055, .035, .290, .140, .065, 4),
    BUILT(7, .140, .150, .160, .220, .250, .230, 5),
    CONSTRUCTION(8, .150, .175, .210, .260, .330, .300, 5),
    EXCAVATION(9, .150, .180, .220, .270, .360, .330, 5),
    WATER(10, .060, .070, .050, .030, .015, .010, 6),
    ROAD(11, .120, .130, .140, .170, .200, .190, 5),
    GREENHOUSE(12, .230, .240, .235, .330, .330, .290, 5),
    MARGIN(13, .050, .080, .070, .250, .230, .140, 4),
    CLOUD(14, .400, .410, .420, .450, .380, .300, 9);

    final int code;
    final double[] reflectance;
    /** Sentinel-2 scene classification value this surface would get. */
    final int scl;

    Surface(int code, double b, double g, double r, double n, double s1, double s2, int scl) {
        this.code = code;
        this.reflectance = new double[] {b, g, r, n, s1, s2};
        this.scl = scl;
    }

    private static final Surface[] BY_CODE = values();

    static Surface ofCode(int code) {
        return BY_CODE[code];
    }
}
