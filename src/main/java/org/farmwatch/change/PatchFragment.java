package org.farmwatch.change;

import java.io.Serializable;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.geom.Geometry;

/**
 * The part of a change patch that lies in one tile, before merging across tile edges. Immutable.
 *
 * @param code  transition code: from-class id × 16 + to-class id
 * @param evidence what a change model judges it by, summed over its cells and ring
 * @param edges which tile edges it touches: bits {@link #NORTH}, {@link #SOUTH}, {@link #WEST}, {@link #EAST}
 */
public record PatchFragment(String fragmentId, TileKey tile, int code, long cells, double confidenceSum, int edges,
                            Geometry geometry, PatchEvidence evidence) implements Serializable {
    public static final int NORTH = 1;
    public static final int SOUTH = 2;
    public static final int WEST = 4;
    public static final int EAST = 8;

    /** A fragment without evidence (a tile store entry of an older format, a test). */
    public PatchFragment(String fragmentId, TileKey tile, int code, long cells, double confidenceSum, int edges,
                         Geometry geometry) {
        this(fragmentId, tile, code, cells, confidenceSum, edges, geometry, PatchEvidence.NONE);
    }

    public PatchFragment withEvidence(PatchEvidence e) {
        return new PatchFragment(fragmentId, tile, code, cells, confidenceSum, edges, geometry, e);
    }

    public int fromId() {
        return code >>> 4;
    }

    public int toId() {
        return code & 15;
    }
}
