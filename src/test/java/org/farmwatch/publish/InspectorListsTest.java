package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.dhatim.fastexcel.reader.CellType;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.ReadingOptions;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKTReader;

class InspectorListsTest {

    private static final String SQUARE = "POLYGON ((116.30 39.90, 116.31 39.90, 116.31 39.91, 116.30 39.91, 116.30 39.90))";
    private static final String INJECTED_TOWNSHIP = "=HYPERLINK(\"http://evil.example/x\",\"点我\")";

    @TempDir
    Path dir;

    static FlaggedParcel parcel(String id, String township, ChangeType type, double priority) {
        return parcel(id, township, type, priority, "0101 水田", "non_agri_building");
    }

    static FlaggedParcel parcel(String id, String township, ChangeType type, double priority, String landClass,
            String rule) {
        Geometry g = wkt(SQUARE);
        return new FlaggedParcel(id, "110108001", township, landClass, type, rule, 2000.0, 1234.56, 2,
                List.of("cp-1", "cp-2"), "cropland", "building", "2024-05-01", "2025-05-01", priority,
                116.305, 39.905, g);
    }

    static Geometry wkt(String text) {
        try {
            return new WKTReader().read(text);
        } catch (ParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private List<FlaggedParcel> sample() {
        return List.of(
                parcel("P-003", "海淀镇", ChangeType.NON_GRAIN, 0.5),
                parcel("P-001", "海淀镇", ChangeType.NON_AGRICULTURAL, 0.9),
                parcel("P-002", "东升镇", ChangeType.NON_AGRICULTURAL, 0.9),
                parcel("P-004", "东升镇", ChangeType.OTHER, 0.1));
    }

    @Test
    void csvStartsWithBomAndEndsLinesWithCrlf() throws IOException {
        InspectorLists.write(sample(), dir);
        byte[] bytes = Files.readAllBytes(dir.resolve(InspectorLists.CSV_FILE));
        assertArrayEquals(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, java.util.Arrays.copyOf(bytes, 3));
        String text = new String(bytes, 3, bytes.length - 3, StandardCharsets.UTF_8);
        assertTrue(text.endsWith("\r\n"));
        assertEquals(5, text.split("\r\n").length, "header and four parcels");
        assertFalse(text.replace("\r\n", "").contains("\n"), "no bare LF outside quoted fields");
        assertTrue(text.startsWith("地块编号 parcel_id,乡镇 township,"), text);
    }

    @Test
    void csvAndSheetsAreSortedByPriorityThenParcelId() throws IOException {
        InspectorLists.write(sample(), dir);
        List<List<String>> csv = readCsv(dir.resolve(InspectorLists.CSV_FILE));
        assertEquals(List.of("P-001", "P-002", "P-003", "P-004"),
                csv.subList(1, csv.size()).stream().map(r -> r.get(0)).toList());
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            List<Row> rows = wb.findSheet("海淀镇").orElseThrow().read();
            assertEquals(List.of("P-001", "P-003"), List.of(rows.get(1).getCellText(0), rows.get(2).getCellText(0)));
        }
    }

    @Test
    void csvQuotesCommasAndQuotesAndKeepsEachRowOnOneLine() throws IOException {
        String township = "东升镇, \"北\"\n片区";
        String rule = "rule with\r\nCRLF";
        InspectorLists.write(List.of(parcel("P,1", township, ChangeType.NON_GRAIN, 1, "0102 \"水浇地\"", rule)), dir);
        String text = Files.readString(dir.resolve(InspectorLists.CSV_FILE), StandardCharsets.UTF_8);
        // A CR or LF in an attribute becomes a space (issue 19): a row is one line in any reader.
        assertTrue(text.contains("\"P,1\",\"东升镇, \"\"北\"\" 片区\","), text);
        assertTrue(text.contains(",\"0102 \"\"水浇地\"\"\","), text);
        assertTrue(text.contains(",rule with  CRLF,"), text);
        assertEquals(2, text.split("\r\n").length, text);
        List<List<String>> rows = readCsv(dir.resolve(InspectorLists.CSV_FILE));
        assertEquals(2, rows.size());
        township = "东升镇, \"北\" 片区";
        rule = "rule with  CRLF";
        assertEquals(List.of("P,1", township, "110108001", "0102 \"水浇地\"", "非粮化", "non_grain",
                "耕地 → building  cropland → building", "1234.6", "1.85",
                "61.7", "2", "2024-05-01", "2025-05-01", "116.305000", "39.905000", "1.00", rule, "cp-1;cp-2",
                "", "", ""),
                rows.get(1));
    }

    @Test
    void csvNeutralisesFormulaTextButNotNumbers() throws IOException {
        FlaggedParcel p = new FlaggedParcel("@SUM(1)", "+86", INJECTED_TOWNSHIP, "-1", ChangeType.NON_AGRICULTURAL,
                "\tcmd", 100, 50, 1, List.of("\rx", "ok"), "a", "b", "2024-05-01", "2025-05-01", -0.5, -73.25,
                -40.5, null);
        InspectorLists.write(List.of(p), dir);
        List<String> row = readCsv(dir.resolve(InspectorLists.CSV_FILE)).get(1);
        assertEquals("'@SUM(1)", row.get(0));
        assertEquals("'" + INJECTED_TOWNSHIP, row.get(1));
        assertEquals("'+86", row.get(2));
        assertEquals("'-1", row.get(3));
        // A leading tab or CR is a space now (issue 19), which no spreadsheet evaluates.
        assertEquals(" cmd", row.get(16));
        assertEquals(" x;ok", row.get(17));
        assertEquals("-73.250000", row.get(13), "numbers are not text and are not touched");
        assertEquals("-40.500000", row.get(14));
        assertEquals("-0.50", row.get(15));
    }

    @Test
    void workbookHasSummaryThenOneSheetPerTownship() throws IOException {
        InspectorLists.write(sample(), dir);
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            List<String> names = wb.getSheets().map(Sheet::getName).toList();
            assertEquals(List.of("汇总 Summary", "东升镇", "海淀镇"), names);

            List<Row> summary = wb.getFirstSheet().read();
            assertEquals("乡镇 township", summary.get(0).getCellText(0));
            assertEquals(List.of("非农化 non_agricultural", "非粮化 non_grain", "其他 other", "合计 total"),
                    List.of(summary.get(0).getCellText(2), summary.get(0).getCellText(3),
                            summary.get(0).getCellText(4), summary.get(0).getCellText(5)));
            // 东升镇: one non-agricultural, one other; 海淀镇: one of each of the first two; then totals.
            assertEquals(List.of(1, 0, 1, 2), counts(summary.get(1)));
            assertEquals(List.of(1, 1, 0, 2), counts(summary.get(2)));
            assertEquals("合计 total", summary.get(3).getCellText(0));
            assertEquals(List.of(2, 1, 1, 4), counts(summary.get(3)));
            assertEquals(CellType.NUMBER, summary.get(3).getCell(6).getType());
            assertEquals(new BigDecimal("7.41"), summary.get(3).getCell(6).asNumber().setScale(2));

            List<Row> sheet = wb.findSheet("东升镇").orElseThrow().read();
            List<String> header = sheet.get(0).stream().map(c -> c.getText()).toList();
            List<String> expected = new java.util.ArrayList<>(
                    InspectorLists.COLUMNS.stream().map(ListColumn::header).toList());
            expected.addAll(InspectorLists.VERDICT_HEADERS);
            assertEquals(expected, header);
            assertEquals(3, sheet.size());
        }
    }

    @Test
    void workbookStoresNumbersAsNumbersAndTextAsText() throws IOException {
        InspectorLists.write(sample(), dir);
        ReadingOptions withFormats = new ReadingOptions(true, false);
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile(), withFormats)) {
            Row r = wb.findSheet("海淀镇").orElseThrow().read().get(1);
            for (int c = 0; c < InspectorLists.COLUMNS.size(); c++) {
                ListColumn<FlaggedParcel> col = InspectorLists.COLUMNS.get(c);
                assertEquals(col.numeric() ? CellType.NUMBER : CellType.STRING, r.getCell(c).getType(), col.header());
            }
            assertEquals(0, new BigDecimal("1234.6").compareTo(r.getCell(7).asNumber()));
            assertEquals(0, new BigDecimal("1.85").compareTo(r.getCell(8).asNumber()));
            assertEquals(0, new BigDecimal("61.7").compareTo(r.getCell(9).asNumber()));
            assertEquals(0, new BigDecimal("2").compareTo(r.getCell(10).asNumber()));
            assertEquals(0, new BigDecimal("116.305").compareTo(r.getCell(13).asNumber()));
            assertEquals(0, new BigDecimal("0.9").compareTo(r.getCell(15).asNumber()));
            assertEquals("0.00", r.getCell(8).getDataFormatString());
            assertEquals("0.000000", r.getCell(13).getDataFormatString());
        }
    }

    @Test
    void workbookNeutralisesFormulaText() throws IOException {
        List<FlaggedParcel> parcels = List.of(parcel("@SUM(1)", INJECTED_TOWNSHIP, ChangeType.NON_GRAIN, 1),
                parcel("-2+3", "正常镇", ChangeType.NON_GRAIN, 1, "=1+1", "\u0001\u0007 bell"));
        InspectorLists.write(parcels, dir);
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            List<Sheet> sheets = wb.getSheets().toList();
            assertEquals(3, sheets.size());
            Sheet injected = sheets.stream().filter(s -> s.getName().startsWith("=HYPERLINK")).findFirst().orElseThrow();
            Row r = injected.read().get(1);
            assertEquals("'@SUM(1)", r.getCellText(0));
            assertEquals("'" + INJECTED_TOWNSHIP, r.getCellText(1));
            for (Sheet s : sheets) {
                for (Row row : s.read()) {
                    row.forEach(cell -> {
                        if (cell != null) {
                            assertTrue(cell.getType() != CellType.FORMULA, "formula in " + s.getName());
                        }
                    });
                }
            }
            Row plain = wb.findSheet("正常镇").orElseThrow().read().get(1);
            assertEquals("'-2+3", plain.getCellText(0));
            assertEquals("'=1+1", plain.getCellText(3));
            assertEquals(" bell", plain.getCellText(16), "XML-illegal control characters are dropped");
            List<Row> summary = wb.getFirstSheet().read();
            assertTrue(summary.stream().anyMatch(row -> ("'" + INJECTED_TOWNSHIP).equals(row.getCellText(0))));
        }
    }

    @Test
    void sheetNamesFollowExcelRules() throws IOException {
        String longName = "一个非常非常非常非常非常非常非常非常非常非常长的乡镇名字甚至超过了三十一个字符";
        List<FlaggedParcel> parcels = new ArrayList<>();
        for (String t : List.of("东/村", "东:村", "A[1]*?\\", longName, longName + "二", "'引号'", "history", "",
                "汇总 summary")) {
            parcels.add(parcel("P-" + parcels.size(), t, ChangeType.OTHER, 1));
        }
        InspectorLists.write(parcels, dir);
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            List<String> names = wb.getSheets().map(Sheet::getName).toList();
            assertEquals(parcels.size() + 1, names.size(), names.toString());
            Set<String> lower = new HashSet<>();
            for (String n : names) {
                assertTrue(n.length() <= 31 && !n.isBlank(), n);
                assertTrue(n.chars().noneMatch(ch -> "[]:*?/\\".indexOf(ch) >= 0), n);
                assertFalse(n.startsWith("'") || n.endsWith("'"), n);
                assertFalse(n.equalsIgnoreCase("history"), n);
                assertTrue(lower.add(n.toLowerCase(java.util.Locale.ROOT)), "duplicate " + n);
            }
            assertTrue(names.contains("东_村") && names.contains("东_村~2"), names.toString());
            assertTrue(names.contains("A_1____"), names.toString());
            assertTrue(names.contains(longName.substring(0, 31)), names.toString());
            assertTrue(names.contains(longName.substring(0, 29) + "~2"), names.toString());
            assertTrue(names.contains("汇总 summary~2"), names.toString());
            assertTrue(names.contains("’引号’"), names.toString());
            // Each sheet still lists its parcel, so no township is lost to renaming.
            long listed = wb.getSheets().skip(1).mapToLong(s -> {
                try {
                    return s.read().size() - 1;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
            assertEquals(parcels.size(), listed);
        }
    }

    @Test
    void townshipSheetsFreezeTheHeaderAndFilterTheData() throws IOException {
        InspectorLists.write(sample(), dir);
        try (ZipFile zip = new ZipFile(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            String sheet2 = read(zip, "xl/worksheets/sheet2.xml");
            assertTrue(sheet2.contains("state=\"frozen\"") && sheet2.contains("ySplit=\"1\""), sheet2);
            assertTrue(sheet2.contains("<autoFilter ref=\"A1:U3\""), sheet2);
            String workbook = read(zip, "xl/workbook.xml");
            assertTrue(workbook.contains("_xlnm._FilterDatabase"), workbook);
        }
    }

    @Test
    void emptyListWritesHeadersAndZeroTotals() throws IOException {
        InspectorLists.write(List.of(), dir);
        List<List<String>> csv = readCsv(dir.resolve(InspectorLists.CSV_FILE));
        assertEquals(1, csv.size());
        try (ReadableWorkbook wb = new ReadableWorkbook(dir.resolve(InspectorLists.XLSX_FILE).toFile())) {
            assertEquals(List.of("汇总 Summary"), wb.getSheets().map(Sheet::getName).toList());
            assertEquals(List.of(0, 0, 0, 0), counts(wb.getFirstSheet().read().get(1)));
        }
    }

    @Test
    void rewritingReplacesFilesAndLeavesNoTemporaries() throws IOException {
        Path out = dir.resolve("county/110108");
        InspectorLists.write(sample(), out);
        InspectorLists.write(sample().subList(0, 1), out);
        assertEquals(2, readCsv(out.resolve(InspectorLists.CSV_FILE)).size());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(Set.of(InspectorLists.CSV_FILE, InspectorLists.XLSX_FILE),
                    files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    private static List<Integer> counts(Row row) {
        List<Integer> counts = new ArrayList<>();
        for (int c = 2; c <= 5; c++) {
            assertEquals(CellType.NUMBER, row.getCell(c).getType());
            counts.add(row.getCell(c).asNumber().intValueExact());
        }
        return counts;
    }

    static String read(ZipFile zip, String entry) throws IOException {
        try (InputStream in = zip.getInputStream(zip.getEntry(entry))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A strict RFC 4180 reader for the test: quoted fields may hold commas, quotes and line breaks. */
    static List<List<String>> readCsv(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        if (s.startsWith("\uFEFF")) {
            s = s.substring(1);
        }
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char ch = s.charAt(i);
            if (ch == '"' && field.length() == 0) {
                i++;
                while (true) {
                    char q = s.charAt(i++);
                    if (q == '"') {
                        if (i < s.length() && s.charAt(i) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        field.append(q);
                    }
                }
            } else if (ch == ',') {
                row.add(field.toString());
                field.setLength(0);
                i++;
            } else if (ch == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i += 2;
            } else {
                assertTrue(ch != '"' && ch != '\n' && ch != '\r', "unquoted special character at " + i);
                field.append(ch);
                i++;
            }
        }
        assertTrue(row.isEmpty() && field.length() == 0, "last line ends with CRLF");
        return rows;
    }
}
