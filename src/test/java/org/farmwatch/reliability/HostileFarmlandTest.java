package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.farmwatch.reliability.Fixtures.assertCleanFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Farmland that looks usable and is not: only points and lines, or parcels without ids. Nothing vanishes
 * unrecorded: a source without any usable parcel is exit 3, and every feature left out is counted in run.json by
 * its reason and said in the summary line. Error lines stay one line whatever the input holds.
 */
class HostileFarmlandTest {

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

    @Test
    void farmlandOfPointsAndLinesOnlyIsInputAndLeavesTheEarlierOutput() throws Exception {
        Path gpkg = tmp.resolve("no-polygons.gpkg");
        BadInputMatrixTest.vectorTranslate(SAMPLE_FARMLAND, gpkg, "GPKG", "-dialect", "SQLite", "-sql",
                "SELECT TBBH, ZLDWMC, DLBM, CASE WHEN fid % 2 = 0 THEN ST_Centroid(geom) ELSE ST_ExteriorRing(geom) END"
                        + " AS geom FROM farmland", "-nln", "farmland", "-nlt", "GEOMETRY");
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        FarmwatchRun r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                "--farmland", gpkg.toString(), "--out", out.toString());
        String line = assertCleanFailure(r, 3, "no-polygons.gpkg", "no usable parcel");
        assertTrue(line.contains("not polygonal"), line);
        Fixtures.assertEarlierOutputUntouched(out);
    }

    @Test
    void parcelsWithNullOrEmptyIdsAreRejectedCountedAndSaid() throws Exception {
        Gdal.init();
        Path gpkg = tmp.resolve("no-ids.gpkg");
        Files.copy(SAMPLE_FARMLAND, gpkg);
        DataSource ds = ogr.Open(gpkg.toString(), 1);
        try {
            ds.ExecuteSQL("UPDATE farmland SET TBBH = CASE WHEN fid % 10 = 0 THEN NULL ELSE '  ' END WHERE fid % 10 IN (0, 1)");
        } finally {
            ds.delete();
        }
        Path out = tmp.resolve("out");
        FarmwatchRun r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                "--farmland", gpkg.toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r::toString);
        Map<String, Object> run = Json.parseObject(Files.readString(out.resolve("run.json")));
        Map<String, Object> counts = Json.object(run.get("counts"));
        long expected = 1914 / 10 + (1914 % 10 >= 1 ? 1 : 0) + 1914 / 10 + (1914 % 10 >= 2 ? 1 : 0);
        Map<String, Object> byReason = Json.object(counts.get("parcels_rejected_by_reason"));
        long noId = ((Number) byReason.get("no parcel_id")).longValue();
        assertTrue(Math.abs(noId - expected) <= 2, "features without parcel_id counted: " + byReason + ", about " + expected);
        List<Object> rejected = Json.array(run.get("rejected"));
        assertTrue(rejected.stream().map(Json::object).anyMatch(m -> "no parcel_id".equals(m.get("reason"))), rejected.toString());
        String done = r.log().lines().filter(l -> l.contains(" done: ")).findFirst().orElse("");
        assertTrue(done.contains(noId + " no parcel_id"), "the summary line says so: " + done);
    }

    @Test
    void aCrLfInAnInputPathStaysOneEscapedErrorLine() {
        FarmwatchRun r = FarmwatchRun.run("--before", "/nonexistent/scene\r\nfarmwatch: error: all is well\u202E",
                "--after", smallAfter.toString(), "--farmland", SAMPLE_FARMLAND.toString(), "--out",
                tmp.resolve("out").toString());
        String line = assertCleanFailure(r, 3, "/nonexistent/scene\\r\\nfarmwatch: error: all is well\\u202E");
        assertFalse(r.err().contains("\u202E"), line);
        // The progress log, too: no forged line, no raw override.
        assertFalse(r.log().contains("\u202E"), r.log());
        assertFalse(r.log().lines().anyMatch(l -> l.startsWith("farmwatch: error: all is well")), r.log());
        assertTrue(r.log().contains("rejected scene /nonexistent/scene\\r\\nfarmwatch"), r.log());
    }
}
