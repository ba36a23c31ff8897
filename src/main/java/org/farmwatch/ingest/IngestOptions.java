package org.farmwatch.ingest;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * How scenes are read and composited: an immutable value, checked when built. Messages name each option by its
 * configuration key and quote the bad value.
 *
 * @param darkObject        {@code auto}, {@code true} or {@code false}: whether dark-object levels are subtracted
 *                          ({@link Scene#withDarkObject})
 * @param cloudBufferMetres how far cloud masks are grown, in metres
 * @param compositeMethod   how a period's scenes make one composite
 */
public record IngestOptions(String darkObject, double cloudBufferMetres, Compositor.Method compositeMethod)
        implements Serializable {

    public IngestOptions {
        if (!List.of("auto", "true", "false").contains(darkObject)) {
            throw new IllegalArgumentException("classify.darkObjectSubtraction must be one of auto, true, false, got: "
                    + darkObject);
        }
        if (!(cloudBufferMetres >= 0) || Double.isInfinite(cloudBufferMetres)) {
            throw new IllegalArgumentException("cloud.bufferMetres must be >= 0, got: " + cloudBufferMetres);
        }
        Objects.requireNonNull(compositeMethod, "composite.method");
    }
}
