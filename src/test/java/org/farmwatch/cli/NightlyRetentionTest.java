package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nightly.keepOutputs: the newest N run folders of the region stay, nothing else is touched. */
class NightlyRetentionTest {

    @TempDir
    Path tmp;

    private Path run(String name) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.writeString(d.resolve("run.json"), "{\"run_id\": \"" + name + "\", \"status\": \"succeeded\"}\n");
        return d;
    }

    private List<String> left() throws Exception {
        try (var s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theNewestRunsOfTheRegionStayAndNothingElseIsTouched() throws Exception {
        run("nightly-jinan-20250920");
        run("nightly-jinan-20250801");
        run("nightly-jinan-20251015");
        run("nightly-jinan-20250815");
        run("nightly-jinan-east-20250101"); // another region whose name starts the same
        run("nightly-other-20240101");
        Files.createDirectories(tmp.resolve("nightly-jinan-20240101")); // no run.json: not a run folder
        Files.createDirectories(tmp.resolve(".nightly-jinan-20251016.partial-x"));
        Files.writeString(tmp.resolve("notes.txt"), "keep me");

        List<Path> gone = NightlyRetention.prune(tmp, "jinan", 2);

        assertEquals(List.of(tmp.resolve("nightly-jinan-20250801"), tmp.resolve("nightly-jinan-20250815")), gone);
        assertEquals(List.of(".nightly-jinan-20251016.partial-x", "nightly-jinan-20240101", "nightly-jinan-20250920",
                "nightly-jinan-20251015", "nightly-jinan-east-20250101", "nightly-other-20240101", "notes.txt"), left());
        assertEquals(List.of(), NightlyRetention.prune(tmp, "jinan", 2), "a second pass has nothing to remove");
    }

    @Test
    void keepOutputsIsReadAndCheckedByTheConfiguration() throws Exception {
        Path conf = tmp.resolve("nightly.conf");
        String base = "nightly.region = r\nnightly.catalog = sample-tiles/scenes\nnightly.farmland = sample-tiles/farmland.gpkg\n"
                + "nightly.onemap = postgresql://postgres@127.0.0.1:1/farmwatch\nnightly.beforePeriod = 2025-03-01/2025-05-31\n"
                + "nightly.afterPeriod = 2025-08-01/2025-10-31\nnightly.out = " + tmp.resolve("out") + "\n";
        Files.writeString(conf, base);
        assertEquals(NightlyConfig.KEEP_ALL, NightlyConfig.load(conf).keepOutputs());
        Files.writeString(conf, base + "nightly.keepOutputs = 3\n");
        assertEquals(3, NightlyConfig.load(conf).keepOutputs());

        Files.writeString(conf, base + "nightly.keepOutputs = 0\n");
        Cli r = Cli.run("nightly", "--conf", conf.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("nightly.keepOutputs") && r.err().contains("got: 0"), r.err());
    }
}
