package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attribute text no survey should hold, through every publisher: a 100,000-character township, a CR/LF and a
 * right-to-left override in a parcel id. Each publisher's work stays linear in its input, no XLSX cell exceeds
 * Excel's 32,767 characters, and no list row is split or reordered.
 */
class HostileAttributeTextTest {

    static final String LONG_TOWNSHIP = "长".repeat(50_000) + "town".repeat(12_500);
    static final String SPLIT_ID = "P-1\r\nfarmwatch: error: forged\u202Egpj.exe";

    @TempDir
    Path tmp;

    private static List<FlaggedParcel> parcels() throws Exception {
        return List.of(PdfDossierTest.parcel(SPLIT_ID, LONG_TOWNSHIP, ChangeType.NON_AGRICULTURAL, 0.9, "0101"),
                PdfDossierTest.parcel("P-2", "Town/A", ChangeType.NON_GRAIN, 0.5, "0103"),
                PdfDossierTest.parcel("P-3", "Town A", ChangeType.NON_GRAIN, 0.4, "0103"));
    }

    @Test
    void aHundredThousandCharacterTownshipStaysUnderExcelsCellLimitAndWhole() throws Exception {
        assertEquals(100_000, LONG_TOWNSHIP.length());
        InspectorLists.write(parcels(), tmp);
        int longest = 0;
        try (ReadableWorkbook wb = new ReadableWorkbook(tmp.resolve(InspectorLists.XLSX_FILE).toFile())) {
            for (Sheet s : wb.getSheets().toList()) {
                for (Row row : s.read()) {
                    for (int c = 0; c < row.getCellCount(); c++) {
                        if (row.getCell(c) != null) {
                            longest = Math.max(longest, row.getCellText(c).length());
                        }
                    }
                }
            }
        }
        assertTrue(longest <= 32_767 && longest > 30_000, "longest XLSX cell: " + longest);
        String csv = Files.readString(tmp.resolve(InspectorLists.CSV_FILE), StandardCharsets.UTF_8);
        assertTrue(csv.contains(LONG_TOWNSHIP), "the CSV keeps the full township");
    }

    @Test
    void aCrLfAndABidiOverrideInAParcelIdNeitherSplitNorReorderTheLists() throws Exception {
        InspectorLists.write(parcels(), tmp);
        String csv = Files.readString(tmp.resolve(InspectorLists.CSV_FILE), StandardCharsets.UTF_8);
        assertEquals(4, csv.split("\r\n").length, "a header and three rows, one line each");
        assertFalse(csv.contains("\u202E"), "no raw right-to-left override in the CSV");
        assertTrue(csv.contains("P-1  farmwatch: error: forged\\u202Egpj.exe"), csv.substring(0, 300));
        // The test parcels lie in EPSG:4527 metres; the map wants degrees, any will do.
        String geoJson = ReportPage.featureCollection(parcels(),
                g -> org.locationtech.jts.geom.util.AffineTransformation.scaleInstance(1e-5, 1e-5).transform(g));
        String html = ReportPage.html(ReportPageTest.summary(parcels()), parcels(), ReportPage.MapLayer.parcelsOnly(geoJson),
                Map.of());
        assertFalse(html.contains("\u202E"), "no raw right-to-left override in report.html");
    }

    /** A true-colour COG of one colour, 200 x 200 cells of 10 m in EPSG:4527 under the parcels. */
    private Path image(String name, int r, int g, int b) {
        org.farmwatch.util.Gdal.init();
        org.gdal.gdal.Dataset mem = org.gdal.gdal.gdal.GetDriverByName("MEM").Create("", 200, 200, 3,
                org.gdal.gdalconst.gdalconst.GDT_Byte);
        mem.SetGeoTransform(new double[] {500000, 10, 0, 4002000, 0, -10});
        org.gdal.osr.SpatialReference srs = new org.gdal.osr.SpatialReference();
        srs.ImportFromEPSG(4527);
        mem.SetProjection(srs.ExportToWkt());
        int[] rgb = {r, g, b};
        for (int i = 0; i < 3; i++) {
            mem.GetRasterBand(i + 1).Fill(rgb[i]);
        }
        Path p = tmp.resolve(name);
        org.gdal.gdal.Dataset out = org.gdal.gdal.gdal.Translate(p.toString(), mem, new org.gdal.gdal.TranslateOptions(
                new java.util.Vector<>(List.of("-of", "COG", "-q"))));
        out.delete();
        mem.delete();
        return p;
    }

    @Test
    void aHundredThousandCharacterTownshipWritesItsDossierInSeconds() throws Exception {
        assumeTrue(PdfDossier.cjkFont().isPresent(), "no CJK font (fonts-wqy-microhei)");
        Path dir = tmp.resolve("dossiers");
        Path before = image("before.tif", 40, 140, 40);
        Path after = image("after.tif", 150, 150, 150);
        List<Path> files = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> PdfDossier.write(parcels(),
                before, after, dir, PdfDossier.cjkFont().get(), "run-long"));
        assertEquals(3, files.size());
        for (Path f : files) {
            assertTrue(f.getFileName().toString().length() < 120, f.toString());
            try (PDDocument doc = Loader.loadPDF(f.toFile())) {
                assertEquals(1, doc.getNumberOfPages());
            }
        }
        Map<String, String> names = PdfDossier.fileNames(parcels());
        assertEquals(3, names.values().stream().distinct().count(), "Town/A and Town A have files of their own: " + names);
    }
}
