package org.farmwatch.ingest;

/** The spectral bands farmwatch reads, by STAC {@code eo:bands} common name and Sentinel-2 band id. */
public enum Band {
    BLUE("blue", "B02"),
    GREEN("green", "B03"),
    RED("red", "B04"),
    NIR("nir", "B08"),
    SWIR16("swir16", "B11"),
    SWIR22("swir22", "B12");

    public final String commonName;
    public final String sentinel2;

    Band(String commonName, String sentinel2) {
        this.commonName = commonName;
        this.sentinel2 = sentinel2;
    }

    public static Band ofCommonName(String name) {
        for (Band b : values()) {
            if (b.commonName.equalsIgnoreCase(name)) {
                return b;
            }
        }
        // STAC's older names for the SWIR bands.
        if ("swir1".equalsIgnoreCase(name)) {
            return SWIR16;
        }
        if ("swir2".equalsIgnoreCase(name)) {
            return SWIR22;
        }
        return null;
    }
}
