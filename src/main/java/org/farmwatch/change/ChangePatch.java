package org.farmwatch.change;

import java.io.Serializable;
import org.farmwatch.classify.LandCover;
import org.farmwatch.flag.ChangeType;
import org.locationtech.jts.geom.Geometry;

/**
 * A connected area whose land cover changed between the baseline and the current period, merged
 * across tile edges. Immutable. Geometry and area are in the working grid's projected CRS.
 *
 * @param patchId    stable id derived from location, classes and dates, the same on every re-run
 * @param rule       the conversion rule the transition matches, or "" for {@link ChangeType#OTHER}
 * @param confidence mean per-cell confidence, 0..1; a change model's probability when one judged the patch
 * @param evidence   what a change model judges the patch by ({@link PatchEvidence#NONE} when not measured)
 */
public record ChangePatch(String patchId, ChangeType changeType, String rule, LandCover fromClass, LandCover toClass,
                          double areaM2, double confidence, String beforeDate, String afterDate, Geometry geometry,
                          PatchEvidence evidence)
        implements Serializable {

    /** A patch without evidence: read back from a one map, or made by hand. */
    public ChangePatch(String patchId, ChangeType changeType, String rule, LandCover fromClass, LandCover toClass,
                       double areaM2, double confidence, String beforeDate, String afterDate, Geometry geometry) {
        this(patchId, changeType, rule, fromClass, toClass, areaM2, confidence, beforeDate, afterDate, geometry,
                PatchEvidence.NONE);
    }

    /**
     * This patch, or, when it is non-agricultural but its confidence is below {@code minConfidence}, the same patch
     * demoted to {@link ChangeType#LOW_CONFIDENCE} (same id, rule and cells): published, but sending no inspector.
     * Non-grain patches are kept: between two green classes confidences run lower by construction, and no labelled
     * scene says where their bar should be.
     */
    public ChangePatch demotedBelow(double minConfidence) {
        if (changeType != ChangeType.NON_AGRICULTURAL || !(confidence < minConfidence)) {
            return this;
        }
        return new ChangePatch(patchId, ChangeType.LOW_CONFIDENCE, rule, fromClass, toClass, areaM2, confidence,
                beforeDate, afterDate, geometry, evidence);
    }

    /**
     * This patch judged by a change model: its confidence becomes the model's probability that it is a real
     * conversion, and a flagging patch below {@code threshold} is demoted to {@link ChangeType#LOW_CONFIDENCE}.
     * A patch without evidence keeps what it had. Non-flagging patches (bare soil, low confidence, other) get the
     * probability only.
     */
    public ChangePatch judgedBy(ChangeModel model, double threshold) {
        if (!evidence.isMeasured()) {
            return this;
        }
        double p = model.probability(ChangeFeatures.of(this));
        ChangeType type = changeType.flagsParcels() && p < threshold ? ChangeType.LOW_CONFIDENCE : changeType;
        return new ChangePatch(patchId, type, rule, fromClass, toClass, areaM2, p, beforeDate, afterDate, geometry,
                evidence);
    }

    /** Serialized with the geometry as WKB (Spark moves patches between tasks; see {@link org.farmwatch.util.WkbWire}). */
    private Object writeReplace() {
        return new Wire(patchId, changeType, rule, fromClass, toClass, areaM2, confidence, beforeDate, afterDate,
                org.farmwatch.util.WkbWire.write(geometry), evidence);
    }

    private record Wire(String patchId, ChangeType changeType, String rule, LandCover fromClass, LandCover toClass,
                        double areaM2, double confidence, String beforeDate, String afterDate, byte[] wkb,
                        PatchEvidence evidence)
            implements Serializable {
        private Object readResolve() {
            return new ChangePatch(patchId, changeType, rule, fromClass, toClass, areaM2, confidence, beforeDate,
                    afterDate, org.farmwatch.util.WkbWire.read(wkb), evidence);
        }
    }
}
