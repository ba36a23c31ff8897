package org.farmwatch.ingest;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.Map;

/**
 * One acquisition: its date, where each band is, an optional Sentinel-2 scene classification
 * (SCL) band for the cloud mask, and per-band statistics that let classification thresholds
 * adapt to the scene's own radiometry. Immutable; holds no pixels.
 *
 * @param stats per band: {p2, p50, p90} of the scene's values after scale and offset
 */
public record Scene(String id, LocalDate date, Map<Band, BandRef> bands, BandRef scl, Map<Band, double[]> stats)
        implements Serializable {

    public Scene {
        if (date == null) {
            throw new IllegalArgumentException("scene " + id + " has no date");
        }
        for (Band b : Band.values()) {
            if (!bands.containsKey(b)) {
                throw new IllegalArgumentException("scene " + id + " lacks band " + b.commonName + " (" + b.sentinel2 + ")");
            }
        }
        bands = Map.copyOf(bands);
        stats = stats == null ? Map.of() : Map.copyOf(stats);
    }

    public Scene withStats(Map<Band, double[]> newStats) {
        return new Scene(id, date, new EnumMap<>(bands), scl, newStats);
    }

    public double p50(Band b) {
        double[] s = stats.get(b);
        return s == null ? Double.NaN : s[1];
    }

    public double p90(Band b) {
        double[] s = stats.get(b);
        return s == null ? Double.NaN : s[2];
    }

    public double p2(Band b) {
        double[] s = stats.get(b);
        return s == null ? Double.NaN : s[0];
    }
}
