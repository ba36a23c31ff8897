package org.farmwatch.pipeline;

import java.util.List;
import org.farmwatch.change.PatchFragment;

/**
 * What the detect step found in one tile: its change fragments (cut at the tile core's edges, to be merged
 * across tiles), the cells of its window (core and halo) with a clear current observation, and its core's
 * changed cells. Immutable; what the tile store keeps per tile beside the tile's raster files.
 */
public record TileResult(List<PatchFragment> fragments, long clearCells, long changedCells) {

    public TileResult {
        fragments = List.copyOf(fragments);
        if (clearCells < 0 || changedCells < 0) {
            throw new IllegalArgumentException("cell counts must be >= 0, got: clear " + clearCells + ", changed "
                    + changedCells);
        }
    }
}
