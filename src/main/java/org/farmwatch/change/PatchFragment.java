package org.farmwatch.change;

import java.io.Serializable;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.geom.Geometry;

/**
 * The part of a change patch that lies in one tile, before merging across tile edges. Immutable.
 *
 * @param code  transition code: from-class id × 16 + to-class id
 * @param edges which tile edges it touches: bits {@link #NORTH}, {@link #SOUTH}, {@link #WEST}, {@link #EAST}
 */
public record PatchFragment(String fragmentId, TileKey tile, int code, long cells, double confidenceSum, int edges,
                            Geometry geometry) implements Serializable {
    public static final int NORTH = 1;
    public static final int SOUTH = 2;
    public static final int WEST = 4;
    public static final int EAST = 8;

    public int fromId() {
        return code >>> 4;
    }

    public int toId() {
        return code & 15;
    }
}
