package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workbook read back as Excel and LibreOffice read it: the patch list sheet, the verdict drop-down, A4 landscape
 * printing one page wide with the header repeated, links to the dossiers; and a filled-in patch list imported.
 */
class PatchListWorkbookTest {

    @TempDir
    Path dir;

    private void write() {
        List<PatchList.Row> rows = PatchList.rows(PatchListTest.patches(), PatchListTest.flagged(), PatchListTest.NAMES,
                new CgcsLocator(PatchListTest.CRS));
        InspectorLists.write(PatchListTest.flagged(), rows, Map.of("港沟街道", "dossiers/dossier_港沟街道.pdf"), dir);
    }

    @Test
    void everyListSheetHasTheVerdictDropDownAndPrintsLandscapeOnePageWide() throws Exception {
        write();
        try (ZipFile zip = new ZipFile(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            String workbook = InspectorListsTest.read(zip, "xl/workbook.xml");
            List<String> sheets = new ArrayList<>();
            Matcher m = Pattern.compile("<sheet name=\"([^\"]*)\"").matcher(workbook);
            while (m.find()) {
                sheets.add(m.group(1));
            }
            assertEquals(4, sheets.size(), workbook);
            for (int i = 1; i <= sheets.size(); i++) {
                String xml = InspectorListsTest.read(zip, "xl/worksheets/sheet" + i + ".xml");
                assertTrue(xml.contains("orientation=\"landscape\"") && xml.contains("paperSize=\"9\""),
                        "sheet " + i + " A4 landscape: " + xml);
                assertTrue(xml.contains("fitToWidth=\"1\"") && xml.contains("fitToHeight=\"0\"")
                        && xml.contains("fitToPage=\"true\""), "sheet " + i + " one page wide: " + xml);
                // The header row repeats on every printed page.
                assertTrue(workbook.contains("localSheetId=\"" + (i - 1) + "\" name=\"_xlnm.Print_Titles\""),
                        "sheet " + i + " print titles: " + workbook);
                if (i > 1) {
                    assertTrue(xml.contains("<dataValidation ") && xml.contains("type=\"list\"")
                            && xml.contains("<formula1>\"属实 confirmed,误报 false_alarm,合法 approved\"</formula1>"),
                            "sheet " + i + " verdict drop-down: " + xml);
                    // OOXML's showDropDown is inverted: false shows the arrow.
                    assertTrue(xml.contains("showDropDown=\"false\""), xml);
                }
            }
            assertTrue(workbook.contains("_xlnm.Print_Titles\" vbProcedure=\"false\">'&#x6c47;&#x603b; Summary'!$1:$1"),
                    "the summary's first row repeats: " + workbook);
            String summaryLinks = InspectorListsTest.read(zip, "xl/worksheets/_rels/sheet1.xml.rels");
            assertTrue(summaryLinks.contains("Target=\"dossiers/dossier_港沟街道.pdf\"")
                    && summaryLinks.contains("TargetMode=\"External\""), summaryLinks);
            String patchLinks = InspectorListsTest.read(zip, "xl/worksheets/_rels/sheet2.xml.rels");
            assertTrue(patchLinks.contains("dossiers/dossier_港沟街道.pdf"), patchLinks);
        }
    }

    @Test
    void patchSheetListsOneRowPerPatchInNumberOrder() throws Exception {
        write();
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            Sheet sheet = wb.findSheet(PatchList.SHEET).orElseThrow();
            List<Row> rows = sheet.read();
            assertEquals(1 + 4, rows.size());
            assertEquals("图斑编号 patch_no", rows.get(0).getCellText(0));
            assertEquals(List.of("37011220250001", "37011220250002", "37011220250003", "37011320250001"),
                    rows.subList(1, 5).stream().map(r -> r.getCellText(0)).toList());
            assertEquals("1.35", rows.get(1).getCellAsNumber(4).orElseThrow().toPlainString());
            assertEquals("dossier_港沟街道.pdf", rows.get(1).getCellText(PatchList.COLUMNS.size()
                    + PatchList.VERDICT_HEADERS.size()), "the dossier link shows its file name");
        }
        List<List<String>> csv = InspectorListsTest.readCsv(dir.resolve(PatchList.CSV_FILE));
        assertEquals(5, csv.size());
        assertEquals("A;B", csv.get(2).get(PatchList.COLUMNS.indexOf(PatchListTest.column("parcel_ids"))));
    }

    @Test
    void aFilledInPatchListJudgesThePatchOnEachOfItsParcels() throws Exception {
        write();
        List<String> lines = Files.readAllLines(dir.resolve(PatchList.CSV_FILE), StandardCharsets.UTF_8);
        // Row 3 of the file is patch 37011220250002 on parcels A and B: the inspector picks 误报 from the drop-down.
        lines.set(2, lines.get(2).replaceFirst(",,,,$", ",误报 false_alarm,,2025-10-01,photo 17.jpg"));
        Path filled = dir.resolve("filled.csv");
        Files.write(filled, lines, StandardCharsets.UTF_8);
        VerdictFile.Contents c = VerdictFile.read(filled);
        assertEquals(4, c.rows());
        assertEquals(3, c.blankRows());
        assertEquals(List.of("A", "B"), c.verdicts().stream().map(VerdictFile.Verdict::parcelId).toList());
        assertTrue(c.verdicts().stream().allMatch(v -> v.patchId().equals("CPc") && v.verdict().equals("false_alarm")),
                c.verdicts().toString());
    }
}
