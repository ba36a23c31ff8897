package org.farmwatch.ingest;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.Map;

/**
 * One acquisition: its date, where each band is, an optional cloud-mask band (Sentinel-2 scene
 * classification, SCL, or Landsat QA_PIXEL), and per-band statistics that let classification
 * thresholds adapt to the scene's own radiometry. Immutable; holds no pixels.
 *
 * @param scl      the cloud-mask band, or null: then a spectral test finds clouds
 * @param maskKind how to read {@code scl}
 * @param stats per band: {p2, p50, p90, dark} of the scene's values after scale and offset, where
 *              dark is the 0.1th percentile: the haze and sensor offset that dark-object subtraction removes
 */
public record Scene(String id, LocalDate date, Map<Band, BandRef> bands, BandRef scl, MaskKind maskKind,
                    Map<Band, double[]> stats) implements Serializable {

    /** The cloud-mask conventions farmwatch reads. */
    public enum MaskKind {
        /** Sentinel-2 L2A scene classification: 0 no data, 1 saturated, 3 shadow, 8/9 cloud, 10 cirrus. */
        SCL,
        /** Landsat Collection 2 QA_PIXEL bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow. */
        QA_PIXEL
    }

    /** A scene whose mask, if any, is a Sentinel-2 SCL band. */
    public Scene(String id, LocalDate date, Map<Band, BandRef> bands, BandRef scl, Map<Band, double[]> stats) {
        this(id, date, bands, scl, MaskKind.SCL, stats);
    }

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
        return new Scene(id, date, new EnumMap<>(bands), scl, maskKind, newStats);
    }

    public double p50(Band b) {
        double[] s = stats.get(b);
        return s == null ? Double.NaN : s[1];
    }

    public double p90(Band b) {
        double[] s = stats.get(b);
        return s == null ? Double.NaN : s[2];
    }

    /**
     * Keeps or drops the dark-object levels. In {@code auto} mode they are kept only when the scene
     * shows an additive offset: its darkest NIR (water, shadow) above a fifth of its median NIR, as
     * uncalibrated digital numbers and heavy haze do. Reflectance has near-black water in the NIR.
     */
    public Scene withDarkObject(String mode) {
        boolean keep = switch (mode) {
            case "true" -> true;
            case "false" -> false;
            default -> p50(Band.NIR) > 0 && dark(Band.NIR) > 0.2 * p50(Band.NIR);
        };
        if (keep) {
            return this;
        }
        java.util.Map<Band, double[]> zeroed = new java.util.EnumMap<>(Band.class);
        stats.forEach((b, v) -> {
            double[] c = v.clone();
            if (c.length >= 4) {
                c[3] = 0;
            }
            zeroed.put(b, c);
        });
        return withStats(zeroed);
    }

    /** True when dark-object subtraction applies to this scene. */
    public boolean darkObjectApplied() {
        return dark(Band.NIR) != 0;
    }

    /** The band's dark-object level (0.1th percentile), or 0 when unknown. */
    public double dark(Band b) {
        double[] s = stats.get(b);
        return s == null || s.length < 4 ? 0 : s[3];
    }

    /** Median after dark-object subtraction: what classification thresholds are relative to. */
    public double clearP50(Band b) {
        return p50(b) - dark(b);
    }

    /** 90th percentile after dark-object subtraction. */
    public double clearP90(Band b) {
        return p90(b) - dark(b);
    }

    public double p2(Band b) {
        double[] s = stats.get(b);
        return s == null ? Double.NaN : s[0];
    }
}
