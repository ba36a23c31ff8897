package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inspectors' verdicts through the command line against a real PostGIS one map: the list a run writes is filled in
 * and imported; bad rows are refused whole; re-importing changes nothing; a later run does not flag the patches
 * judged false alarm or approved again, until the false alarm grows.
 */
class VerdictsRunTest {

    @TempDir
    Path tmp;

    private static final String APPROVAL = "国土资批〔2025〕17号";

    @Test
    void verdictsAreImportedOnceAndKeepJudgedPatchesFromBeingFlaggedAgainUntilTheyGrow() throws Exception {
        String url = PostgisFarmlandRunTest.pgUrl();
        String[] j = PostgisFarmlandRunTest.jdbc(url);
        String schema = "verdicts_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = DriverManager.getConnection(j[0], j[1], System.getenv().getOrDefault("PGPASSWORD", ""))) {
            try {
                Path out1 = run(url, schema, "r1");
                List<List<String>> list = csv(out1.resolve("inspector/flagged_parcels.csv"));
                List<String> header = list.get(0);
                assertTrue(list.size() >= 4, "the sample run flags at least three parcels: " + list.size());
                int parcelCol = header.indexOf("地块编号 parcel_id");
                int patchCol = header.indexOf("图斑标识 patch_ids");
                int verdictCol = indexOfWord(header, "verdict");
                int numberCol = indexOfWord(header, "approval_number");
                assertTrue(verdictCol > 0 && numberCol > 0, "the list has verdict columns to fill: " + header);
                String falseAlarm = list.get(1).get(parcelCol);
                String approved = list.get(2).get(parcelCol);
                String confirmed = list.get(3).get(parcelCol);
                int judgedPatches = 0;
                List<List<String>> filled = new ArrayList<>();
                filled.add(header);
                for (int r = 1; r < list.size(); r++) {
                    List<String> row = new ArrayList<>(list.get(r));
                    if (r <= 3) {
                        row.set(verdictCol, List.of("false alarm", "approved", "属实").get(r - 1));
                        row.set(numberCol, r == 2 ? APPROVAL : "");
                        judgedPatches += row.get(patchCol).split(";").length;
                    }
                    filled.add(row);
                }
                Path verdicts = tmp.resolve("verdicts.csv");
                writeCsv(verdicts, filled);

                // Import: one verdict per judged patch, statuses follow.
                Cli imp = Cli.run("import-verdicts", verdicts.toString(), "--onemap", url, "--onemap-schema", schema);
                assertEquals(0, imp.exit(), imp.err());
                assertEquals(judgedPatches, count(c, "SELECT count(*) FROM " + schema + ".verdicts"), imp.err());
                assertTrue(imp.out().replaceAll("\\s", "").contains("\"inserted\":" + judgedPatches), imp.out());
                assertEquals(Map.of(falseAlarm, "false_alarm", approved, "approved", confirmed, "confirmed"),
                        Map.of(falseAlarm, status(c, schema, falseAlarm), approved, status(c, schema, approved),
                                confirmed, status(c, schema, confirmed)));
                assertEquals(APPROVAL, text(c, "SELECT DISTINCT approval_number FROM " + schema + ".verdicts WHERE parcel_id = '"
                        + approved + "'"));

                // Importing the same file again changes nothing, not even the import time.
                String before = snapshot(c, schema);
                Cli again = Cli.run("import-verdicts", verdicts.toString(), "--onemap", url, "--onemap-schema", schema);
                assertEquals(0, again.exit(), again.err());
                assertTrue(again.out().replaceAll("\\s", "").contains("\"inserted\":0,\"updated\":0"), again.out());
                assertEquals(before, snapshot(c, schema));

                // Bad rows: each refused with the row named, nothing imported even when other rows are good.
                List<String> good = filled.get(1);
                assertRefused(url, schema, c, before, header, good, parcelCol, "NO-SUCH-PARCEL", null, null,
                        "row 3", "NO-SUCH-PARCEL");
                assertRefused(url, schema, c, before, header, good, patchCol, "CP0000000000000000", null, null,
                        "row 3", "CP0000000000000000");
                assertRefused(url, schema, c, before, header, good, verdictCol, "maybe", null, null, "row 3", "maybe");
                assertRefused(url, schema, c, before, header, good, verdictCol, "approved", numberCol, "",
                        "row 3", "approval_number");

                // A later run: the false alarm and the approved parcel are not flagged again, the confirmed one is.
                Path out2 = run(url, schema, "r2");
                Map<String, String> flagged2 = DemoEndToEndTest.flagged(out2.resolve("onemap.gpkg"));
                assertFalse(flagged2.containsKey(falseAlarm), flagged2.toString());
                assertFalse(flagged2.containsKey(approved), flagged2.toString());
                assertTrue(flagged2.containsKey(confirmed), flagged2.toString());
                assertEquals(list.size() - 1 - 2, flagged2.size(), "only the two judged parcels are left out");
                assertTrue(Files.readString(out2.resolve("run.json")).matches(
                        "(?s).*\"hits_suppressed_by_verdicts\": *[1-9].*"), "run.json counts the suppressed hits");
                // The one map keeps the judged parcels with their verdict.
                assertEquals("false_alarm", status(c, schema, falseAlarm));

                // The false alarm grows: as if the judged patch had been half as large, today's is more than 1.5 times it.
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("UPDATE " + schema + ".change_patches SET area_m2 = area_m2 / 2 WHERE patch_id IN "
                            + "(SELECT patch_id FROM " + schema + ".verdicts WHERE parcel_id = '" + falseAlarm + "')");
                }
                Path out3 = run(url, schema, "r3");
                Map<String, String> flagged3 = DemoEndToEndTest.flagged(out3.resolve("onemap.gpkg"));
                assertTrue(flagged3.containsKey(falseAlarm), "a grown false alarm is flagged again: " + flagged3);
                assertFalse(flagged3.containsKey(approved), flagged3.toString());
                // In the one map the grown false alarm is a new finding again; the approved parcel keeps its verdict.
                assertEquals("open", status(c, schema, falseAlarm));
                assertEquals("approved", status(c, schema, approved));
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
                }
            }
        }
    }

    /** A file of the header, one good row, and one row with {@code col} (and {@code col2}) set: exit 3, nothing changed. */
    private void assertRefused(String url, String schema, Connection c, String snapshot, List<String> header,
            List<String> good, int col, String value, Integer col2, String value2, String... inMessage) throws Exception {
        List<String> bad = new ArrayList<>(good);
        bad.set(col, value);
        if (col2 != null) {
            bad.set(col2, value2);
        }
        Path f = tmp.resolve("bad-" + UUID.randomUUID() + ".csv");
        List<String> changedGood = new ArrayList<>(good);
        changedGood.set(indexOfWord(header, "verdict"), "confirmed"); // would change the verdict if imported
        writeCsv(f, List.of(header, changedGood, bad));
        Cli r = Cli.run("import-verdicts", f.toString(), "--onemap", url, "--onemap-schema", schema);
        assertEquals(3, r.exit(), r.err());
        for (String m : inMessage) {
            assertTrue(r.err().contains(m), m + " in: " + r.err());
        }
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertEquals(snapshot, snapshot(c, schema), "nothing half-imported");
    }

    private Path run(String url, String schema, String runId) {
        Path out = tmp.resolve(runId);
        Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", out.toString(), "--master", "local[2]", "--run-id", runId,
                "--onemap", url, "--onemap-schema", schema);
        assertEquals(0, r.exit(), r.err());
        return out;
    }

    static int indexOfWord(List<String> header, String word) {
        for (int i = 0; i < header.size(); i++) {
            if (List.of(header.get(i).split("[\\s()]+")).contains(word)) {
                return i;
            }
        }
        return -1;
    }

    private static String snapshot(Connection c, String schema) throws Exception {
        return text(c, "SELECT string_agg(concat_ws('|', parcel_id, patch_id, verdict, approval_number, decided_on, "
                + "imported_at), E'\\n' ORDER BY parcel_id, patch_id) FROM " + schema + ".verdicts")
                + text(c, "SELECT string_agg(concat_ws('|', parcel_id, status, updated), E'\\n' ORDER BY parcel_id) FROM "
                + schema + ".flagged_parcels");
    }

    private static String status(Connection c, String schema, String parcel) throws Exception {
        return text(c, "SELECT status FROM " + schema + ".flagged_parcels WHERE parcel_id = '" + parcel + "'");
    }

    private static String text(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The lists' CSV: UTF-8 with a byte-order mark, CRLF, fields quoted only when needed (no newlines inside). */
    static List<List<String>> csv(Path file) throws Exception {
        String text = Files.readString(file, StandardCharsets.UTF_8).replace("\uFEFF", "");
        List<List<String>> rows = new ArrayList<>();
        for (String line : text.split("\r\n")) {
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            boolean q = false;
            for (int i = 0; i < line.length(); i++) {
                char ch = line.charAt(i);
                if (q && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (ch == '"') {
                    q = !q;
                } else if (ch == ',' && !q) {
                    fields.add(f.toString());
                    f.setLength(0);
                } else {
                    f.append(ch);
                }
            }
            fields.add(f.toString());
            rows.add(fields);
        }
        return rows;
    }

    static void writeCsv(Path file, List<List<String>> rows) throws Exception {
        StringBuilder b = new StringBuilder("\uFEFF");
        for (List<String> row : rows) {
            b.append(String.join(",", row.stream().map(s -> s.contains(",") || s.contains("\"")
                    ? '"' + s.replace("\"", "\"\"") + '"' : s).toList())).append("\r\n");
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }
}
