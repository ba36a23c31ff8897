package org.farmwatch.publish;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import org.dhatim.fastexcel.DataValidationErrorStyle;
import org.dhatim.fastexcel.HyperLink;
import org.dhatim.fastexcel.PaperSize;
import org.dhatim.fastexcel.Worksheet;
import org.farmwatch.util.FarmwatchException;

/**
 * What the inspector lists share, whatever their rows: CSV and sheet writing from {@link ListColumn}s, the verdict
 * drop-down and print setup of a sheet, cells made safe for spreadsheets, and files written whole before they
 * replace the old ones.
 */
final class ListFiles {

    /** The verdict drop-down's choices: each is a spelling {@link VerdictFile} reads. */
    static final List<String> VERDICT_CHOICES = List.of("属实 confirmed", "误报 false_alarm", "合法 approved");

    private ListFiles() {}

    // ---- CSV ----

    /**
     * Writes rows as CSV: a byte-order mark, the columns' headers then {@code extraHeaders} (left empty in every
     * row, for the inspectors to fill in), CRLF line ends.
     */
    static <T> void writeCsv(List<ListColumn<T>> columns, List<String> extraHeaders, List<T> rows, OutputStream out)
            throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        // The byte-order mark is what makes Excel on Chinese Windows read the file as UTF-8, not GBK.
        w.write('\uFEFF');
        List<String> header = new ArrayList<>(columns.stream().map(ListColumn::header).toList());
        header.addAll(extraHeaders);
        writeCsvRow(w, header);
        List<String> row = new ArrayList<>(header.size());
        for (T r : rows) {
            row.clear();
            for (ListColumn<T> c : columns) {
                row.add(printed(c.cell(r)));
            }
            extraHeaders.forEach(h -> row.add(""));
            writeCsvRow(w, row);
        }
        w.flush();
    }

    static void writeCsvRow(Writer w, List<String> fields) throws IOException {
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
        // A CR or LF would split the row, a bidi override reorder what the inspector reads: see Text.listSafe.
        s = org.farmwatch.util.Text.listSafe(s);
        if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
            return "'" + s;
        }
        return s;
    }

    // ---- sheets ----

    /**
     * Writes a list sheet: header row, rows, number formats, the empty {@code extraHeaders} columns, a frozen and
     * filtered header, a verdict drop-down on the column whose header is {@code extraHeaders.get(0)} when it is a
     * verdict column, and print setup. {@code link} gives a cell's hyperlink (column index, row) or null.
     */
    static <T> void writeSheet(Worksheet ws, List<ListColumn<T>> columns, List<String> extraHeaders,
                               List<Double> extraWidths, List<T> rows, BiFunction<Integer, T, HyperLink> link) {
        int cols = columns.size();
        for (int c = 0; c < cols; c++) {
            ws.value(0, c, columns.get(c).header());
            ws.width(c, columns.get(c).widthChars());
        }
        for (int v = 0; v < extraHeaders.size(); v++) {
            ws.value(0, cols + v, extraHeaders.get(v));
            ws.width(cols + v, extraWidths.get(v));
        }
        for (int r = 0; r < rows.size(); r++) {
            T row = rows.get(r);
            for (int c = 0; c < cols; c++) {
                Object cell = columns.get(c).cell(row);
                HyperLink h = link == null ? null : link.apply(c, row);
                if (h != null) {
                    ws.hyperlink(r + 1, c, h);
                } else if (cell instanceof BigDecimal d) {
                    ws.value(r + 1, c, d);
                } else if (cell instanceof String s && !s.isEmpty()) {
                    ws.value(r + 1, c, cellText(xmlSafe(neutralised(s))));
                }
            }
        }
        int last = rows.size();
        if (last > 0) {
            for (int c = 0; c < cols; c++) {
                ListColumn<T> col = columns.get(c);
                if (col.numeric()) {
                    ws.range(1, c, last, c).style().format(col.excelFormat()).verticalAlignment("top").set();
                } else {
                    // Wrapped, not spilling into the next cells: a spill widens the printed page and shrinks the text.
                    ws.range(1, c, last, c).style().wrapText(true).verticalAlignment("top").set();
                }
            }
        }
        int all = cols + extraHeaders.size();
        // Row heights for the wrapped text: spreadsheets do not measure rows a file leaves unsized.
        List<String> header = new ArrayList<>(columns.stream().map(ListColumn::header).toList());
        header.addAll(extraHeaders);
        List<Double> widths = new ArrayList<>(columns.stream().map(ListColumn::widthChars).toList());
        widths.addAll(extraWidths);
        ws.rowHeight(0, LINE_POINTS * lines(header, widths));
        for (int r = 0; r < rows.size(); r++) {
            T row = rows.get(r);
            List<String> texts = new ArrayList<>();
            for (ListColumn<T> c : columns) {
                texts.add(c.numeric() ? "" : printed(c.cell(row)));
            }
            int n = lines(texts, widths);
            if (n > 1) {
                ws.rowHeight(r + 1, LINE_POINTS * n);
            }
        }
        styleHeader(ws, all);
        ws.freezePane(0, 1);
        ws.setAutoFilter(0, 0, last, all - 1);
        if (!extraHeaders.isEmpty() && extraHeaders.get(0).contains("verdict")) {
            verdictDropDown(ws, cols, Math.max(last, 1) + 200);
        }
        printSetup(ws);
    }

    /**
     * A drop-down of {@link #VERDICT_CHOICES} on column {@code col}, rows 1 to {@code lastRow}. A warning, not a
     * refusal, on other text: inspectors also type 属实 or 误报, which {@link VerdictFile} reads as well.
     */
    static void verdictDropDown(Worksheet ws, int col, int lastRow) {
        ws.range(1, col, lastRow, col).validateWithListByFormula('"' + String.join(",", VERDICT_CHOICES) + '"')
                .allowBlank(true).showDropdown(true).errorStyle(DataValidationErrorStyle.WARNING)
                .showErrorMessage(true).errorTitle("核查结论 verdict")
                .error("请从下拉列表选择 Pick from the list: " + String.join(" / ", VERDICT_CHOICES));
    }

    /** Height of one line of the default 11-point font, in points. */
    private static final double LINE_POINTS = 15;
    /** The most lines a row is given: a longer text stays in its cell, shown in full on selection. */
    private static final int MAX_LINES = 8;

    /** Lines the widest-wrapping cell of a row takes: CJK characters count two widths, breaks come at spaces. */
    static int lines(List<String> texts, List<Double> widths) {
        int most = 1;
        for (int i = 0; i < texts.size() && i < widths.size(); i++) {
            String t = texts.get(i);
            if (t == null || t.isEmpty()) {
                continue;
            }
            double perLine = Math.max(1, widths.get(i) - 1);
            double width = t.codePoints().mapToDouble(cp -> cp >= 0x2E80 ? 2 : 1).sum();
            most = Math.max(most, (int) Math.ceil(width * 1.1 / perLine));
        }
        return Math.min(most, MAX_LINES);
    }

    /** A4 landscape, all columns on one page width, the header row repeated on every printed page. */
    static void printSetup(Worksheet ws) {
        ws.pageOrientation("landscape");
        ws.paperSize(PaperSize.A4_PAPER);
        ws.setFitToPage(true);
        ws.fitToWidth((short) 1);
        ws.fitToHeight((short) 0);
        ws.repeatRows(0);
        ws.leftMargin(0.4f);
        ws.rightMargin(0.4f);
    }

    static void styleHeader(Worksheet ws, int cols) {
        ws.range(0, 0, 0, cols - 1).style().bold().fillColor("DDEBF7").wrapText(true).verticalAlignment("top").set();
    }

    // ---- cells ----

    /** A text cell within Excel's limit of 32,767 characters (a longer one makes Excel repair the workbook). */
    static String cellText(String s) {
        return org.farmwatch.util.Text.bounded(s, org.farmwatch.util.Text.XLSX_CELL_MAX);
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

    // ---- atomic writing, shared with the report and dossiers ----

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

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a stray hidden .tmp file is harmless and is named for its target
        }
    }
}
