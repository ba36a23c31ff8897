package org.farmwatch.ingest;

import java.io.Serializable;

/**
 * Where one band's cells are: a file GDAL opens, the 1-based band within it, and the linear
 * radiometric scale and offset that turn stored values into the scene's working units. Immutable.
 */
public record BandRef(String path, int index, double scale, double offset) implements Serializable {

    public BandRef {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("band path must not be blank");
        }
        if (index < 1) {
            throw new IllegalArgumentException("band index is 1-based, got: " + index);
        }
        if (!Double.isFinite(scale) || scale == 0 || !Double.isFinite(offset)) {
            throw new IllegalArgumentException("band scale/offset must be finite and scale non-zero, got: "
                    + scale + "/" + offset);
        }
    }

    public static BandRef of(String path) {
        return new BandRef(path, 1, 1, 0);
    }
}
