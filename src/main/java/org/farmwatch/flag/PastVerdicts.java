package org.farmwatch.flag;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.change.ChangePatch;
import org.locationtech.jts.geom.Geometry;

/**
 * The inspectors' earlier verdicts that keep a patch from being flagged again: a patch judged a false alarm or
 * legally approved on a parcel. Patch ids hash the run's dates, so a later run's patch cannot be matched by id; it
 * matches a judged patch when it lies on the same parcel and its geometry intersects the judged patch's. It is
 * suppressed unless it grew: its area exceeds the judged patch's area times the growth factor
 * ({@code verdict.growthFactor}). Small (one entry per judged patch), read on the driver and broadcast. Immutable.
 */
public final class PastVerdicts implements Serializable {

    /** One judged patch: its id, verdict, area in square metres and geometry, in {@link #crs()}. */
    public record Judged(String patchId, String verdict, double areaM2, Geometry geometry) implements Serializable {}

    private static final PastVerdicts NONE = new PastVerdicts(null, 1, Map.of());

    private final String crs;
    private final double growthFactor;
    private final Map<String, List<Judged>> byParcel;

    private PastVerdicts(String crs, double growthFactor, Map<String, List<Judged>> byParcel) {
        this.crs = crs;
        this.growthFactor = growthFactor;
        this.byParcel = byParcel;
    }

    /** No verdicts: nothing is suppressed. */
    public static PastVerdicts none() {
        return NONE;
    }

    /**
     * @param crs          CRS of the geometries, such as EPSG:4527
     * @param growthFactor a patch whose area exceeds the judged area times this is flagged again (at least 1)
     * @param byParcel     judged patches per parcel id
     */
    public static PastVerdicts of(String crs, double growthFactor, Map<String, List<Judged>> byParcel) {
        if (!(growthFactor >= 1)) {
            throw new IllegalArgumentException("growth factor must be at least 1, got " + growthFactor);
        }
        Map<String, List<Judged>> copy = new HashMap<>();
        byParcel.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return new PastVerdicts(crs, growthFactor, copy);
    }

    public boolean isEmpty() {
        return byParcel.isEmpty();
    }

    /** The CRS of the judged geometries; null when there are none. */
    public String crs() {
        return crs;
    }

    public int judgedPatches() {
        return byParcel.values().stream().mapToInt(List::size).sum();
    }

    /** The judged patch on {@code parcelId} that {@code patch} repeats without growing, or null: flag it. */
    public Judged suppressing(String parcelId, ChangePatch patch) {
        List<Judged> judged = byParcel.get(parcelId);
        if (judged == null || patch == null) {
            return null;
        }
        for (Judged j : judged) {
            if (patch.areaM2() <= j.areaM2() * growthFactor
                    && j.geometry().getEnvelopeInternal().intersects(patch.geometry().getEnvelopeInternal())
                    && j.geometry().intersects(patch.geometry())) {
                return j;
            }
        }
        return null;
    }

    /** Each judged patch with its parcel id. */
    public void forEach(java.util.function.BiConsumer<String, Judged> action) {
        byParcel.forEach((parcel, judged) -> judged.forEach(j -> action.accept(parcel, j)));
    }

    /** Builder-side helper: adds a judged patch to a per-parcel map. */
    public static void add(Map<String, List<Judged>> byParcel, String parcelId, Judged judged) {
        byParcel.computeIfAbsent(parcelId, k -> new ArrayList<>()).add(judged);
    }
}
