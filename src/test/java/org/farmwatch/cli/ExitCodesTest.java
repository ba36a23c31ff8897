package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad usage and bad input end with one line naming the culprit, the documented exit code, and earlier output untouched. */
class ExitCodesTest {

    @TempDir
    Path tmp;
    Path out;
    Path marker;

    static final String BEFORE = "sample-tiles/scenes/20250415";
    static final String AFTER = "sample-tiles/scenes/20250920";
    static final String FARMLAND = "sample-tiles/farmland.gpkg";

    @BeforeEach
    void earlierOutput() throws Exception {
        out = tmp.resolve("out");
        Files.createDirectories(out);
        marker = out.resolve("onemap.gpkg");
        Files.writeString(marker, "an earlier run's output");
        Files.writeString(out.resolve("run.json"), "{\"run_id\": \"earlier\", \"status\": \"succeeded\"}\n");
    }

    private void assertUntouched(Cli r) throws Exception {
        assertEquals("an earlier run's output", Files.readString(marker));
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".partial")), "staging folder left behind");
        }
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        assertTrue(r.err().strip().lines().anyMatch(l -> l.startsWith("farmwatch")), r.err());
    }

    @Test
    void unknownOptionIsUsage() throws Exception {
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland", FARMLAND, "--out", out.toString(), "--colour");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--colour"), r.err());
        assertUntouched(r);
    }

    @Test
    void missingRequiredOptionIsUsage() throws Exception {
        Cli r = Cli.run("run", "--before", BEFORE, "--farmland", FARMLAND, "--out", out.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--after"), r.err());
    }

    @Test
    void missingSceneIsInputAndNamesThePath() throws Exception {
        Cli r = Cli.run("run", "--before", "no/such/scene", "--after", AFTER, "--farmland", FARMLAND, "--out", out.toString());
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("no/such/scene"), r.err());
        assertUntouched(r);
    }

    @Test
    void datesInTheWrongOrderAreInput() throws Exception {
        Cli r = Cli.run("run", "--before", AFTER, "--after", BEFORE, "--farmland", FARMLAND, "--out", out.toString());
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("earlier"), r.err());
        assertUntouched(r);
    }

    @Test
    void aFarmlandFileThatIsNotGisIsInput() throws Exception {
        Path notGis = tmp.resolve("parcels.gpkg");
        Files.writeString(notGis, "this is not a GeoPackage");
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland", notGis.toString(), "--out", out.toString(),
                "--master", "local[2]");
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("parcels.gpkg"), r.err());
        assertUntouched(r);
    }

    @Test
    void badConfigurationIsUsageNamingTheKey() throws Exception {
        Path conf = tmp.resolve("bad.conf");
        Files.writeString(conf, "patch.minAreaM2 = -5x\n");
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland", FARMLAND, "--out", out.toString(),
                "--conf", conf.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("patch.minAreaM2"), r.err());
        assertUntouched(r);
    }

    @Test
    void aNegativeOutlineToleranceIsUsageNamingTheKey() throws Exception {
        Path conf = tmp.resolve("negative.conf");
        Files.writeString(conf, "patch.simplifyMetres = -2\n");
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland", FARMLAND, "--out", out.toString(),
                "--conf", conf.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("patch.simplifyMetres") && r.err().contains("-2"), r.err());
        assertUntouched(r);
    }

    @Test
    void anUnreachableDatabaseIsServiceUnavailableWithoutThePassword() throws Exception {
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland",
                "postgresql://farmer:s3cret@127.0.0.1:1/farmwatch?table=public.parcels", "--out", out.toString(),
                "--master", "local[2]");
        assertEquals(4, r.exit(), r.err());
        assertFalse(r.err().contains("s3cret"), r.err());
        assertUntouched(r);
    }

    @Test
    void farmlandOutsideTheScenesIsInput() throws Exception {
        // The Slovenian register lies nowhere near Jinan.
        Path far = Path.of("../shared/realdata/lpis-parcels/SI_2021.zip");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(far), "needs ../shared/realdata");
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland", far.toString(), "--out", out.toString(),
                "--master", "local[2]");
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("does not overlap"), r.err());
        assertUntouched(r);
    }

    @Test
    void anOutFolderHoldingSomethingElseIsRefused() throws Exception {
        Path other = tmp.resolve("documents");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "keep me");
        Cli r = Cli.run("run", "--before", BEFORE, "--after", AFTER, "--farmland", FARMLAND, "--out", other.toString());
        assertEquals(2, r.exit(), r.err());
        assertEquals("keep me", Files.readString(other.resolve("notes.txt")));
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli r = Cli.run("run", "--before", "no/such/scene", "--after", AFTER, "--farmland", FARMLAND, "--out",
                out.toString(), "--verbose");
        assertEquals(3, r.exit());
        assertTrue(r.err().contains("\tat "), r.err());
    }
}
