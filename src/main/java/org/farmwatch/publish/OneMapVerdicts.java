package org.farmwatch.publish;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.flag.PastVerdicts;
import org.farmwatch.util.FarmwatchException;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;

/**
 * The verdicts of the PostGIS one map: imports the inspectors' filled-in lists into {@code S.verdicts} (one
 * transaction: every row is checked against the one map first, and nothing is written when one is bad), and reads
 * back the judged patches a later run must not flag again ({@link PastVerdicts}).
 *
 * <p>A verdict is keyed by (parcel_id, patch_id); importing the same list again changes nothing, a changed verdict
 * replaces the earlier one. The parcel's {@code status} in {@code S.flagged_parcels} follows its verdicts: confirmed
 * when any patch is confirmed, else approved when any is approved, else false_alarm.
 */
public final class OneMapVerdicts {

    /** What an import did, in verdicts (one per judged patch). */
    public record Summary(int rows, int blankRows, int verdicts, int inserted, int updated, int unchanged,
                          int parcelStatusChanged) {

        public String line() {
            return rows + " rows (" + blankRows + " not judged yet): " + verdicts + " patch verdicts, " + inserted
                    + " new, " + updated + " changed, " + unchanged + " unchanged; " + parcelStatusChanged
                    + " parcel statuses changed";
        }

        /** {@link #line()} in Chinese, for the inspectors' side of the command's message. */
        public String lineZh() {
            return rows + " 行（" + blankRows + " 行未填结论）：图斑结论 " + verdicts + " 条，新增 " + inserted + "，更改 "
                    + updated + "，未变 " + unchanged + "；地块状态变更 " + parcelStatusChanged;
        }
    }

    private final PostgisOneMap onemap;
    private final String s;

    public OneMapVerdicts(PostgisOneMap onemap) {
        this.onemap = onemap;
        this.s = '"' + onemap.schema() + '"';
    }

    /**
     * Imports the verdicts read from a list, all or nothing.
     *
     * @throws FarmwatchException INPUT naming the row of a parcel or patch the one map never flagged; USAGE when the
     *                            schema holds no one map; SERVICE when PostGIS is unavailable; LOCKED when a publisher
     *                            holds the schema too long
     */
    public Summary importFile(String file, VerdictFile.Contents contents) {
        try (Connection c = onemap.database().connect("farmwatch verdicts " + onemap.schema())) {
            c.setAutoCommit(false);
            try {
                Summary sum = importIn(c, file, contents);
                c.commit();
                return sum;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw onemap.failure("importing verdicts into", e, "; nothing imported");
        }
    }

    private Summary importIn(Connection c, String file, VerdictFile.Contents contents) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL lock_timeout = '" + PostgisOneMap.LOCK_WAIT_SECONDS + "s'");
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + s + ".verdicts') IS NOT NULL "
                    + "AND to_regclass('" + s + ".flagged_parcels') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw FarmwatchException.usage("no one map in schema " + onemap.describe()
                            + ": publish a run there (run --onemap) before importing its verdicts");
                }
            }
        }
        // A publisher of the same schema waits for this import, and the other way round.
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
            ps.setInt(1, OneMapSql.LOCK_CLASS);
            ps.setInt(2, new OneMapSql(onemap.schema(), 0).lockKey());
            ps.executeQuery().close();
        }
        try (Statement st = c.createStatement()) {
            // One maps made before the verdict import lack the key it upserts on.
            st.execute("CREATE UNIQUE INDEX IF NOT EXISTS verdicts_parcel_patch_key ON " + s + ".verdicts (parcel_id, patch_id)");
            st.execute("CREATE TEMP TABLE stage_verdicts (n integer, place text, parcel_id text, patch_id text, "
                    + "verdict text, approval_number text, decided_on date) ON COMMIT DROP");
        }
        List<VerdictFile.Verdict> verdicts = contents.verdicts();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pg_temp.stage_verdicts VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < verdicts.size(); i++) {
                VerdictFile.Verdict v = verdicts.get(i);
                ps.setInt(1, i);
                ps.setString(2, v.place());
                ps.setString(3, v.parcelId());
                ps.setString(4, v.patchId());
                ps.setString(5, v.verdict());
                ps.setString(6, v.approvalNumber());
                ps.setObject(7, v.decidedOn());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        String unknownParcel = "SELECT place, parcel_id, patch_id, count(*) OVER () FROM pg_temp.stage_verdicts v "
                + "WHERE NOT EXISTS (SELECT 1 FROM " + s + ".flagged_parcels f WHERE f.parcel_id = v.parcel_id) ORDER BY n LIMIT 1";
        refuse(c, unknownParcel, file, "地块 {parcel} 不在标记地块中 / parcel {parcel} is not among the flagged parcels of "
                + onemap.describe());
        String unknownPatch = "SELECT place, parcel_id, patch_id, count(*) OVER () FROM pg_temp.stage_verdicts v "
                + "WHERE NOT EXISTS (SELECT 1 FROM " + s + ".flagged_parcel_history h "
                + "WHERE h.parcel_id = v.parcel_id AND v.patch_id = ANY (h.patch_ids)) ORDER BY n LIMIT 1";
        refuse(c, unknownPatch, file, "图斑 {patch} 从未在地块 {parcel} 上标记 / patch {patch} was never flagged on parcel "
                + "{parcel} in " + onemap.describe());

        int inserted = 0;
        int updated = 0;
        // xmax = 0 tells a fresh row from an updated one; a row whose values are the same is not touched at all.
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "INSERT INTO " + s + ".verdicts AS t (parcel_id, patch_id, verdict, approval_number, decided_on) "
                        + "SELECT parcel_id, patch_id, verdict, approval_number, decided_on FROM pg_temp.stage_verdicts "
                        + "ON CONFLICT (parcel_id, patch_id) DO UPDATE SET verdict = EXCLUDED.verdict, "
                        + "approval_number = EXCLUDED.approval_number, decided_on = EXCLUDED.decided_on, imported_at = now() "
                        + "WHERE (t.verdict, t.approval_number, t.decided_on) IS DISTINCT FROM "
                        + "(EXCLUDED.verdict, EXCLUDED.approval_number, EXCLUDED.decided_on) "
                        + "RETURNING (xmax = 0)")) {
            while (rs.next()) {
                if (rs.getBoolean(1)) {
                    inserted++;
                } else {
                    updated++;
                }
            }
        }
        int statusChanged;
        try (Statement st = c.createStatement()) {
            statusChanged = st.executeUpdate("UPDATE " + s + ".flagged_parcels f SET status = j.status, updated = now() "
                    + "FROM (SELECT parcel_id, CASE WHEN bool_or(verdict = 'confirmed') THEN 'confirmed' "
                    + "WHEN bool_or(verdict = 'approved') THEN 'approved' ELSE 'false_alarm' END AS status "
                    + "FROM " + s + ".verdicts WHERE parcel_id IN (SELECT parcel_id FROM pg_temp.stage_verdicts) "
                    + "GROUP BY parcel_id) j WHERE f.parcel_id = j.parcel_id AND f.status IS DISTINCT FROM j.status");
        }
        return new Summary(contents.rows(), contents.blankRows(), verdicts.size(), inserted, updated,
                verdicts.size() - inserted - updated, statusChanged);
    }

    /** Throws INPUT naming the first offending row when the query finds one; {parcel} and {patch} in {@code what} name it. */
    private static void refuse(Connection c, String query, String file, String what) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            if (rs.next()) {
                long more = rs.getLong(4) - 1;
                throw FarmwatchException.input(file + " " + VerdictFile.placeZh(rs.getString(1)) + " " + rs.getString(1)
                        + ": " + what.replace("{parcel}", rs.getString(2)).replace("{patch}", rs.getString(3))
                        + (more > 0 ? " (and " + more + " more such verdicts)（另有 " + more + " 条）" : "") + "; "
                        + VerdictFile.NOTHING_IMPORTED);
            }
        }
    }

    /**
     * The patches judged false alarm or approved, each with its geometry and area from the newest run that
     * published it, for a run to suppress. Empty when the schema holds no one map yet.
     *
     * @throws FarmwatchException SERVICE when PostGIS is unavailable
     */
    public PastVerdicts pastVerdicts(double growthFactor) {
        try (Connection c = onemap.database().connect("farmwatch verdicts " + onemap.schema());
             Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + s + ".verdicts') IS NOT NULL "
                    + "AND to_regclass('" + s + ".change_patches') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return PastVerdicts.none();
                }
            }
            Map<String, List<PastVerdicts.Judged>> byParcel = new HashMap<>();
            Integer srid = null;
            WKBReader wkb = new WKBReader();
            try (ResultSet rs = st.executeQuery("SELECT DISTINCT ON (v.parcel_id, v.patch_id) v.parcel_id, v.patch_id, "
                    + "v.verdict, p.area_m2, ST_AsBinary(p.geom), ST_SRID(p.geom) FROM " + s + ".verdicts v "
                    + "JOIN " + s + ".change_patches p ON p.patch_id = v.patch_id JOIN " + s + ".runs r ON r.run_id = p.run_id "
                    + "WHERE v.verdict IN ('false_alarm', 'approved') "
                    + "ORDER BY v.parcel_id, v.patch_id, r.started DESC, r.run_id DESC")) {
                while (rs.next()) {
                    srid = rs.getInt(6);
                    PastVerdicts.add(byParcel, rs.getString(1), new PastVerdicts.Judged(rs.getString(2), rs.getString(3),
                            rs.getDouble(4), wkb.read(rs.getBytes(5))));
                }
            }
            return byParcel.isEmpty() ? PastVerdicts.none()
                    : PastVerdicts.of("EPSG:" + srid, growthFactor, byParcel);
        } catch (SQLException e) {
            throw onemap.failure("reading the verdicts of", e, "");
        } catch (ParseException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "bad patch geometry in " + onemap.describe()
                    + ": " + e.getMessage(), e);
        }
    }
}
