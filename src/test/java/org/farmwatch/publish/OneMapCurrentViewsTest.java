package org.farmwatch.publish;

import static org.farmwatch.publish.PostgisOneMapTest.CRS;
import static org.farmwatch.publish.PostgisOneMapTest.count;
import static org.farmwatch.publish.PostgisOneMapTest.jdbc;
import static org.farmwatch.publish.PostgisOneMapTest.parcel;
import static org.farmwatch.publish.PostgisOneMapTest.patch;
import static org.farmwatch.publish.PostgisOneMapTest.row;
import static org.farmwatch.publish.PostgisOneMapTest.rows;
import static org.farmwatch.publish.PostgisOneMapTest.serverUrl;
import static org.farmwatch.publish.PostgisOneMapTest.square;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FeatureDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The current views of the PostGIS one map ({@link OneMapViews}) against the real test PostGIS (-Dfarmwatch.pgurl,
 * as jobs/test starts it): nightly history collapsed to one row per patch and parcel with its verdict status, styled
 * in layer_styles, made on an older one map by running the DDL again, and carrying the same fields and values as the
 * run's GeoPackage.
 */
class OneMapCurrentViewsTest {

    static final String NIGHT1 = "2025-09-20";
    static final String NIGHT2 = "2025-09-25";
    static final String NIGHT3 = "2025-09-30";

    @TempDir
    Path tmp;

    private String schema;

    private String newSchema(String prefix) {
        schema = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        return schema;
    }

    @AfterEach
    void dropSchema() throws SQLException {
        if (schema == null) {
            return;
        }
        try (Connection c = jdbc(serverUrl()); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM public.layer_styles WHERE f_table_schema = ?")) {
                ps.setString(1, schema);
                ps.executeUpdate();
            }
        }
    }

    /** A night's findings: three patches (p2 a little larger each night), two flagged parcels. */
    static List<ChangePatch> patches(String night, double grow) {
        return List.of(
                patch("p1", ChangeType.NON_AGRICULTURAL, square(0, 0, 30), night),
                patch("p2", ChangeType.NON_GRAIN, square(100, 0, 40 + grow), night),
                patch("p3", ChangeType.NON_AGRICULTURAL, square(200, 0, 20), night));
    }

    static List<FlaggedParcel> parcels(String night, double grow) {
        return List.of(
                parcel("P1", "港沟街道", ChangeType.NON_AGRICULTURAL, square(-10, -10, 60), 900, List.of("p1"), night),
                parcel("P2", "唐王街道", ChangeType.NON_GRAIN, square(90, -10, 70), 1600 + 80 * grow, List.of("p2"), night));
    }

    static PostgisOneMap.Result publish(String url, String s, String runId, String night, double grow) {
        return PostgisOneMapTest.publish(url, s, runId, patches(night, grow), parcels(night, grow));
    }

    @Test
    void threeNightsShowEachPatchAndParcelOnceAsTheNewestNightSawIt() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_cv_nights");
        publish(url, s, "n1", NIGHT1, 0);
        publish(url, s, "n2", NIGHT2, 2);
        publish(url, s, "n3", NIGHT3, 4);
        String q = "\"" + s + "\".";
        try (Connection c = jdbc(url)) {
            assertEquals(9, count(c, "SELECT count(*) FROM " + q + "change_patches"), "the history stays");
            assertEquals(3, count(c, "SELECT count(*) FROM " + q + "current_change_patches"));
            assertEquals(3, count(c, "SELECT count(DISTINCT patch_id) FROM " + q + "current_change_patches"));
            assertEquals(List.of("1936", "2.9", NIGHT3, "n3", "open"), row(c, "SELECT area_m2::text, area_mu::text, "
                    + "after_date::text, last_run_id, status FROM " + q + "current_change_patches WHERE patch_id = 'p2'"));
            assertEquals(6, count(c, "SELECT count(*) FROM " + q + "flagged_parcel_history"));
            assertEquals(2, count(c, "SELECT count(*) FROM " + q + "current_flagged_parcels"));
            assertEquals(List.of("1920", "2.88", "39.2", NIGHT1, NIGHT3, "n3", "open", "p2"), row(c, "SELECT "
                    + "changed_area_m2::text, changed_area_mu::text, changed_share_pct::text, first_seen::text, "
                    + "last_seen::text, last_run_id, status, patch_ids FROM " + q + "current_flagged_parcels "
                    + "WHERE parcel_id = 'P2'"));
        }
    }

    @Test
    void verdictsGiveTheirPatchAndParcelAStatusInTheViews() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_cv_verdicts");
        publish(url, s, "n1", NIGHT1, 0);
        publish(url, s, "n2", NIGHT2, 0);
        PostgisOneMap onemap = PostgisOneMap.at(url, s);
        new OneMapVerdicts(onemap).importFile("list.csv", new VerdictFile.Contents(List.of(
                new VerdictFile.Verdict("row 2", "P1", "p1", "confirmed", null, LocalDate.parse("2025-10-01")),
                new VerdictFile.Verdict("row 3", "P2", "p2", "false_alarm", null, LocalDate.parse("2025-10-01"))), 3, 1));
        String q = "\"" + s + "\".";
        try (Connection c = jdbc(url)) {
            assertEquals(List.of(List.of("p1", "confirmed"), List.of("p2", "false_alarm"), List.of("p3", "open")),
                    rows(c, "SELECT patch_id, status FROM " + q + "current_change_patches ORDER BY 1"));
            assertEquals(List.of(List.of("P1", "confirmed"), List.of("P2", "false_alarm")),
                    rows(c, "SELECT parcel_id, status FROM " + q + "current_flagged_parcels ORDER BY 1"));
        }
    }

    @Test
    void theViewsAreStyledInLayerStylesByVerdictStatus() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_cv_styles");
        publish(url, s, "n1", NIGHT1, 0);
        try (Connection c = jdbc(url)) {
            assertEquals(List.of(
                    List.of("current_change_patches", "t", "t", "t", "t"),
                    List.of("current_flagged_parcels", "t", "t", "t", "t")),
                    rows(c, "SELECT f_table_name, useAsDefault, position('RuleRenderer' IN styleQML::text) > 0, "
                            + "position('待核查' IN styleQML::text) > 0, position('ValueMap' IN styleQML::text) > 0 "
                            + "FROM public.layer_styles WHERE f_table_schema = ? AND f_table_name LIKE 'current%' "
                            + "ORDER BY 1", s));
        }
    }

    /** A one map made before the views (no views, no mu and percent columns) gets them at the next publish. */
    @Test
    void anOlderOneMapGetsTheViewsAndItsOldRowsAreRoundedAlike() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_cv_upgrade");
        publish(url, s, "n1", NIGHT1, 0);
        String q = "\"" + s + "\".";
        try (Connection c = jdbc(url); Statement st = c.createStatement()) {
            st.execute("DROP VIEW " + q + "current_change_patches");
            st.execute("DROP VIEW " + q + "current_flagged_parcels");
            for (String t : List.of("flagged_parcels", "flagged_parcel_history")) {
                st.execute("ALTER TABLE " + q + t + " DROP COLUMN parcel_area_mu, DROP COLUMN changed_share_pct");
            }
            // As older farmwatch stored them: mu and share to 4 decimals.
            st.execute("UPDATE " + q + "flagged_parcels SET changed_share = 0.2500");
        }
        PostgisOneMap.at(url, s).check(CRS);
        PostgisOneMap.at(url, s).check(CRS);
        try (Connection c = jdbc(url)) {
            assertEquals(List.of("3600", "5.4", "25"), row(c, "SELECT parcel_area_m2::text, parcel_area_mu::text, "
                    + "changed_share_pct::text FROM " + q + "current_flagged_parcels WHERE parcel_id = 'P1'"));
            assertEquals(3, count(c, "SELECT count(*) FROM " + q + "current_change_patches"));
        }
        publish(url, s, "n2", NIGHT2, 0);
        try (Connection c = jdbc(url)) {
            assertEquals(2, count(c, "SELECT count(*) FROM " + q + "current_flagged_parcels WHERE last_run_id = 'n2' "
                    + "AND parcel_area_mu IS NOT NULL"));
        }
    }

    /** The run's GeoPackage layers and the views hold the same fields, in the same order, with the same values. */
    @Test
    void theGeoPackageAndThePostgisViewsCarryTheSameFieldsAndValues() throws Exception {
        String url = serverUrl();
        String s = newSchema("fw_cv_parity");
        // Values that round differently by method: 1.005-like halves, long decimals, a lon/lat to 7 places.
        List<ChangePatch> ps = new ArrayList<>(patches(NIGHT1, 0.123456));
        List<FlaggedParcel> fs = new ArrayList<>(parcels(NIGHT1, 0.0625));
        PostgisOneMapTest.publish(url, s, "n1", ps, fs);
        Path gpkg = tmp.resolve("onemap.gpkg");
        OneMapGeoPackage.write(gpkg, CRS, "n1", ps.iterator(), fs.iterator());
        try (Connection c = jdbc(url)) {
            compare(c, gpkg, "change_patches", "\"" + s + "\".current_change_patches", "patch_id");
            compare(c, gpkg, "flagged_parcels", "\"" + s + "\".current_flagged_parcels", "parcel_id");
        }
    }

    private static void compare(Connection c, Path gpkg, String layer, String view, String key) throws SQLException {
        Map<String, Map<String, String>> fromPg = new LinkedHashMap<>();
        List<String> pgColumns = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + view + " ORDER BY " + key)) {
            int n = rs.getMetaData().getColumnCount();
            for (int k = 1; k <= n; k++) {
                if (!rs.getMetaData().getColumnName(k).equals("geom")) {
                    pgColumns.add(rs.getMetaData().getColumnName(k));
                }
            }
            while (rs.next()) {
                Map<String, String> r = new LinkedHashMap<>();
                for (String col : pgColumns) {
                    Object v = rs.getObject(col);
                    r.put(col, v == null ? "" : v instanceof Double d ? Double.toString(d) : v.toString());
                }
                fromPg.put(rs.getString(key), r);
            }
        }
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        Map<String, Map<String, String>> fromGpkg = new LinkedHashMap<>();
        List<String> gpkgFields = new ArrayList<>();
        try {
            Layer l = ds.GetLayerByName(layer);
            FeatureDefn d = l.GetLayerDefn();
            for (int k = 0; k < d.GetFieldCount(); k++) {
                gpkgFields.add(d.GetFieldDefn(k).GetName());
            }
            for (Feature f = l.GetNextFeature(); f != null; f = l.GetNextFeature()) {
                Map<String, String> r = new LinkedHashMap<>();
                for (int k = 0; k < d.GetFieldCount(); k++) {
                    String name = d.GetFieldDefn(k).GetName();
                    String v = !f.IsFieldSetAndNotNull(k) ? ""
                            : d.GetFieldDefn(k).GetFieldType() == ogr.OFTReal ? Double.toString(f.GetFieldAsDouble(k))
                            : d.GetFieldDefn(k).GetFieldType() == ogr.OFTDate ? f.GetFieldAsString(k).replace('/', '-')
                            : f.GetFieldAsString(k);
                    r.put(name, v);
                }
                fromGpkg.put(f.GetFieldAsString(key), r);
                f.delete();
            }
        } finally {
            ds.delete();
        }
        assertEquals(OneMapFields.names(layer.equals("change_patches") ? OneMapFields.PATCHES : OneMapFields.PARCELS),
                gpkgFields, layer + ": GeoPackage fields");
        assertEquals(gpkgFields, pgColumns, layer + ": the view's columns are the GeoPackage's");
        assertEquals(fromGpkg.keySet(), fromPg.keySet());
        for (String id : fromGpkg.keySet()) {
            assertEquals(fromGpkg.get(id), fromPg.get(id), layer + " " + id);
        }
        assertTrue(fromGpkg.size() >= 2);
    }
}
