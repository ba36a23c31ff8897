package org.farmwatch.classify;

import java.io.Serializable;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;

/** Assigns a {@link LandCover} id to every cell of a tile window. Implementations are stateless and serializable. */
public interface Classifier extends Serializable {

    /**
     * Writes one {@link LandCover#id} per cell into {@code out} (length width × height); NaN cells get
     * {@link LandCover#NODATA}. Must not allocate per cell.
     */
    void classify(TileBands tile, Scene scene, byte[] out);
}
