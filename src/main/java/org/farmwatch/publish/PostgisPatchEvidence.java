package org.farmwatch.publish;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.change.PatchEvidence;
import org.farmwatch.util.FarmwatchException;

/**
 * The {@code patch_evidence} table of the PostGIS one map: per run and patch, what a change model judges the patch
 * by (as {@link PatchEvidenceTable} keeps it in a GeoPackage), so that {@code farmwatch train-change --verdicts
 * postgresql://...} learns from the verdicts imported into the one map. Also the reader of those verdicts.
 */
public final class PostgisPatchEvidence {
    private PostgisPatchEvidence() {}

    static String ddl(String schema) {
        return "CREATE TABLE IF NOT EXISTS " + schema + ".patch_evidence ("
                + "run_id text NOT NULL REFERENCES " + schema + ".runs (run_id) ON DELETE CASCADE, "
                + "patch_id text NOT NULL, change_type text NOT NULL, rule text, from_class_id smallint, "
                + "to_class_id smallint, area_m2 double precision, before_date date, after_date date, "
                + "detector_confidence double precision, compactness double precision, "
                + "evidence double precision[] NOT NULL, PRIMARY KEY (run_id, patch_id))";
    }

    /**
     * Replaces run {@code runId}'s rows (the run must be published already) with one per patch with measured
     * evidence, in one transaction; returns the rows written.
     */
    public static long write(PostgisOneMap onemap, String runId, Iterator<ChangePatch> patches) {
        String s = onemap.schema();
        try (Connection c = onemap.database().connect("farmwatch patch evidence")) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute(ddl(s));
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + s + ".patch_evidence WHERE run_id = ?")) {
                del.setString(1, runId);
                del.executeUpdate();
            }
            long n = 0;
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + s + ".patch_evidence (run_id, patch_id, "
                    + "change_type, rule, from_class_id, to_class_id, area_m2, before_date, after_date, "
                    + "detector_confidence, compactness, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?::date, ?::date, ?, ?, ?)")) {
                while (patches.hasNext()) {
                    ChangePatch p = patches.next();
                    PatchEvidence e = p.evidence();
                    if (!e.isMeasured()) {
                        continue;
                    }
                    ins.setString(1, runId);
                    ins.setString(2, p.patchId());
                    ins.setString(3, p.changeType().code);
                    ins.setString(4, p.rule());
                    ins.setShort(5, p.fromClass().id);
                    ins.setShort(6, p.toClass().id);
                    ins.setDouble(7, p.areaM2());
                    ins.setString(8, p.beforeDate());
                    ins.setString(9, p.afterDate());
                    ins.setDouble(10, e.detectorConfidence());
                    ins.setDouble(11, e.compactness());
                    ins.setArray(12, c.createArrayOf("float8", boxed(e.sums())));
                    ins.addBatch();
                    if (++n % 1000 == 0) {
                        ins.executeBatch();
                    }
                }
                ins.executeBatch();
            }
            c.commit();
            return n;
        } catch (SQLException e) {
            throw FarmwatchException.service("cannot write the patch evidence of run " + runId + " to "
                    + onemap.describe() + ": " + e.getMessage(), e);
        }
    }

    /** Each patch of the one map with a verdict on it, with the evidence of the latest run that published it. */
    static void readJudged(PostgisOneMap onemap, java.util.function.Consumer<Judged> into) {
        String s = onemap.schema();
        String sql = "SELECT DISTINCT ON (e.patch_id) e.patch_id, e.change_type, e.from_class_id, e.to_class_id, "
                + "e.area_m2, e.before_date::text, e.after_date::text, e.detector_confidence, e.compactness, e.evidence, "
                + "v.real FROM " + s + ".patch_evidence e JOIN " + s + ".runs r USING (run_id) "
                + "JOIN (SELECT patch_id, bool_or(verdict IN ('confirmed', 'approved')) AS real FROM " + s
                + ".verdicts WHERE patch_id IS NOT NULL GROUP BY patch_id) v USING (patch_id) "
                + "ORDER BY e.patch_id, r.published DESC";
        try (Connection c = onemap.database().connect("farmwatch train-change");
             Statement st = c.createStatement()) {
            st.setFetchSize(1000);
            c.setAutoCommit(false); // a cursor: the rows stream instead of arriving at once
            if (!exists(c, s)) {
                throw new IllegalArgumentException(onemap.describe() + " holds no patch evidence: its runs were made by a "
                        + "farmwatch that kept none; train once runs of this version have verdicts");
            }
            try (ResultSet r = st.executeQuery(sql)) {
                while (r.next()) {
                    Array a = r.getArray(10);
                    Double[] boxed = (Double[]) a.getArray();
                    double[] sums = new double[boxed.length];
                    for (int i = 0; i < sums.length; i++) {
                        sums[i] = boxed[i] == null ? Double.NaN : boxed[i];
                    }
                    PatchEvidence e;
                    try {
                        e = PatchEvidence.ofSums(sums, r.getDouble(8), r.getDouble(9));
                    } catch (IllegalArgumentException bad) {
                        throw new IllegalArgumentException(onemap.describe() + ": patch_evidence of patch " + r.getString(1)
                                + " is damaged: " + bad.getMessage());
                    }
                    into.accept(new Judged(new PatchEvidenceTable.Row(r.getString(1), r.getString(2), "", r.getInt(3),
                            r.getInt(4), r.getDouble(5), r.getString(6), r.getString(7), e), r.getBoolean(11)));
                }
            }
        } catch (SQLException e) {
            throw FarmwatchException.service("cannot read the verdicts of " + onemap.describe() + ": " + e.getMessage(), e);
        }
    }

    /** A judged patch: its evidence row and whether the verdict says the change is real. */
    record Judged(PatchEvidenceTable.Row row, boolean real) {}

    private static boolean exists(Connection c, String schema) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            p.setString(1, schema + ".patch_evidence");
            try (ResultSet r = p.executeQuery()) {
                return r.next() && r.getBoolean(1);
            }
        }
    }

    private static Double[] boxed(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
