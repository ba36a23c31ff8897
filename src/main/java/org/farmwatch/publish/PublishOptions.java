package org.farmwatch.publish;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a run publishes: an immutable value, checked when built.
 *
 * @param outputs the outputs besides the run's record ({@code publish.outputs}); always includes the GeoPackage
 */
public record PublishOptions(Set<PublishOutput> outputs) implements Serializable {

    public PublishOptions {
        if (!outputs.contains(PublishOutput.GEOPACKAGE)) {
            throw new IllegalArgumentException("publish.outputs: geopackage is always written and must be listed, got: "
                    + outputs);
        }
        outputs = java.util.Collections.unmodifiableSet(EnumSet.copyOf(outputs));
    }

    /** The outputs {@code publish.outputs} names ({@link PublishOutput#parse}). */
    public static PublishOptions parse(String value) {
        return new PublishOptions(PublishOutput.parse(value));
    }

    public boolean wants(PublishOutput o) {
        return outputs.contains(o);
    }
}
