package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.dhatim.fastexcel.Workbook;
import org.dhatim.fastexcel.Worksheet;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.util.FarmwatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lists InspectorLists writes, filled in by inspectors, read back by VerdictFile: CSV and XLSX, good and bad rows. */
class VerdictFileTest {

    @TempDir
    Path dir;

    private Path lists() {
        InspectorLists.write(List.of(InspectorListsTest.parcel("P-1", "东升镇", ChangeType.NON_AGRICULTURAL, 9),
                InspectorListsTest.parcel("-2+3", "海淀镇", ChangeType.NON_GRAIN, 5),
                InspectorListsTest.parcel("P-3", "海淀镇", ChangeType.NON_GRAIN, 1)), dir);
        return dir;
    }

    /** The written CSV with cells of the verdict columns set per row (1-based data rows). */
    private Path filledCsv(String[]... verdictNumberDate) throws Exception {
        List<String> lines = Files.readAllLines(lists().resolve(InspectorLists.CSV_FILE), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        out.add(lines.get(0));
        for (int r = 1; r < lines.size(); r++) {
            String line = lines.get(r);
            String[] v = r - 1 < verdictNumberDate.length ? verdictNumberDate[r - 1] : new String[] {"", "", ""};
            // The three verdict columns are the last three, written empty.
            assertTrue(line.endsWith(",,,"), line);
            out.add(line.substring(0, line.length() - 3) + "," + String.join(",", v));
        }
        Path f = dir.resolve("filled.csv");
        Files.writeString(f, String.join("\r\n", out) + "\r\n", StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void aFilledCsvGivesOneVerdictPerPatchAndSkipsRowsNotJudged() throws Exception {
        Path f = filledCsv(new String[] {"误报", "", "2025-06-30"}, new String[] {"legally approved", "京规自(2025)7号", ""});
        VerdictFile.Contents c = VerdictFile.read(f);
        assertEquals(3, c.rows());
        assertEquals(1, c.blankRows());
        // Priority order: P-1 first, then -2+3 (its formula guard ' removed again).
        assertEquals(List.of(
                new VerdictFile.Verdict("row 2", "P-1", "cp-1", "false_alarm", null, LocalDate.of(2025, 6, 30)),
                new VerdictFile.Verdict("row 2", "P-1", "cp-2", "false_alarm", null, LocalDate.of(2025, 6, 30)),
                new VerdictFile.Verdict("row 3", "-2+3", "cp-1", "approved", "京规自(2025)7号", null),
                new VerdictFile.Verdict("row 3", "-2+3", "cp-2", "approved", "京规自(2025)7号", null)), c.verdicts());
    }

    @Test
    void badRowsAreRefusedNamingTheRow() throws Exception {
        FarmwatchException e = assertThrows(FarmwatchException.class,
                () -> VerdictFile.read(filledCsv(new String[] {"confirmed", "", ""}, new String[] {"maybe", "", ""})));
        assertEquals(FarmwatchException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains("row 3 (parcel -2+3): verdict 'maybe' is not one of"), e.getMessage());

        e = assertThrows(FarmwatchException.class,
                () -> VerdictFile.read(filledCsv(new String[] {"", "", ""}, new String[] {"", "", ""},
                        new String[] {"approved", "", ""})));
        assertTrue(e.getMessage().contains("row 4 (parcel P-3): verdict approved needs its approval_number"), e.getMessage());

        e = assertThrows(FarmwatchException.class,
                () -> VerdictFile.read(filledCsv(new String[] {"confirmed", "", "30/06/2025"}, new String[] {"x", "", ""})));
        assertTrue(e.getMessage().contains("row 2 (parcel P-1): decided_on '30/06/2025' is not a date")
                && e.getMessage().contains("(and 1 more bad rows)"), e.getMessage());
    }

    @Test
    void onePatchJudgedTwiceDifferentlyIsRefused() throws Exception {
        Path f = dir.resolve("twice.csv");
        Files.writeString(f, "parcel_id,patch_id,verdict,approval_number\nP-1,cp-1,confirmed,\nP-1,cp-1;cp-9,false_alarm,\n",
                StandardCharsets.UTF_8);
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> VerdictFile.read(f));
        assertTrue(e.getMessage().contains("row 3 (parcel P-1): patch cp-1 is judged differently in row 2"), e.getMessage());
    }

    @Test
    void aFileWithoutTheColumnsIsRefused() throws Exception {
        Path f = dir.resolve("other.csv");
        Files.writeString(f, "id,comment\n1,looks fine\n", StandardCharsets.UTF_8);
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> VerdictFile.read(f));
        assertEquals(FarmwatchException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains("no header with a parcel_id column"), e.getMessage());
    }

    @Test
    void aFilledWorkbookIsReadFromEveryTownshipSheet() throws Exception {
        Path written = lists().resolve(InspectorLists.XLSX_FILE);
        Path filled = dir.resolve("filled.xlsx");
        // What an inspector does in Excel: type verdicts (and a real date cell) into the empty columns.
        try (ReadableWorkbook in = new ReadableWorkbook(written.toFile());
             OutputStream os = Files.newOutputStream(filled)) {
            Workbook wb = new Workbook(os, "test", "1.0");
            for (Sheet sheet : in.getSheets().toList()) {
                Worksheet ws = wb.newWorksheet(sheet.getName());
                List<Row> rows = sheet.read();
                int width = rows.get(0).getCellCount();
                for (Row r : rows) {
                    for (int c = 0; c < r.getCellCount(); c++) {
                        if (r.getCell(c) != null) {
                            if (r.getCell(c).getType() == org.dhatim.fastexcel.reader.CellType.NUMBER) {
                                ws.value(r.getRowNum() - 1, c, r.getCell(c).asNumber());
                            } else {
                                ws.value(r.getRowNum() - 1, c, r.getCell(c).getText());
                            }
                        }
                    }
                }
                if (sheet.getName().equals("海淀镇")) {
                    ws.value(1, width - 3, "approved");
                    ws.value(1, width - 2, "海规(2025)3号");
                    ws.value(1, width - 1, LocalDate.of(2025, 7, 1));
                    ws.style(1, width - 1).format("yyyy-mm-dd").set();
                    ws.value(2, width - 3, "confirmed");
                }
                ws.finish();
            }
            wb.finish();
        }
        VerdictFile.Contents c = VerdictFile.read(filled);
        assertEquals(3, c.rows());
        assertEquals(1, c.blankRows());
        assertEquals(List.of(
                new VerdictFile.Verdict("sheet 海淀镇 row 2", "-2+3", "cp-1", "approved", "海规(2025)3号", LocalDate.of(2025, 7, 1)),
                new VerdictFile.Verdict("sheet 海淀镇 row 2", "-2+3", "cp-2", "approved", "海规(2025)3号", LocalDate.of(2025, 7, 1)),
                new VerdictFile.Verdict("sheet 海淀镇 row 3", "P-3", "cp-1", "confirmed", null, null),
                new VerdictFile.Verdict("sheet 海淀镇 row 3", "P-3", "cp-2", "confirmed", null, null)), c.verdicts());
    }
}
