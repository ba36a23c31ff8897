package org.farmwatch.change;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * A change patch as the feature vector a change model reads: its evidence ({@link PatchEvidence}) as means,
 * differences between dates, contrasts with its ring and textures; its size and shape; its transition; the
 * season. Every feature is free of the sensor's scale (indices, or logs of brightness ratios), so that a model
 * fitted on one place's verdicts reads another place's patches.
 */
public final class ChangeFeatures {
    private ChangeFeatures() {}

    /** Bump when a feature is added, removed or computed differently: a model of another version is stale. */
    public static final int VERSION = 1;

    public static final List<String> NAMES = names();

    private static List<String> names() {
        List<String> n = new ArrayList<>();
        for (int k = 0; k < PatchEvidence.Q; k++) {
            String q = PatchEvidence.QUANTITIES.get(k);
            if (q.equals("visible")) {
                n.addAll(List.of("visible_log_after_before", "visible_log_after_ring", "visible_log_before_ring",
                        "visible_log_change_vs_ring", "visible_cv_before", "visible_cv_after"));
            } else {
                n.addAll(List.of(q + "_before", q + "_after", q + "_change", q + "_ring_change",
                        q + "_change_vs_ring", q + "_after_vs_ring", q + "_std_after"));
            }
        }
        n.addAll(List.of("log_area_m2", "compactness", "from_class", "to_class", "detector_confidence",
                "season_sin", "season_cos", "log_days_between", "ring_share"));
        return List.copyOf(n);
    }

    /** The features of {@code p}; its evidence must be measured and completed for the whole patch. */
    public static double[] of(ChangePatch p) {
        return of(p.evidence(), p.areaM2(), p.fromClass().id, p.toClass().id, p.beforeDate(), p.afterDate());
    }

    /** The features of a patch given by its parts (the form the {@code patch_evidence} table gives). */
    public static double[] of(PatchEvidence e, double areaM2, int fromClass, int toClass, String beforeDate,
                              String afterDate) {
        double[] f = new double[NAMES.size()];
        int i = 0;
        for (int k = 0; k < PatchEvidence.Q; k++) {
            double pb = e.mean(false, false, k);
            double pa = e.mean(false, true, k);
            // A patch with no clear unchanged cell around it is its own ring: no contrast.
            double rb = e.ringCells() > 0 ? e.mean(true, false, k) : pb;
            double ra = e.ringCells() > 0 ? e.mean(true, true, k) : pa;
            if (PatchEvidence.QUANTITIES.get(k).equals("visible")) {
                f[i++] = log(pa, pb);
                f[i++] = log(pa, ra);
                f[i++] = log(pb, rb);
                f[i++] = log(pa, pb) - log(ra, rb);
                f[i++] = pb > 0 ? e.std(false, false, k) / pb : 0;
                f[i++] = pa > 0 ? e.std(false, true, k) / pa : 0;
            } else {
                f[i++] = pb;
                f[i++] = pa;
                f[i++] = pa - pb;
                f[i++] = ra - rb;
                f[i++] = (pa - pb) - (ra - rb);
                f[i++] = pa - ra;
                f[i++] = e.std(false, true, k);
            }
        }
        f[i++] = Math.log10(Math.max(1, areaM2));
        f[i++] = e.compactness();
        f[i++] = fromClass;
        f[i++] = toClass;
        f[i++] = e.detectorConfidence();
        LocalDate after = LocalDate.parse(afterDate);
        double angle = 2 * Math.PI * after.getDayOfYear() / 365.25;
        f[i++] = Math.sin(angle);
        f[i++] = Math.cos(angle);
        f[i++] = Math.log10(1 + Math.abs(ChronoUnit.DAYS.between(LocalDate.parse(beforeDate), after)));
        f[i++] = e.patchCells() + e.ringCells() > 0 ? e.ringCells() / (e.patchCells() + e.ringCells()) : 0;
        for (int j = 0; j < f.length; j++) {
            if (!Double.isFinite(f[j])) {
                f[j] = 0;
            }
        }
        return f;
    }

    private static double log(double a, double b) {
        return a > 0 && b > 0 ? Math.log(a / b) : 0;
    }
}
