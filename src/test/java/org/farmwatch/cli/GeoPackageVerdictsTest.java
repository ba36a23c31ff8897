package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verdicts without PostGIS: the list a run wrote is filled in and imported into that run's onemap.gpkg; a bad row
 * is refused whole; a later run given that GeoPackage with --verdicts does not flag the judged patches again, keeps
 * the confirmed one, and carries the verdicts on, so the run after needs only its predecessor's GeoPackage.
 */
class GeoPackageVerdictsTest {

    @TempDir
    Path tmp;

    @Test
    void verdictsInAGeoPackageKeepJudgedPatchesFromBeingFlaggedAgainRunAfterRun() throws Exception {
        Path out1 = run("r1");
        Path gpkg1 = out1.resolve("onemap.gpkg");
        List<List<String>> list = VerdictsRunTest.csv(out1.resolve("inspector/flagged_parcels.csv"));
        List<String> header = list.get(0);
        int parcelCol = header.indexOf("地块编号 parcel_id");
        int patchCol = header.indexOf("图斑标识 patch_ids");
        int verdictCol = VerdictsRunTest.indexOfWord(header, "verdict");
        int numberCol = VerdictsRunTest.indexOfWord(header, "approval_number");
        assertTrue(list.size() >= 4 && parcelCol >= 0 && patchCol >= 0 && verdictCol > 0, header.toString());
        String falseAlarm = list.get(1).get(parcelCol);
        String approved = list.get(2).get(parcelCol);
        String confirmed = list.get(3).get(parcelCol);
        int judgedPatches = 0;
        List<List<String>> filled = new ArrayList<>(List.of(header));
        for (int r = 1; r < list.size(); r++) {
            List<String> row = new ArrayList<>(list.get(r));
            if (r <= 3) {
                row.set(verdictCol, List.of("误报", "approved", "confirmed").get(r - 1));
                row.set(numberCol, r == 2 ? "国土资批〔2025〕17号" : "");
                judgedPatches += row.get(patchCol).split(";").length;
            }
            filled.add(row);
        }
        Path verdicts = tmp.resolve("verdicts.csv");
        VerdictsRunTest.writeCsv(verdicts, filled);

        // A row naming a patch the run never flagged: exit 3 naming it, nothing imported.
        List<String> bad = new ArrayList<>(filled.get(1));
        bad.set(patchCol, "CP0000000000000000");
        Path badFile = tmp.resolve("bad.csv");
        VerdictsRunTest.writeCsv(badFile, List.of(header, filled.get(2), bad));
        Cli refused = Cli.run("import-verdicts", badFile.toString(), "--onemap", gpkg1.toString());
        assertEquals(3, refused.exit(), refused.err());
        assertTrue(refused.err().contains("CP0000000000000000") && refused.err().contains("row 3"), refused.err());
        assertEquals(0, verdictRows(gpkg1), "nothing half-imported");

        Cli imp = Cli.run("import-verdicts", verdicts.toString(), "--onemap", gpkg1.toString());
        assertEquals(0, imp.exit(), imp.err());
        assertTrue(imp.out().replaceAll("\\s", "").contains("\"inserted\":" + judgedPatches), imp.out());
        assertEquals(judgedPatches, verdictRows(gpkg1));
        Cli again = Cli.run("import-verdicts", verdicts.toString(), "--onemap", gpkg1.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().replaceAll("\\s", "").contains("\"inserted\":0,\"updated\":0"), again.out());
        assertEquals(judgedPatches, verdictRows(gpkg1), "importing again adds nothing");

        // The next run, given the first run's GeoPackage: the two judged parcels are left out, the confirmed one stays.
        Path out2 = run("r2", "--verdicts", gpkg1.toString());
        Map<String, String> flagged2 = DemoEndToEndTest.flagged(out2.resolve("onemap.gpkg"));
        assertFalse(flagged2.containsKey(falseAlarm), flagged2.toString());
        assertFalse(flagged2.containsKey(approved), flagged2.toString());
        assertTrue(flagged2.containsKey(confirmed), flagged2.toString());
        assertEquals(list.size() - 1 - 2, flagged2.size(), "only the two judged parcels are left out");
        assertTrue(Files.readString(out2.resolve("run.json")).matches("(?s).*\"hits_suppressed_by_verdicts\": *[1-9].*"));

        // The run after, given only the second run's GeoPackage: the verdicts came along.
        Path out3 = run("r3", "--verdicts", out2.resolve("onemap.gpkg").toString());
        assertEquals(flagged2, DemoEndToEndTest.flagged(out3.resolve("onemap.gpkg")));

        // Not a run's GeoPackage: exit 2 naming it, before any work.
        Cli wrong = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", tmp.resolve("r4").toString(), "--master", "local[2]",
                "--verdicts", ExitCodesTest.FARMLAND);
        assertEquals(2, wrong.exit(), wrong.err());
        assertTrue(wrong.err().contains("not a farmwatch onemap.gpkg"), wrong.err());
        assertFalse(Files.exists(tmp.resolve("r4")));
    }

    private Path run(String runId, String... extra) {
        Path out = tmp.resolve(runId);
        List<String> args = new ArrayList<>(List.of("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER,
                "--farmland", ExitCodesTest.FARMLAND, "--out", out.toString(), "--master", "local[2]", "--run-id", runId));
        args.addAll(List.of(extra));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        return out;
    }

    private static long verdictRows(Path gpkg) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString(), 0);
        try {
            Layer l = ds.GetLayerByName("verdicts");
            return l == null ? 0 : l.GetFeatureCount();
        } finally {
            ds.delete();
        }
    }
}
