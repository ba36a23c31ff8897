package org.farmwatch.farmland;

import org.farmwatch.util.FarmwatchException;

/** Opens a farmland SOURCE argument: a vector file (optionally {@code path#layer}) or a {@code postgresql://} URL. */
public final class ParcelSources {
    private ParcelSources() {}

    public static ParcelSource open(String spec, FieldMapping mapping) {
        if (spec == null || spec.isBlank()) {
            throw FarmwatchException.usage("--farmland needs a file or a postgresql:// URL");
        }
        if (spec.startsWith("postgresql://") || spec.startsWith("postgres://")) {
            return PostgisParcelSource.parse(spec, mapping);
        }
        return new OgrParcelSource(spec, mapping);
    }
}
