package org.farmwatch.grid;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.locationtech.jts.geom.Envelope;

/**
 * A fixed tiling of a projected CRS into square tiles of {@code tileSize} × {@code tileSize}
 * cells. Immutable.
 *
 * <p>Conventions: {@code crs} is an authority code such as {@code EPSG:4527}; {@code originX},
 * {@code originY} are the top-left corner of tile (0, 0) in that CRS's metres; tile extents are
 * half-open, [minX, maxX) × (minY, maxY], so every point belongs to exactly one tile.
 */
public record GridLayout(String crs, double originX, double originY, double cellSizeMetres, int tileSize)
        implements Serializable {

    public GridLayout {
        if (crs == null || !crs.matches("[A-Za-z]+:\\d+")) {
            throw new IllegalArgumentException("crs must be an authority code such as EPSG:4527, got: " + crs);
        }
        if (!(cellSizeMetres > 0) || Double.isInfinite(cellSizeMetres)) {
            throw new IllegalArgumentException("cellSizeMetres must be strictly positive, got: " + cellSizeMetres);
        }
        if (tileSize < 16 || tileSize > 8192) {
            throw new IllegalArgumentException("tileSize must be within 16..8192 cells, got: " + tileSize);
        }
        if (!Double.isFinite(originX) || !Double.isFinite(originY)) {
            throw new IllegalArgumentException("origin must be finite, got: " + originX + ", " + originY);
        }
    }

    /** Width and height of one tile in CRS units. */
    public double tileSpan() {
        return cellSizeMetres * tileSize;
    }

    /** The tile's extent in the layout CRS. */
    public Envelope extentOf(TileKey key) {
        double span = tileSpan();
        double minX = originX + key.col() * span;
        double maxY = originY - key.row() * span;
        return new Envelope(minX, minX + span, maxY - span, maxY);
    }

    /** The tile holding the point (x, y). */
    public TileKey keyAt(double x, double y) {
        double span = tileSpan();
        int col = (int) Math.floor((x - originX) / span);
        int row = (int) Math.floor((originY - y) / span);
        return new TileKey(col, row);
    }

    /** Every tile that the envelope touches, row by row. */
    public List<TileKey> keysCovering(Envelope env) {
        TileKey first = keyAt(env.getMinX(), env.getMaxY());
        double span = tileSpan();
        int lastCol = (int) Math.ceil((env.getMaxX() - originX) / span) - 1;
        int lastRow = (int) Math.ceil((originY - env.getMinY()) / span) - 1;
        List<TileKey> keys = new ArrayList<>();
        for (int r = first.row(); r <= Math.max(first.row(), lastRow); r++) {
            for (int c = first.col(); c <= Math.max(first.col(), lastCol); c++) {
                keys.add(new TileKey(c, r));
            }
        }
        return keys;
    }

    /**
     * The keys in vertical strips {@code stripTiles} tiles wide, strip after strip from the west, each
     * strip row by row. A task reading tiles in this order finds the source blocks under the tile row
     * above still in GDAL's block cache, which needs room for one strip's width rather than the whole
     * area's: halo blocks are decoded about once however wide the area (row by row across a province,
     * every block row would be decoded again for the row below).
     */
    public static List<TileKey> inStrips(java.util.Collection<TileKey> keys, int stripTiles) {
        if (stripTiles < 1) {
            throw new IllegalArgumentException("strip width must be at least one tile, got " + stripTiles);
        }
        List<TileKey> out = new ArrayList<>(keys);
        out.sort(java.util.Comparator.<TileKey>comparingInt(k -> Math.floorDiv(k.col(), stripTiles))
                .thenComparingInt(TileKey::row).thenComparingInt(TileKey::col));
        return out;
    }

    /** GDAL geotransform of a tile, for writing its cells. */
    public double[] geoTransformOf(TileKey key) {
        Envelope e = extentOf(key);
        return new double[] {e.getMinX(), cellSizeMetres, 0, e.getMaxY(), 0, -cellSizeMetres};
    }

    /** Area of one cell in square metres. */
    public double cellAreaM2() {
        return cellSizeMetres * cellSizeMetres;
    }
}
