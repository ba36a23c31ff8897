package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dhatim.fastexcel.reader.CellType;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile data through a whole run: parcel attributes that are spreadsheet formulas or HTML reach
 * the inspector lists neutralised and the report escaped; a database password in the farmland URL
 * never appears on the console, in run.json or in any output.
 */
class HostileDataTest {

    static final String FORMULA = "=HYPERLINK(\"http://x\")";
    static final String SCRIPT = "<script>alert(1)</script>";
    static final String PASSWORD = "Pw@9f3e7c";
    static final String PASSWORD_IN_URL = "Pw%409f3e7c";

    static Path smallBefore;
    static Path smallAfter;

    @TempDir
    Path tmp;

    @BeforeAll
    static void smallScenes() throws IOException {
        Path[] pair = Fixtures.smallPair();
        smallBefore = pair[0];
        smallAfter = pair[1];
    }

    /** The demo farmland with hostile township, admin code and parcel id text. */
    private Path hostileFarmland() throws IOException {
        Gdal.init();
        Path gpkg = tmp.resolve("hostile.gpkg");
        Files.copy(SAMPLE_FARMLAND, gpkg);
        DataSource ds = ogr.Open(gpkg.toString(), 1);
        try {
            ds.ExecuteSQL("UPDATE farmland SET ZLDWMC = CASE WHEN fid % 2 = 0 THEN '" + FORMULA.replace("'", "''")
                    + "' ELSE '" + SCRIPT + "' END, ZLDWDM = '-2+3', TBBH = CASE WHEN fid % 3 = 0 THEN '@' || TBBH ELSE TBBH END");
        } finally {
            ds.delete();
        }
        return gpkg;
    }

    @Test
    void formulaAndScriptTextInParcelAttributesIsNeutralisedInListsAndEscapedInTheReport() throws Exception {
        Path out = tmp.resolve("out");
        FarmwatchRun r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                "--farmland", hostileFarmland().toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r::toString);

        // CSV: no field a spreadsheet would evaluate.
        List<List<String>> csv = readCsv(out.resolve("inspector/flagged_parcels.csv"));
        assertTrue(csv.size() > 2, "parcels were flagged: " + csv.size());
        boolean sawFormula = false;
        boolean sawScript = false;
        for (List<String> row : csv) {
            for (String field : row) {
                assertFalse(dangerous(field), "CSV field a spreadsheet would evaluate: " + field);
                sawFormula |= field.equals("'" + FORMULA);
                sawScript |= field.equals(SCRIPT);
            }
        }
        assertTrue(sawFormula && sawScript, "the hostile townships are listed, neutralised: " + csv);

        // XLSX: no formula cell, no text cell starting with a formula character, on any sheet.
        int cells = 0;
        try (ReadableWorkbook wb = new ReadableWorkbook(out.resolve("inspector/flagged_parcels.xlsx").toFile())) {
            for (Sheet s : wb.getSheets().toList()) {
                for (Row row : s.read()) {
                    for (int c = 0; c < row.getCellCount(); c++) {
                        var cell = row.getCell(c);
                        if (cell == null) {
                            continue;
                        }
                        cells++;
                        assertTrue(cell.getType() != CellType.FORMULA, "formula cell in sheet " + s.getName());
                        if (cell.getType() == CellType.STRING) {
                            assertFalse(dangerous(cell.getText()), "XLSX cell in " + s.getName() + ": " + cell.getText());
                        }
                    }
                }
            }
        }
        assertTrue(cells > 0);

        // report.html: the script text never appears as markup, in the table or in the map's data.
        String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
        assertFalse(html.contains("<script>alert"), "unescaped script text in report.html");
        assertFalse(html.contains("HYPERLINK(\"http"), "unescaped quotes of attribute text in report.html");
        Matcher m = Pattern.compile("alert\\(1\\)").matcher(html);
        int seen = 0;
        while (m.find()) {
            seen++;
            String before = html.substring(Math.max(0, m.start() - 6), m.start());
            assertTrue(before.endsWith("&gt;") || before.endsWith("\\u003e") || before.endsWith("\\u003E"),
                    "alert(1) only ever follows an escaped '>': ..." + before + "alert(1)");
        }
        assertTrue(seen > 0, "the hostile township is shown in the report (escaped)");
    }

    /** Text that Excel, LibreOffice or Sheets would take for a formula; plain numbers are fine. */
    static boolean dangerous(String s) {
        if (s.isEmpty() || s.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")) {
            return false;
        }
        return "=+-@\t\r".indexOf(s.charAt(0)) >= 0;
    }

    /** RFC 4180 with a UTF-8 byte-order mark. */
    static List<List<String>> readCsv(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    field.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (ch == '\n') {
                row.add(field.toString().replaceAll("\r$", ""));
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                field.append(ch);
            }
        }
        if (field.length() > 0 || !row.isEmpty()) {
            row.add(field.toString());
            rows.add(row);
        }
        return rows;
    }

    // ---- passwords ----

    @Test
    void aPasswordInAnUnreachableDatabaseUrlIsNeverPrinted() throws Exception {
        String url = "postgresql://farmer:" + PASSWORD_IN_URL + "@127.0.0.1:1/farmwatch?table=public.parcels";
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        FarmwatchRun r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                "--farmland", url, "--out", out.toString());
        Fixtures.assertCleanFailure(r, 4, "127.0.0.1");
        assertNoPassword(r.err() + r.log(), "the console");
        Fixtures.assertEarlierOutputUntouched(out);

        // Everything the process prints, log4j and slf4j included, with --verbose's stack traces: a child JVM.
        Child c = Child.run(List.of("run", "--before", smallBefore.toString(), "--after", smallAfter.toString(),
                "--farmland", url, "--out", out.toString(), "--master", "local[1]", "--verbose"), 120);
        assertEquals(4, c.exit(), c.output());
        assertTrue(c.output().contains("\tat "), "--verbose printed the stack trace");
        assertNoPassword(c.output(), "the output of a --verbose run");
    }

    @Test
    void aTableNameWithSqlInItIsUsageAndKeepsThePassword() throws Exception {
        String url = "postgresql://farmer:" + PASSWORD_IN_URL + "@127.0.0.1:1/farmwatch?table=public.parcels;DROP%20TABLE%20x";
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        FarmwatchRun r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                "--farmland", url, "--out", out.toString());
        String line = Fixtures.assertCleanFailure(r, 2);
        assertTrue(line.contains("table") || line.contains("parcels;DROP"), line);
        assertNoPassword(r.err() + r.log(), "the console");
        Fixtures.assertEarlierOutputUntouched(out);
    }

    @Test
    void aPasswordInTheDatabaseUrlNeverReachesRunJsonReportsOrTheConsole() throws Exception {
        String base = pgUrl();
        java.net.URI u = java.net.URI.create(base.replaceFirst("^postgres(ql)?://", "http://"));
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
        String jdbc = "jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath();
        String schema = "fw_rel_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = DriverManager.getConnection(jdbc, user, System.getenv().getOrDefault("PGPASSWORD", ""))) {
            loadFarmland(c, schema);
            try {
                // The test server trusts local connections, so it accepts any password; the URL still carries one.
                String url = "postgresql://" + user + ":" + PASSWORD_IN_URL + "@" + u.getHost() + ":" + u.getPort()
                        + u.getPath() + "?table=" + schema + ".jbnt";
                Path out = tmp.resolve("pg-out");
                FarmwatchRun r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                        "--farmland", url, "--out", out.toString());
                assertEquals(0, r.exit(), r::toString);
                assertNoPassword(r.err() + r.log(), "the console");
                String runJson = Files.readString(out.resolve("run.json"));
                assertTrue(runJson.contains(schema), "run.json names the source");
                try (Stream<Path> files = Files.walk(out)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        assertNoPassword(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1), f.toString());
                    }
                }
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }
    }

    private static void assertNoPassword(String text, String where) {
        for (String form : List.of(PASSWORD, PASSWORD_IN_URL, "9f3e7c")) {
            assertFalse(text.contains(form), "the password (" + form + ") appears in " + where);
        }
    }

    static String pgUrl() {
        String url = System.getProperty("farmwatch.pgurl", "").trim();
        if (url.isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("CI is set but -Dfarmwatch.pgurl is not; run the tests with jobs/test");
            }
            Assumptions.assumeTrue(false, "no PostGIS server (-Dfarmwatch.pgurl; jobs/test starts one)");
        }
        return url;
    }

    private static void loadFarmland(Connection c, String schema) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            st.execute("CREATE TABLE " + schema + ".jbnt (gid serial PRIMARY KEY, \"TBBH\" text, \"ZLDWDM\" text,"
                    + " \"ZLDWMC\" text, \"DLBM\" text, geom geometry(Polygon, 4490))");
        }
        Gdal.init();
        DataSource ds = ogr.Open(SAMPLE_FARMLAND.toString());
        c.setAutoCommit(false);
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + schema + ".jbnt (\"TBBH\", \"ZLDWDM\", \"ZLDWMC\","
                + " \"DLBM\", geom) VALUES (?, ?, ?, ?, ST_SetSRID(ST_GeomFromWKB(?), 4490))")) {
            Layer l = ds.GetLayer(0);
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                ins.setString(1, f.GetFieldAsString("TBBH"));
                ins.setString(2, f.GetFieldAsString("ZLDWDM"));
                ins.setString(3, f.GetFieldAsString("ZLDWMC"));
                ins.setString(4, f.GetFieldAsString("DLBM"));
                ins.setBytes(5, f.GetGeometryRef().ExportToWkb());
                ins.addBatch();
                f.delete();
            }
            ins.executeBatch();
        } finally {
            ds.delete();
        }
        try (Statement st = c.createStatement()) {
            st.execute("CREATE INDEX ON " + schema + ".jbnt USING gist (geom)");
        }
        c.commit();
        c.setAutoCommit(true);
    }

    /** The farmwatch command line in a child JVM, stdout and stderr together. */
    record Child(int exit, String output) {
        static Child run(List<String> args, int timeoutSeconds) throws Exception {
            List<String> cmd = new ArrayList<>(ChildJvm.command("org.farmwatch.cli.Farmwatch"));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            File log = Files.createTempFile("farmwatch-child", ".log").toFile();
            pb.redirectOutput(log);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the child run did not end within " + timeoutSeconds + " s");
            }
            String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
            Files.delete(log.toPath());
            return new Child(p.exitValue(), output);
        }
    }
}
