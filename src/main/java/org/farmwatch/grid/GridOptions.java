package org.farmwatch.grid;

import java.io.Serializable;

/**
 * How the working grid is chosen: an immutable value, checked when built. Messages name each option by its
 * configuration key and quote the bad value.
 *
 * @param crs            {@code AUTO} (a CGCS2000 Gauss–Krüger or UTM zone from the scenes) or an EPSG code such as
 *                       {@code EPSG:4527}, upper case; the code must be a projected CRS in metres, which only GDAL
 *                       can tell and the configuration checks
 * @param cellSizeMetres the cell size in metres; NaN: the finest native resolution among the scenes (auto)
 * @param tileSize       cells per tile side, a power of 2 within 64..4096
 * @param haloCells      cells read around each tile core, within 0..tileSize/4
 */
public record GridOptions(String crs, double cellSizeMetres, int tileSize, int haloCells) implements Serializable {

    /** The {@link #crs} that asks for a zone chosen from the scenes. */
    public static final String AUTO = "AUTO";

    public GridOptions {
        if (crs == null || !(crs.equals(AUTO) || crs.matches("EPSG:\\d{4,5}"))) {
            throw new IllegalArgumentException("grid.crs must be 'auto' or an EPSG code such as EPSG:4527, got: " + crs);
        }
        if (!Double.isNaN(cellSizeMetres) && !(cellSizeMetres > 0 && cellSizeMetres < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("grid.cellSizeMetres must be auto or > 0, got: " + cellSizeMetres);
        }
        if (Integer.bitCount(tileSize) != 1 || tileSize < 64 || tileSize > 4096) {
            throw new IllegalArgumentException("grid.tileSize must be a power of 2 within 64..4096, got: " + tileSize);
        }
        if (haloCells < 0 || haloCells > tileSize / 4) {
            throw new IllegalArgumentException("grid.haloCells must be within 0.." + tileSize / 4 + ", got: " + haloCells);
        }
    }

    /** Whether the CRS is chosen from the scenes. */
    public boolean autoCrs() {
        return crs.equals(AUTO);
    }

    /** Whether the cell size is the scenes' finest native resolution. */
    public boolean autoCellSize() {
        return Double.isNaN(cellSizeMetres);
    }
}
