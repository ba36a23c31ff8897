package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.farmwatch.publish.PublishOutput;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code publish.outputs}: a run writes what is listed and nothing else, with the same findings as a
 * full run, and a list that leaves out what a listed output is built from is refused before any work.
 */
class PublishOutputsTest {

    @TempDir
    Path tmp;

    private Cli run(Path out, String runId, String... confLines) throws Exception {
        Path conf = tmp.resolve(runId + ".conf");
        Files.writeString(conf, String.join("\n", confLines) + "\n");
        return Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", out.toString(), "--conf", conf.toString(), "--master", "local[2]",
                "--run-id", runId);
    }

    @Test
    void parsesAllAndRefusesMissingSources() {
        assertEquals(EnumSet.allOf(PublishOutput.class), PublishOutput.parse(" all "));
        assertEquals(EnumSet.of(PublishOutput.GEOPACKAGE, PublishOutput.CHANGE_RASTER),
                PublishOutput.parse("geopackage, change_raster"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PublishOutput.parse("change_raster"))
                .getMessage().contains("geopackage"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PublishOutput.parse("geopackage, dossiers"))
                .getMessage().contains("dossiers needs true_colour"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> PublishOutput.parse("geopackage, true_colour, qgis")).getMessage().contains("qgis needs change_raster"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PublishOutput.parse("geopackage, pdf"))
                .getMessage().contains("unknown output 'pdf'"));
    }

    @Test
    void aBadListStopsTheRunWithExit2NamingTheKey() throws Exception {
        Path out = tmp.resolve("bad");
        Cli r = run(out, "bad", "publish.outputs = geopackage, inspector");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("publish.outputs") && r.err().contains("inspector needs true_colour"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void writesOnlyWhatIsListedWithTheSameFindings() throws Exception {
        Path lean = tmp.resolve("lean");
        Cli r = run(lean, "lean", "publish.outputs = geopackage, change_raster", "store.dir = off");
        assertEquals(0, r.exit(), r.err());
        try (var s = Files.list(lean)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            // .farmwatch-output marks the folder as farmwatch's (issue 19): only such a folder is ever replaced.
            assertEquals(List.of(".farmwatch-output", "change.tif", "onemap.gpkg", "run.json"), names);
        }
        var manifest = Json.parseObject(Files.readString(lean.resolve("run.json")));
        assertEquals(List.of("onemap.gpkg", "change.tif", "run.json"), manifest.get("outputs"));
        var seconds = Json.object(manifest.get("seconds"));
        assertFalse(seconds.containsKey("publish_reports") || seconds.containsKey("publish_dossiers")
                || seconds.containsKey("publish_qgis"), seconds.toString());

        Path full = tmp.resolve("full");
        assertEquals(0, run(full, "full", "store.dir = off").exit());
        assertTrue(Files.exists(full.resolve("report.html")) && Files.exists(full.resolve("onemap.qgz"))
                && Files.exists(full.resolve("change_detail.tif")));
        assertEquals(TileStoreTest.count(full, "flagged_written"), TileStoreTest.count(lean, "flagged_written"));
        assertEquals(TileStoreTest.count(full, "patches_written"), TileStoreTest.count(lean, "patches_written"));
        assertTrue(TileStoreTest.count(lean, "flagged_written") > 0);
    }
}
