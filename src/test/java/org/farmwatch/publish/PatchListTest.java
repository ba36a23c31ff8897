package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.junit.jupiter.api.Test;

/** The patch list's rows: numbers stable across re-runs, areas in mu as printed, centres in the CGCS2000 zone. */
class PatchListTest {

    /** Working CRS: CGCS2000 3-degree zone 39 (central meridian 117°E), x with the zone prefix. */
    static final String CRS = "EPSG:4527";

    static ChangePatch patch(String id, double x0, double y0, double side, double confidence, String after) {
        String wkt = String.format(java.util.Locale.ROOT, "POLYGON ((%f %f, %f %f, %f %f, %f %f, %f %f))", x0, y0,
                x0 + side, y0, x0 + side, y0 + side, x0, y0 + side, x0, y0);
        return new ChangePatch(id, ChangeType.NON_AGRICULTURAL, "non_agricultural", LandCover.CROPLAND,
                LandCover.BUILT_UP, side * side, confidence, "2024-04-15", after, InspectorListsTest.wkt(wkt));
    }

    static FlaggedParcel parcel(String id, String adminCode, String township, double x0, double y0, double side,
                                List<String> patchIds) {
        String wkt = String.format(java.util.Locale.ROOT, "POLYGON ((%f %f, %f %f, %f %f, %f %f, %f %f))", x0, y0,
                x0 + side, y0, x0 + side, y0 + side, x0, y0 + side, x0, y0);
        return new FlaggedParcel(id, adminCode, township, "0103", ChangeType.NON_AGRICULTURAL, "non_agricultural",
                side * side, 100, patchIds.size(), patchIds, "cropland", "built_up", "2024-04-15", "2025-09-20", 1.0,
                117.0, 36.1, InspectorListsTest.wkt(wkt));
    }

    /** Three patches on two parcels of county 370112 and one of county 370113, and one patch no parcel names. */
    static List<ChangePatch> patches() {
        return List.of(
                patch("CPb", 39500010, 4000010, 20, 0.9, "2025-09-20"), // south on parcel A
                patch("CPa", 39500050, 4000150, 30, 0.75, "2025-09-20"), // north on parcel A
                patch("CPc", 39500185, 4000050, 20, 0.6, "2025-09-20"), // straddles parcels A and B
                patch("CPd", 39600000, 4000000, 10, 0.95, "2025-09-20"), // county 370113
                patch("CPx", 39700000, 4000000, 10, 0.95, "2025-09-20")); // flags no parcel
    }

    static List<FlaggedParcel> flagged() {
        return List.of(
                parcel("A", "370112001002", "港沟街道", 39500000, 4000000, 200, List.of("CPa", "CPb", "CPc")),
                parcel("B", "370112001003", "港沟街道", 39500200, 4000000, 200, List.of("CPc")),
                parcel("D", "370113004005", "(unknown)", 39599990, 3999990, 100, List.of("CPd")));
    }

    static final AdminNames NAMES = AdminNames.parse("370112,济南市历城区\n370112001,港沟街道\n370112001002,东村\n",
            "test");

    @Test
    void numbersAreCountyYearAndSequenceNorthToSouth() {
        List<PatchList.Row> rows = PatchList.rows(patches(), flagged(), NAMES, new CgcsLocator(CRS));
        assertEquals(4, rows.size(), "the patch no parcel names is left out");
        assertEquals(List.of("37011220250001", "37011220250002", "37011220250003", "37011320250001"),
                rows.stream().map(PatchList.Row::patchNo).toList());
        assertEquals(List.of("CPa", "CPc", "CPb", "CPd"), rows.stream().map(PatchList.Row::patchId).toList(),
                "north first, then south; each county numbers from 1");
    }

    @Test
    void numbersAreStableAcrossReRunsWhateverTheOrder() {
        List<String> first = PatchList.rows(patches(), flagged(), NAMES, new CgcsLocator(CRS)).stream()
                .map(r -> r.patchNo() + "=" + r.patchId()).toList();
        Random random = new Random(20);
        for (int i = 0; i < 5; i++) {
            List<ChangePatch> shuffled = new ArrayList<>(patches());
            Collections.shuffle(shuffled, random);
            List<FlaggedParcel> parcels = new ArrayList<>(flagged());
            Collections.shuffle(parcels, random);
            List<String> again = PatchList.rows(shuffled, parcels, NAMES, new CgcsLocator(CRS)).stream()
                    .map(r -> r.patchNo() + "=" + r.patchId()).toList();
            assertEquals(first, again);
        }
        assertEquals(PatchList.numbers(patches(), flagged()).get("CPc"), "37011220250002",
                "the dossiers' numbers are the list's");
    }

    @Test
    void areasAreMuToTwoDecimalsAndFarmlandIsThePartOnTheParcels() {
        List<PatchList.Row> rows = PatchList.rows(patches(), flagged(), NAMES, new CgcsLocator(CRS));
        PatchList.Row a = rows.get(0);
        // 30 m x 30 m = 900 m² = 1.35 mu, all of it on parcel A.
        assertEquals(new BigDecimal("1.35"), cell(a, "monitored_area_mu"));
        assertEquals(new BigDecimal("1.35"), cell(a, "farmland_area_mu"));
        PatchList.Row d = rows.get(3);
        // 10 m x 10 m = 100 m² = 0.15 mu; parcel D covers it whole.
        assertEquals(new BigDecimal("0.15"), cell(d, "monitored_area_mu"));
        PatchList.Row c = rows.get(1);
        assertEquals(List.of("A", "B"), c.parcelIds(), "a straddling patch names both parcels, the larger overlap first");
        assertEquals(400.0, c.farmlandAreaM2(), 1e-6);
        // Admin names from the table; a township the table lacks keeps the base's own name.
        assertEquals("济南市历城区", a.county());
        assertEquals("港沟街道", a.township());
        assertEquals("东村", a.village());
        assertEquals("", d.county());
        assertEquals("(unknown)", d.township());
        assertEquals("0103 旱地 dry land", ListFiles.printed(column("land_class").cell(a)));
        assertEquals("耕地 → 建设用地", ListFiles.printed(column("from_to_zh").cell(a)));
        assertEquals("cropland → built-up and transport", ListFiles.printed(column("from_to_en").cell(a)));
        assertTrue(ListFiles.printed(column("confidence").cell(a)).startsWith("中 0.75"),
                ListFiles.printed(column("confidence").cell(a)));
    }

    @Test
    void centreIsInTheCgcs2000ZoneAndInLongitudeLatitude() {
        PatchList.Row a = PatchList.rows(patches(), flagged(), NAMES, new CgcsLocator(CRS)).get(0);
        // The interior point of the 30 m square at (39500050, 4000150).
        assertEquals(39500065.0, a.centreX(), 1e-3);
        assertEquals(4000165.0, a.centreY(), 1e-3);
        assertEquals("EPSG:4527", a.centreCrs());
        // 65 m east of the central meridian 117°E, about 36.1° north.
        assertEquals(117.0 + 65 / (111320 * Math.cos(Math.toRadians(a.lat()))), a.lon(), 1e-5);
        assertEquals(36.13, a.lat(), 0.02);
        // From another working CRS (UTM 50N) the zone coordinates come out the same.
        CgcsLocator utm = new CgcsLocator("EPSG:32650");
        double[] back = new CgcsLocator(CRS).locate(39500065, 4000165);
        org.gdal.osr.CoordinateTransformation toUtm = org.gdal.osr.CoordinateTransformation.CreateCoordinateTransformation(
                org.farmwatch.ingest.SceneCatalog.srs("EPSG:4490"), org.farmwatch.ingest.SceneCatalog.srs("EPSG:32650"));
        double[] inUtm = toUtm.TransformPoint(back[0], back[1]);
        double[] again = utm.locate(inUtm[0], inUtm[1]);
        assertEquals(39500065.0, again[2], 0.01);
        assertEquals(4000165.0, again[3], 0.01);
        assertEquals("", CgcsLocator.zoneOf(2.35), "no CGCS2000 zone outside China's");
        assertEquals("EPSG:4513", CgcsLocator.zoneOf(75.0));
        assertEquals("EPSG:4533", CgcsLocator.zoneOf(135.0));
    }

    @Test
    void rowRefusesAFarmlandAreaAboveItsAreaAndABadNumber() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PatchList.Row(
                "37011220250001", "CPa", "", "", "", "", List.of("A"), "", ChangeType.NON_AGRICULTURAL,
                LandCover.CROPLAND, LandCover.BUILT_UP, 100, 150, "", "", "", 0, 0, 0, 0, 0.9));
        assertTrue(e.getMessage().contains("150"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PatchList.Row("CP-1", "CPa", "", "", "", "",
                List.of("A"), "", ChangeType.NON_AGRICULTURAL, LandCover.CROPLAND, LandCover.BUILT_UP, 100, 50, "", "",
                "", 0, 0, 0, 0, 0.9));
        assertTrue(e.getMessage().contains("CP-1"), e.getMessage());
    }

    @Test
    void adminNamesRefuseABadLineNamingIt() {
        org.farmwatch.util.FarmwatchException e = assertThrows(org.farmwatch.util.FarmwatchException.class,
                () -> AdminNames.parse("# names\n3701,济南\n", "admin_names.csv"));
        assertTrue(e.getMessage().contains("admin_names.csv line 2") && e.getMessage().contains("3701,济南"),
                e.getMessage());
        assertEquals("370112", AdminNames.countyCode("3701120010020000001"));
        assertEquals("000000", AdminNames.countyCode("37"));
    }

    static ListColumn<PatchList.Row> column(String key) {
        return PatchList.COLUMNS.stream().filter(c -> ReportPage.propertyName(c).equals(key)).findFirst().orElseThrow();
    }

    private static Object cell(PatchList.Row r, String key) {
        return column(key).cell(r);
    }
}
