package org.farmwatch.publish;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.text.Collator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.dhatim.fastexcel.Workbook;
import org.dhatim.fastexcel.Worksheet;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.FarmwatchException;

/**
 * Writes the lists of flagged parcels that county inspectors work from: {@code flagged_parcels.csv}
 * with every township, and {@code flagged_parcels.xlsx} with a summary sheet and one sheet per
 * township. Both list parcels by priority, highest first, then by parcel id.
 *
 * <p>Conventions: areas in square metres and mu (亩), rounded as printed, and the same rounded
 * values are stored as numbers in the workbook; the changed share is a percentage; centroids are
 * CGCS2000 (EPSG:4490) longitude and latitude in degrees. Text that a spreadsheet would run as a
 * formula (starting with {@code = + - @}, tab or CR) is prefixed with {@code '}.
 */
public final class InspectorLists {

    public static final String CSV_FILE = "flagged_parcels.csv";
    public static final String XLSX_FILE = "flagged_parcels.xlsx";
    static final String SUMMARY_SHEET = "汇总 Summary";
    static final String UNKNOWN_TOWNSHIP = "未知乡镇 unknown";

    /** Excel's limit on sheet name length, in UTF-16 units. */
    private static final int MAX_SHEET_NAME = 31;

    /**
     * One column of the list: a bilingual header, and the cell of a parcel as text or as a number.
     * {@code decimals} is -1 for text, otherwise the number of decimals it is rounded to.
     */
    record Column(String header, int decimals, double widthChars, Function<FlaggedParcel, Object> read) {

        boolean numeric() {
            return decimals >= 0;
        }

        /** The parcel's cell: a String (never null), or a BigDecimal rounded as printed, or null when not finite. */
        Object cell(FlaggedParcel p) {
            Object v = read.apply(p);
            if (!numeric()) {
                return v == null ? "" : v.toString();
            }
            double d = ((Number) v).doubleValue();
            // BigDecimal.valueOf rounds the shortest decimal form, so 0.125 prints as 0.13 as people expect.
            return Double.isFinite(d) ? BigDecimal.valueOf(d).setScale(decimals, RoundingMode.HALF_UP) : null;
        }

        /** Excel number format matching the rounding. */
        String excelFormat() {
            return decimals == 0 ? "0" : "0." + "0".repeat(decimals);
        }

        static Column text(String header, double width, Function<FlaggedParcel, Object> read) {
            return new Column(header, -1, width, read);
        }

        static Column number(String header, int decimals, double width, Function<FlaggedParcel, Object> read) {
            return new Column(header, decimals, width, read);
        }
    }

    /** The list's columns, shared with the HTML report's table. */
    static final List<Column> COLUMNS = List.of(
            Column.text("地块编号 parcel_id", 18, FlaggedParcel::parcelId),
            Column.text("乡镇 township", 14, FlaggedParcel::township),
            Column.text("行政区划代码 admin_code", 14, FlaggedParcel::adminCode),
            Column.text("地类 land_class", 12, FlaggedParcel::landClass),
            Column.text("变化类型 change_type_zh", 10, p -> p.changeType() == null ? null : p.changeType().chinese),
            Column.text("变化类型代码 change_type", 16, p -> p.changeType() == null ? null : p.changeType().code),
            Column.number("变化面积(平方米) changed_area_m2", 1, 14, FlaggedParcel::changedAreaM2),
            Column.number("变化面积(亩) changed_area_mu", 2, 12, FlaggedParcel::changedAreaMu),
            Column.number("变化占比(%) changed_share_pct", 1, 12, p -> 100.0 * p.changedShare()),
            Column.number("图斑数 patch_count", 0, 8, FlaggedParcel::patchCount),
            Column.text("前时相日期 before_date", 12, FlaggedParcel::beforeDate),
            Column.text("后时相日期 after_date", 12, FlaggedParcel::afterDate),
            Column.number("中心点经度(CGCS2000) centroid_lon", 6, 13, FlaggedParcel::centroidLon),
            Column.number("中心点纬度(CGCS2000) centroid_lat", 6, 13, FlaggedParcel::centroidLat),
            Column.number("优先级 priority", 2, 9, FlaggedParcel::priority),
            Column.text("判定规则 rule", 18, FlaggedParcel::rule),
            Column.text("图斑编号 patch_ids", 24, InspectorLists::joinedPatchIds));

    /**
     * Empty columns after {@link #COLUMNS} in the CSV and the township sheets, for the inspectors to fill in and
     * send back through {@code import-verdicts} ({@link VerdictFile} finds them by the English key in the header).
     */
    static final List<String> VERDICT_HEADERS = List.of("核查结论 verdict (confirmed / false_alarm / approved)",
            "批准文号 approval_number", "核查日期 decided_on");

    /** Highest priority first (not-a-number last), then parcel id, so that reruns list parcels identically. */
    static final Comparator<FlaggedParcel> PRIORITY_ORDER = Comparator
            .comparingDouble((FlaggedParcel p) -> Double.isNaN(p.priority()) ? Double.NEGATIVE_INFINITY : p.priority())
            .reversed()
            .thenComparing(p -> Objects.toString(p.parcelId(), ""));

    private InspectorLists() {}

    /**
     * Writes {@code dir/flagged_parcels.csv} and {@code dir/flagged_parcels.xlsx}, creating
     * {@code dir} if needed and replacing earlier lists. Both files are written in full to temporary
     * files in {@code dir} before either is moved into place.
     *
     * @throws FarmwatchException if a file cannot be written
     */
    public static void write(List<FlaggedParcel> parcels, Path dir) {
        Objects.requireNonNull(parcels, "parcels");
        Objects.requireNonNull(dir, "dir");
        List<FlaggedParcel> sorted = new ArrayList<>(parcels);
        sorted.sort(PRIORITY_ORDER);
        Path csv = dir.resolve(CSV_FILE);
        Path xlsx = dir.resolve(XLSX_FILE);
        Path csvTmp = writeTemp(csv, out -> writeCsv(sorted, out));
        Path xlsxTmp;
        try {
            xlsxTmp = writeTemp(xlsx, out -> writeXlsx(sorted, out));
        } catch (RuntimeException e) {
            deleteQuietly(csvTmp);
            throw e;
        }
        moveIntoPlace(csvTmp, csv);
        moveIntoPlace(xlsxTmp, xlsx);
    }

    // ---- CSV ----

    private static void writeCsv(List<FlaggedParcel> sorted, OutputStream out) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        // The byte-order mark is what makes Excel on Chinese Windows read the file as UTF-8, not GBK.
        w.write('\uFEFF');
        List<String> header = new ArrayList<>(COLUMNS.stream().map(Column::header).toList());
        header.addAll(VERDICT_HEADERS);
        writeCsvRow(w, header);
        List<String> row = new ArrayList<>(header.size());
        for (FlaggedParcel p : sorted) {
            row.clear();
            for (Column c : COLUMNS) {
                row.add(printed(c.cell(p)));
            }
            VERDICT_HEADERS.forEach(h -> row.add(""));
            writeCsvRow(w, row);
        }
        w.flush();
    }

    private static void writeCsvRow(Writer w, List<String> fields) throws IOException {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                w.write(',');
            }
            w.write(csvField(fields.get(i)));
        }
        w.write("\r\n");
    }

    /** RFC 4180: quote a field holding a comma, quote, CR or LF, and double its quotes. */
    static String csvField(String s) {
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** A cell as the lists print it: numbers plainly, text neutralised against formula injection. */
    static String printed(Object cell) {
        if (cell == null) {
            return "";
        }
        return cell instanceof BigDecimal d ? d.toPlainString() : neutralised((String) cell);
    }

    /**
     * Text that a spreadsheet would evaluate as a formula, prefixed with {@code '} so that it stays
     * text (OWASP's advice for CSV injection). Only text is touched; numbers never reach here.
     */
    static String neutralised(String s) {
        if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
            return "'" + s;
        }
        return s;
    }

    // ---- XLSX ----

    private static void writeXlsx(List<FlaggedParcel> sorted, OutputStream out) throws IOException {
        Map<String, List<FlaggedParcel>> byTownship = byTownship(sorted);
        Set<String> taken = new HashSet<>();
        taken.add(SUMMARY_SHEET.toLowerCase(Locale.ROOT));
        Map<String, String> sheetOf = new LinkedHashMap<>();
        for (String township : byTownship.keySet()) {
            sheetOf.put(township, sheetName(township, taken));
        }

        Workbook wb = new Workbook(out, "farmwatch", "0.1");
        wb.properties().setTitle("耕地变化核查清单 Flagged farmland parcels");
        Worksheet summary = wb.newWorksheet(SUMMARY_SHEET);
        writeSummarySheet(summary, byTownship, sheetOf);
        summary.finish();
        for (Map.Entry<String, List<FlaggedParcel>> e : byTownship.entrySet()) {
            Worksheet ws = wb.newWorksheet(sheetOf.get(e.getKey()));
            writeParcelSheet(ws, e.getValue());
            ws.finish();
        }
        wb.finish();
    }

    private static void writeParcelSheet(Worksheet ws, List<FlaggedParcel> parcels) {
        int cols = COLUMNS.size();
        for (int c = 0; c < cols; c++) {
            Column col = COLUMNS.get(c);
            ws.value(0, c, col.header());
            ws.width(c, col.widthChars());
        }
        for (int v = 0; v < VERDICT_HEADERS.size(); v++) {
            ws.value(0, cols + v, VERDICT_HEADERS.get(v));
            ws.width(cols + v, v == 0 ? 22 : 16);
        }
        for (int r = 0; r < parcels.size(); r++) {
            FlaggedParcel p = parcels.get(r);
            for (int c = 0; c < cols; c++) {
                Object cell = COLUMNS.get(c).cell(p);
                if (cell instanceof BigDecimal d) {
                    ws.value(r + 1, c, d);
                } else if (cell instanceof String s && !s.isEmpty()) {
                    ws.value(r + 1, c, xmlSafe(neutralised(s)));
                }
            }
        }
        int last = parcels.size();
        if (last > 0) {
            for (int c = 0; c < cols; c++) {
                Column col = COLUMNS.get(c);
                if (col.numeric()) {
                    ws.range(1, c, last, c).style().format(col.excelFormat()).set();
                }
            }
        }
        styleHeader(ws, cols + VERDICT_HEADERS.size());
        ws.freezePane(0, 1);
        ws.setAutoFilter(0, 0, last, cols + VERDICT_HEADERS.size() - 1);
    }

    private static void writeSummarySheet(Worksheet ws, Map<String, List<FlaggedParcel>> byTownship,
            Map<String, String> sheetOf) {
        List<ChangeType> types = ChangeType.FLAGGING;
        List<String> header = new ArrayList<>(List.of("乡镇 township", "工作表 sheet"));
        for (ChangeType t : types) {
            header.add(t.chinese + " " + t.code);
        }
        header.add("合计 total");
        header.add("变化面积(亩) changed_area_mu");
        for (int c = 0; c < header.size(); c++) {
            ws.value(0, c, header.get(c));
            ws.width(c, c == 1 ? 20 : 14);
        }
        ws.width(0, 20);
        Map<ChangeType, Integer> totals = new EnumMap<>(ChangeType.class);
        double totalMu = 0;
        int r = 1;
        for (Map.Entry<String, List<FlaggedParcel>> e : byTownship.entrySet()) {
            ws.value(r, 0, xmlSafe(neutralised(e.getKey())));
            ws.value(r, 1, xmlSafe(neutralised(sheetOf.get(e.getKey()))));
            Map<ChangeType, Integer> counts = countByType(e.getValue());
            int c = 2;
            for (ChangeType t : types) {
                int n = counts.getOrDefault(t, 0);
                ws.value(r, c++, n);
                totals.merge(t, n, Integer::sum);
            }
            ws.value(r, c++, e.getValue().size());
            double mu = sumMu(e.getValue());
            totalMu += mu;
            ws.value(r, c, roundedMu(mu));
            ws.style(r, c).format("0.00").set();
            r++;
        }
        ws.value(r, 0, "合计 total");
        int c = 2;
        int all = 0;
        for (ChangeType t : types) {
            int n = totals.getOrDefault(t, 0);
            all += n;
            ws.value(r, c++, n);
        }
        ws.value(r, c++, all);
        ws.value(r, c, roundedMu(totalMu));
        ws.style(r, c).format("0.00").set();
        ws.range(r, 0, r, c).style().bold().set();
        styleHeader(ws, header.size());
        ws.freezePane(0, 1);
    }

    private static void styleHeader(Worksheet ws, int cols) {
        ws.range(0, 0, 0, cols - 1).style().bold().fillColor("DDEBF7").wrapText(true).verticalAlignment("top").set();
    }

    private static BigDecimal roundedMu(double mu) {
        return Double.isFinite(mu) ? BigDecimal.valueOf(mu).setScale(2, RoundingMode.HALF_UP) : BigDecimal.ZERO;
    }

    /**
     * Drops the control characters that XML 1.0 cannot carry (all below U+0020 but tab, LF and CR),
     * which would otherwise make Excel refuse the whole workbook.
     */
    static String xmlSafe(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0xFFFE || ch == 0xFFFF) {
                StringBuilder b = new StringBuilder(s.length());
                s.codePoints().filter(cp -> cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r')
                        .filter(cp -> cp != 0xFFFE && cp != 0xFFFF)
                        .forEach(b::appendCodePoint);
                return b.toString();
            }
        }
        return s;
    }

    /**
     * A sheet name Excel accepts, unique among {@code taken} (lower-cased names, updated here):
     * at most 31 characters, none of {@code [ ] : * ? / \}, not blank, not "History". Apostrophes
     * become ’ because fastexcel quotes sheet names in the autofilter's defined name without
     * doubling them, which Excel reports as a corrupt file.
     */
    static String sheetName(String township, Set<String> taken) {
        StringBuilder b = new StringBuilder();
        township.codePoints().forEach(cp -> {
            if ("[]:*?/\\".indexOf(cp) >= 0) {
                b.append('_');
            } else if (cp == '\'') {
                b.append('’');
            } else if (!Character.isISOControl(cp)) {
                b.appendCodePoint(cp);
            }
        });
        String base = b.toString().strip();
        if (base.isEmpty() || base.equalsIgnoreCase("History")) {
            base = base.isEmpty() ? "乡镇" : base + "_";
        }
        String name = truncate(base, MAX_SHEET_NAME);
        for (int n = 2; !taken.add(name.toLowerCase(Locale.ROOT)); n++) {
            String suffix = "~" + n;
            name = truncate(base, MAX_SHEET_NAME - suffix.length()) + suffix;
        }
        return name;
    }

    /** At most {@code max} UTF-16 units, never splitting a surrogate pair. */
    private static String truncate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }

    // ---- grouping, shared with the report ----

    /** The parcel's township, or a placeholder when the parcel layer has none. */
    static String townshipOf(FlaggedParcel p) {
        String t = p.township();
        return t == null || t.isBlank() ? UNKNOWN_TOWNSHIP : t.strip();
    }

    /** Parcels grouped by township in Chinese collation order (pinyin for common characters); lists keep their order. */
    static Map<String, List<FlaggedParcel>> byTownship(List<FlaggedParcel> parcels) {
        Collator zh = Collator.getInstance(Locale.CHINA);
        Comparator<String> order = ((Comparator<String>) zh::compare).thenComparing(Comparator.naturalOrder());
        return parcels.stream().collect(Collectors.groupingBy(InspectorLists::townshipOf, () -> new TreeMap<>(order),
                Collectors.toList()));
    }

    static Map<ChangeType, Integer> countByType(List<FlaggedParcel> parcels) {
        Map<ChangeType, Integer> counts = new EnumMap<>(ChangeType.class);
        for (FlaggedParcel p : parcels) {
            counts.merge(p.changeType() == null ? ChangeType.OTHER : p.changeType(), 1, Integer::sum);
        }
        return counts;
    }

    static double sumMu(List<FlaggedParcel> parcels) {
        double mu = 0;
        for (FlaggedParcel p : parcels) {
            if (Double.isFinite(p.changedAreaM2())) {
                mu += p.changedAreaMu();
            }
        }
        return mu;
    }

    private static String joinedPatchIds(FlaggedParcel p) {
        if (p.patchIds() == null) {
            return null;
        }
        return p.patchIds().stream().map(id -> Objects.toString(id, "")).collect(Collectors.joining(";"));
    }

    // ---- atomic writing, shared with the report ----

    /** Writes the body of a file. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes {@code target} through a temporary sibling and a rename, so readers never see half a file. */
    static void writeAtomically(Path target, Body body) {
        moveIntoPlace(writeTemp(target, body), target);
    }

    /**
     * Writes the body to a new temporary file beside {@code target}, synced to disk, and returns it.
     * The file is created with the default permissions rather than by {@code Files.createTempFile},
     * whose owner-only mode would carry over to the published file.
     */
    static Path writeTemp(Path target, Body body) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch)) {
                    @Override
                    public void close() throws IOException {
                        // A body may close its stream; the channel must stay open to be synced.
                        flush();
                    }
                };
                body.writeTo(out);
                out.flush(); // fastexcel's finish() neither flushes nor closes
                ch.force(true);
            }
            return tmp;
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                    "cannot write " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Renames {@code tmp} to {@code target}, atomically where the file system allows it. */
    static void moveIntoPlace(Path tmp, Path target) {
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                    "cannot move " + tmp + " to " + target + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a stray hidden .tmp file is harmless and is named for its target
        }
    }
}
