package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.farmwatch.cli.OutputRows;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed (SIGKILL, as a lost driver) while the detect step is storing tiles: the next run reuses
 * every stored tile, computes only the others, and publishes exactly the patches and flags of a run
 * that was never interrupted, each parcel once.
 */
class ResumeAfterCrashTest {

    @TempDir
    Path tmp;

    @Test
    void aRunKilledDuringDetectResumesFromTheTileStoreWithTheFlagsOfACleanRun() throws Exception {
        // Small tiles: a few hundred of them, so that the detect step lasts long enough to be interrupted.
        Path store = tmp.resolve("store");
        Path conf = tmp.resolve("store.conf");
        Files.writeString(conf, "grid.tileSize = 64\nstore.dir = " + store + "\n");
        Path offConf = tmp.resolve("off.conf");
        Files.writeString(offConf, "grid.tileSize = 64\nstore.dir = off\n");

        Path clean = tmp.resolve("clean/out");
        FarmwatchRun c = FarmwatchRun.run(args(clean, offConf, "clean"));
        assertEquals(0, c.exit(), c.toString());
        long tiles = count(clean, "tiles");

        Path out = tmp.resolve("nightly/out");
        List<String> cmd = new ArrayList<>(ChildJvm.command("org.farmwatch.cli.Farmwatch"));
        cmd.add("run");
        cmd.addAll(List.of(args(out, conf, "r1")));
        // One thread: tiles are stored one after the other.
        cmd.add("--master");
        cmd.add("local[1]");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        long stored;
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            while (entries(store) < 10 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(child.isAlive(), "the child ended before it was killed: " + Files.readString(tmp.resolve("child.log")));
        } finally {
            child.destroyForcibly();
            child.waitFor(1, TimeUnit.MINUTES);
        }
        stored = entries(store);
        assertTrue(stored >= 10 && stored < tiles, "killed during detect: " + stored + " of " + tiles + " tiles stored");
        assertFalse(Files.exists(out.resolve("run.json")), "the killed run published nothing");

        FarmwatchRun r = FarmwatchRun.run(args(out, conf, "r1"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals(tiles, count(out, "tiles"));
        assertEquals(stored, count(out, "tiles_reused"), "every tile stored before the kill is reused");
        assertEquals(tiles - stored, count(out, "tiles_computed"));
        assertEquals(tiles, entries(store), "and the rest is stored now");

        for (String layer : List.of("change_patches", "flagged_parcels")) {
            List<String> expected = OutputRows.of(clean.resolve("onemap.gpkg"), layer);
            assertFalse(expected.isEmpty(), layer);
            assertEquals(expected, OutputRows.of(out.resolve("onemap.gpkg"), layer), layer + " as a clean run's");
        }
        List<String> ids = OutputRows.field(out.resolve("onemap.gpkg"), "flagged_parcels", "parcel_id");
        assertEquals(ids.size(), new HashSet<>(ids).size(), "each parcel flagged once");
    }

    private static String[] args(Path out, Path conf, String runId) {
        return new String[] {"--before", SAMPLE_BEFORE.toAbsolutePath().toString(), "--after",
            SAMPLE_AFTER.toAbsolutePath().toString(), "--farmland", SAMPLE_FARMLAND.toAbsolutePath().toString(), "--out",
            out.toString(), "--conf", conf.toString(), "--run-id", runId};
    }

    /** Whole entries in the store (temporary names of unfinished ones do not count). */
    private static long entries(Path store) throws Exception {
        if (!Files.isDirectory(store)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(store)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tile")).count();
        }
    }

    private static long count(Path out, String key) throws Exception {
        Map<String, Object> run = Json.parseObject(Files.readString(out.resolve("run.json")));
        return ((Number) Json.object(run.get("counts")).get(key)).longValue();
    }
}
