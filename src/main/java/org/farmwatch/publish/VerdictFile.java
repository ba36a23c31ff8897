package org.farmwatch.publish;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dhatim.fastexcel.reader.Cell;
import org.dhatim.fastexcel.reader.CellType;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.ReadingOptions;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;
import org.farmwatch.util.FarmwatchException;

/**
 * Reads inspectors' verdicts from the lists {@link InspectorLists} wrote, filled in: {@code flagged_parcels.csv}
 * or {@code flagged_parcels.xlsx} (every sheet whose first row has a parcel_id column; the summary has none).
 * Columns are found by the English key in their header ({@code parcel_id}, {@code patch_ids} or {@code patch_id},
 * {@code verdict}, {@code approval_number}, {@code decided_on}), so the inspectors may reorder or drop others.
 * A row with an empty verdict is not judged yet and is skipped. A row judges each of its patch ids (separated by
 * {@code ;}) on its parcel.
 */
public final class VerdictFile {

    /** Verdict codes as the one map stores them. */
    public static final List<String> VERDICTS = List.of("confirmed", "false_alarm", "approved");

    /** One judged patch on one parcel; {@code place} names the row for messages ("row 7", "sheet 东升镇 row 3"). */
    public record Verdict(String place, String parcelId, String patchId, String verdict, String approvalNumber,
                          LocalDate decidedOn) {}

    /** What a file held: the verdicts, and how many rows were not judged yet. */
    public record Contents(List<Verdict> verdicts, int rows, int blankRows) {}

    private static final Map<String, String> SPELLINGS = new LinkedHashMap<>();

    static {
        // The drop-down's choices ("属实 confirmed", ListFiles.VERDICT_CHOICES) read as "属实_confirmed".
        for (String s : List.of("confirmed", "confirm", "true", "属实", "确认", "确认属实", "违法", "1", "属实_confirmed")) {
            SPELLINGS.put(s, "confirmed");
        }
        for (String s : List.of("false_alarm", "false", "falsealarm", "误报", "不属实", "伪变化", "2",
                "误报_false_alarm")) {
            SPELLINGS.put(s, "false_alarm");
        }
        for (String s : List.of("approved", "legally_approved", "legal", "合法", "已批准", "合法批准", "批准", "3",
                "合法_approved")) {
            SPELLINGS.put(s, "approved");
        }
    }

    private VerdictFile() {}

    /**
     * Reads and checks a verdict file: XLSX by its name ending, else CSV (UTF-8, with or without a byte-order mark).
     *
     * @throws FarmwatchException INPUT naming the file and the row for an unreadable file, a missing column, an
     *                            unknown verdict, an approval without its number, a bad date, or one patch judged twice
     *                            differently
     */
    public static Contents read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw FarmwatchException.input("找不到核查结论文件 verdict file not found: " + file);
        }
        List<Table> tables = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".xlsx")
                ? xlsx(file) : List.of(csv(file));
        List<Verdict> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int rows = 0;
        int blank = 0;
        boolean any = false;
        for (Table t : tables) {
            Map<String, Integer> col = columns(t.header());
            boolean patchForm = !col.containsKey("parcel_id") && col.containsKey("parcel_ids");
            if (!col.containsKey("parcel_id") && !patchForm) {
                continue; // the summary sheet
            }
            any = true;
            for (String need : List.of("patch_id", "verdict")) {
                if (!col.containsKey(need)) {
                    String en = need + (need.equals("patch_id") && !patchForm ? "s" : "");
                    throw FarmwatchException.input(file + ": " + placeZh(t.name()) + "缺少 " + en + " 列 / " + t.name()
                            + "has no " + en + " column (header: " + String.join(", ", t.header()) + ")");
                }
            }
            for (int r = 0; r < t.rows().size(); r++) {
                List<String> row = t.rows().get(r);
                String place = t.name() + "row " + (r + 2);
                String parcel = cell(row, col.get(patchForm ? "parcel_ids" : "parcel_id"));
                String verdictText = cell(row, col.get("verdict"));
                if (parcel.isEmpty() && verdictText.isEmpty()) {
                    continue; // an empty line
                }
                rows++;
                if (verdictText.isEmpty()) {
                    blank++;
                    continue;
                }
                String verdict = SPELLINGS.get(verdictText.toLowerCase(Locale.ROOT).replaceAll("[\\s-]+", "_"));
                String approval = cell(row, col.get("approval_number"));
                String decided = cell(row, col.get("decided_on"));
                List<String> patches = new ArrayList<>();
                for (String p : cell(row, col.get("patch_id")).split("[;,\\s]+")) {
                    if (!p.isEmpty()) {
                        patches.add(p);
                    }
                }
                String[] problem = null; // {Chinese, English}
                LocalDate date = null;
                if (parcel.isEmpty()) {
                    problem = new String[] {"没有地块编号", "no parcel_id"};
                } else if (verdict == null) {
                    problem = new String[] {"核查结论“" + verdictText + "”不是 " + String.join("、", ListFiles.VERDICT_CHOICES)
                            + " 之一", "verdict '" + verdictText + "' is not one of " + String.join(", ", VERDICTS)};
                } else if (verdict.equals("approved") && approval.isEmpty()) {
                    problem = new String[] {"合法批准须填写批准文号", "verdict approved needs its approval_number"};
                } else if (patches.isEmpty()) {
                    problem = new String[] {"没有图斑标识", "no patch_ids"};
                } else if (!decided.isEmpty()) {
                    try {
                        date = LocalDate.parse(decided.length() > 10 ? decided.substring(0, 10) : decided);
                    } catch (DateTimeParseException e) {
                        problem = new String[] {"核查日期“" + decided + "”不是 2025-06-30 这样的日期",
                                "decided_on '" + decided + "' is not a date like 2025-06-30"};
                    }
                }
                String shownParcel = parcel.isEmpty() ? "?" : parcel;
                if (problem != null) {
                    problems.add(placeZh(place) + "（地块 " + shownParcel + "）：" + problem[0] + " / " + place
                            + " (parcel " + shownParcel + "): " + problem[1]);
                    continue;
                }
                // The patch list names every parcel a patch lies on: its verdict holds on each.
                for (String onParcel : patchForm ? List.of(parcel.split("[;,\\s]+")) : List.of(parcel)) {
                    for (String patch : patches) {
                        out.add(new Verdict(place, onParcel, patch, verdict, approval.isEmpty() ? null : approval, date));
                    }
                }
            }
        }
        if (!any) {
            throw FarmwatchException.input(file + ": 没有含 parcel_id 列的" + (tables.size() > 1 ? "工作表" : "表头")
                    + "，应为 farmwatch 写出的核查清单 / no " + (tables.size() > 1 ? "sheet" : "header")
                    + " with a parcel_id column; expected the inspector list farmwatch wrote");
        }
        // One patch judged twice: the same verdict twice is harmless, two different ones are a mistake.
        Map<String, Verdict> seen = new LinkedHashMap<>();
        List<Verdict> unique = new ArrayList<>();
        for (Verdict v : out) {
            Verdict before = seen.putIfAbsent(v.parcelId() + "\u0000" + v.patchId(), v);
            if (before == null) {
                unique.add(v);
            } else if (!before.verdict().equals(v.verdict())
                    || !java.util.Objects.equals(before.approvalNumber(), v.approvalNumber())
                    || !java.util.Objects.equals(before.decidedOn(), v.decidedOn())) {
                problems.add(placeZh(v.place()) + "（地块 " + v.parcelId() + "）：图斑 " + v.patchId() + " 与"
                        + placeZh(before.place()) + "结论不同 / " + v.place() + " (parcel " + v.parcelId() + "): patch "
                        + v.patchId() + " is judged differently in " + before.place());
            }
        }
        if (!problems.isEmpty()) {
            throw FarmwatchException.input(file + " " + problems.get(0)
                    + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more bad rows)（另有 "
                    + (problems.size() - 1) + " 行有误）" : "") + "; " + NOTHING_IMPORTED);
        }
        return new Contents(List.copyOf(unique), rows, blank);
    }

    /**
     * Writes a copy of the CSV list {@code list} with its verdict column filled as an inspector would: each row's
     * verdict is {@code verdictOf} its parcel id. For the demo's round trip; returns the verdicts written, in row order.
     */
    public static List<String> fillCsv(Path list, java.util.function.Function<String, String> verdictOf, Path to)
            throws IOException {
        Table t = csv(list);
        Map<String, Integer> col = columns(t.header());
        Integer parcel = col.get("parcel_id");
        Integer verdict = col.get("verdict");
        if (parcel == null || verdict == null) {
            throw FarmwatchException.input(list + " has no parcel_id or verdict column: " + t.header());
        }
        List<String> written = new ArrayList<>();
        try (java.io.Writer w = Files.newBufferedWriter(to, StandardCharsets.UTF_8)) {
            w.write('\uFEFF');
            ListFiles.writeCsvRow(w, t.header());
            for (List<String> row : t.rows()) {
                List<String> filled = new ArrayList<>(row);
                if (filled.size() > verdict) {
                    String v = verdictOf.apply(cell(row, parcel));
                    filled.set(verdict, v);
                    written.add(v);
                }
                ListFiles.writeCsvRow(w, filled);
            }
        }
        return written;
    }

    /** How every refusal of a verdict file ends: no verdict of it was stored. */
    public static final String NOTHING_IMPORTED = "nothing imported 未导入任何结论";

    /**
     * The Chinese of a row's place as {@link Verdict#place} gives it: "row 7" is "第 7 行", "sheet 东升镇 row 3" is
     * "工作表 东升镇 第 3 行", "sheet 东升镇 " is "工作表 东升镇 ".
     */
    public static String placeZh(String place) {
        String zh = place.replaceAll("row (\\d+)$", "第 $1 行");
        return zh.startsWith("sheet ") ? "工作表 " + zh.substring(6) : zh;
    }

    /** A sheet or CSV file: its name as a message prefix ("" or "sheet X "), header and rows of text. */
    private record Table(String name, List<String> header, List<List<String>> rows) {}

    /** Column key to index. A header names its key as one of its words, as in "核查结论 verdict". */
    static Map<String, Integer> columns(List<String> header) {
        Map<String, Integer> col = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            for (String word : header.get(i).toLowerCase(Locale.ROOT).split("[\\s()（）]+")) {
                String key = word.equals("patch_ids") ? "patch_id" : word;
                if (List.of("parcel_id", "parcel_ids", "patch_id", "verdict", "approval_number", "decided_on")
                        .contains(key)) {
                    col.putIfAbsent(key, i);
                }
            }
        }
        return col;
    }

    private static String cell(List<String> row, Integer index) {
        if (index == null || index >= row.size() || row.get(index) == null) {
            return "";
        }
        return unneutralised(row.get(index).strip());
    }

    /** Undoes {@link InspectorLists#neutralised}: the {@code '} that kept text such as "-2+3" from being a formula. */
    static String unneutralised(String s) {
        if (s.length() > 1 && s.charAt(0) == '\'' && "=+-@\t\r".indexOf(s.charAt(1)) >= 0) {
            return s.substring(1);
        }
        return s;
    }

    // ---- CSV (RFC 4180, as InspectorLists writes it) ----

    private static Table csv(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw FarmwatchException.input(file + " 不是 UTF-8 文本（请另存为“CSV UTF-8”，或交回 .xlsx）/ is not UTF-8 text (save the CSV as \"CSV UTF-8\", or send the .xlsx)");
        } catch (IOException e) {
            throw FarmwatchException.input("无法读取 cannot read " + file + ": " + e.getMessage(), e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<List<String>> records = parseCsv(text, file);
        if (records.isEmpty()) {
            throw FarmwatchException.input(file + " 是空文件 / is empty");
        }
        return new Table("", records.get(0), records.subList(1, records.size()));
    }

    static List<List<String>> parseCsv(String text, Path file) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        boolean atStart = true;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        f.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    f.append(ch);
                }
            } else if (ch == '"' && f.isEmpty()) {
                quoted = true;
                atStart = false;
            } else if (ch == ',') {
                fields.add(f.toString());
                f.setLength(0);
                atStart = false;
            } else if (ch == '\r' || ch == '\n') {
                if (ch == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                if (!(atStart && fields.isEmpty() && f.isEmpty())) {
                    fields.add(f.toString());
                    records.add(fields);
                }
                fields = new ArrayList<>();
                f.setLength(0);
                atStart = true;
            } else {
                f.append(ch);
                atStart = false;
            }
        }
        if (quoted) {
            throw FarmwatchException.input(file + ": 第 " + (records.size() + 1) + " 行引号未闭合 / a quoted field is not closed (line "
                    + (records.size() + 1) + ")");
        }
        if (!atStart || !fields.isEmpty() || !f.isEmpty()) {
            fields.add(f.toString());
            records.add(fields);
        }
        return records;
    }

    // ---- XLSX ----

    private static List<Table> xlsx(Path file) {
        List<Table> tables = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file); ReadableWorkbook wb = new ReadableWorkbook(in, new ReadingOptions(true, false))) {
            for (Sheet sheet : wb.getSheets().toList()) {
                List<Row> rows = sheet.read();
                if (rows.isEmpty()) {
                    continue;
                }
                List<List<String>> text = new ArrayList<>();
                for (Row r : rows) {
                    List<String> cells = new ArrayList<>();
                    for (int c = 0; c < r.getCellCount(); c++) {
                        cells.add(text(r.getCell(c)));
                    }
                    text.add(cells);
                }
                tables.add(new Table("sheet " + sheet.getName() + " ", text.get(0), text.subList(1, text.size())));
            }
        } catch (IOException | RuntimeException e) {
            throw FarmwatchException.input("无法读取工作簿 cannot read workbook " + file + ": " + e.getMessage(), e);
        }
        return tables;
    }

    private static String text(Cell c) {
        if (c == null || c.getType() == CellType.EMPTY) {
            return "";
        }
        if (c.getType() == CellType.NUMBER) {
            // A date typed into Excel is a day number; a parcel id typed as a number has no fraction.
            String format = c.getDataFormatString();
            if (format != null && format.toLowerCase(Locale.ROOT).matches(".*[yd].*")) {
                return c.asDate().toLocalDate().toString();
            }
            return c.asNumber().stripTrailingZeros().toPlainString();
        }
        return c.getText();
    }
}
