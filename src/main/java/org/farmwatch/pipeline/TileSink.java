package org.farmwatch.pipeline;

import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.TileBands;

/**
 * Where the detect step puts each tile's rasters: its change raster and, when asked for, the true-colour
 * rasters of both composites. One sink serves one task; {@link #finished} hands a tile's rasters on once
 * all are written (and, with a tile store, read back for it).
 */
public interface TileSink {

    /** The rasters of one tile. */
    enum Raster { CHANGE, BEFORE_TRUE_COLOUR, AFTER_TRUE_COLOUR }

    /** Writes the change raster of {@code key}'s core from its window's cells; returns the core's changed cells. */
    long writeChange(TileKey key, ChangeCells cells);

    /** Writes a true-colour raster ({@code BEFORE_TRUE_COLOUR} or {@code AFTER_TRUE_COLOUR}) of a period's composite. */
    void writeTrueColour(Raster raster, TileKey key, TileBands composite);

    /** The bytes of a raster written for {@code key}, for the tile store. */
    byte[] read(Raster raster, TileKey key);

    /** Writes a raster of {@code key} as stored bytes (a tile taken from the tile store). */
    void write(Raster raster, TileKey key, byte[] bytes);

    /** Every raster of {@code key} is written: hands them on (for an output on a Hadoop file system, uploads them). */
    void finished(TileKey key);
}
