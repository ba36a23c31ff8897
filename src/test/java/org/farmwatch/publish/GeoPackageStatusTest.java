package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's GeoPackage carries each finding's verdict status as the PostGIS current views do: 'open' when written,
 * then what the imported verdicts say (confirmed over approved over false alarm), so that QGIS draws judged findings
 * by their verdict without PostGIS.
 */
class GeoPackageStatusTest {

    @TempDir
    Path tmp;

    @Test
    void importedVerdictsSetTheStatusOfTheirParcelsAndPatches() throws Exception {
        List<ChangePatch> patches = List.of(
                PostgisOneMapTest.patch("p1", ChangeType.NON_AGRICULTURAL, PostgisOneMapTest.square(0, 0, 30), "2025-09-20"),
                PostgisOneMapTest.patch("p2", ChangeType.NON_AGRICULTURAL, PostgisOneMapTest.square(40, 0, 30), "2025-09-20"),
                PostgisOneMapTest.patch("p3", ChangeType.NON_GRAIN, PostgisOneMapTest.square(200, 0, 30), "2025-09-20"),
                PostgisOneMapTest.patch("p4", ChangeType.NON_GRAIN, PostgisOneMapTest.square(400, 0, 30), "2025-09-20"));
        List<FlaggedParcel> parcels = List.of(
                PostgisOneMapTest.parcel("P1", "港沟街道", ChangeType.NON_AGRICULTURAL, PostgisOneMapTest.square(-10, -10, 90),
                        1800, List.of("p1", "p2"), "2025-09-20"),
                PostgisOneMapTest.parcel("P3", "港沟街道", ChangeType.NON_GRAIN, PostgisOneMapTest.square(190, -10, 60),
                        900, List.of("p3"), "2025-09-20"),
                PostgisOneMapTest.parcel("P4", "港沟街道", ChangeType.NON_GRAIN, PostgisOneMapTest.square(390, -10, 60),
                        900, List.of("p4"), "2025-09-20"));
        Path gpkg = tmp.resolve("onemap.gpkg");
        OneMapGeoPackage.write(gpkg, "EPSG:4527", "r1", patches.iterator(), parcels.iterator());
        assertEquals(Map.of("P1", "open", "P3", "open", "P4", "open"), statuses(gpkg, "flagged_parcels", "parcel_id"));

        LocalDate day = LocalDate.parse("2025-10-01");
        GeoPackageVerdicts.importFile(gpkg, "list.csv", new VerdictFile.Contents(List.of(
                new VerdictFile.Verdict("row 2", "P1", "p1", "false_alarm", null, day),
                new VerdictFile.Verdict("row 3", "P1", "p2", "confirmed", null, day),
                new VerdictFile.Verdict("row 4", "P3", "p3", "approved", "鲁自然资批〔2025〕12号", day)), 4, 1));

        assertEquals(Map.of("P1", "confirmed", "P3", "approved", "P4", "open"),
                statuses(gpkg, "flagged_parcels", "parcel_id"), "a parcel with one confirmed patch is confirmed");
        assertEquals(Map.of("p1", "false_alarm", "p2", "confirmed", "p3", "approved", "p4", "open"),
                statuses(gpkg, "change_patches", "patch_id"));
    }

    private static Map<String, String> statuses(Path gpkg, String layer, String key) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        try {
            Layer l = ds.GetLayerByName(layer);
            Map<String, String> m = new TreeMap<>();
            for (Feature f = l.GetNextFeature(); f != null; f = l.GetNextFeature()) {
                m.put(f.GetFieldAsString(key), f.GetFieldAsString("status"));
                f.delete();
            }
            return m;
        } finally {
            ds.delete();
        }
    }
}
