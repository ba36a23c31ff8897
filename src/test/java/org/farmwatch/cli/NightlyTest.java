package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nightly command against the real PostGIS one map: it runs once, then finds nothing new; a held lock stops it. */
class NightlyTest {

    @TempDir
    Path tmp;

    private Path conf(String url, String schema) throws Exception {
        Path f = tmp.resolve("nightly.conf");
        Files.writeString(f, String.join("\n",
                "nightly.region = test-region",
                "nightly.catalog = sample-tiles/scenes",
                "nightly.farmland = sample-tiles/farmland.gpkg",
                "nightly.onemap = " + url,
                "nightly.onemapSchema = " + schema,
                "nightly.out = " + tmp.resolve("out"),
                "nightly.beforePeriod = 2025-03-01/2025-05-31",
                "nightly.afterPeriod = 2025-08-01/2025-10-31",
                "patch.minAreaM2 = 400", ""));
        return f;
    }

    private static long runs(Connection c, String schema) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".runs")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aRegionRunsOnceThenWaitsForNewScenesAndASecondRunIsRefused() throws Exception {
        String url = PostgisFarmlandRunTest.pgUrl();
        String[] j = PostgisFarmlandRunTest.jdbc(url);
        String schema = "nightly_" + UUID.randomUUID().toString().substring(0, 8);
        Path conf = conf(url, schema);
        try (Connection c = DriverManager.getConnection(j[0], j[1], System.getenv().getOrDefault("PGPASSWORD", ""))) {
            try {
                // Another nightly run of the region holds the lock: this one stops with exit 5 before any work.
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(hashtext(?))")) {
                    ps.setString(1, "farmwatch-nightly:" + schema + ":test-region");
                    ps.execute();
                }
                Cli refused = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(5, refused.exit(), refused.err());
                assertTrue(refused.err().contains("in progress"), refused.err());
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
                    ps.setString(1, "farmwatch-nightly:" + schema + ":test-region");
                    ps.execute();
                }

                Cli first = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, first.exit(), first.err());
                assertEquals(1, runs(c, schema));
                Path runOut = tmp.resolve("out").resolve("nightly-test-region-20250920");
                assertTrue(Files.exists(runOut.resolve("onemap.gpkg")), () -> {
                    try (var l = Files.list(runOut)) {
                        return runOut + " holds " + l.toList();
                    } catch (java.io.IOException e) {
                        return runOut + ": " + e;
                    }
                });

                Cli second = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, second.exit(), second.err());
                assertTrue(second.err().contains("nothing new"), second.err());
                assertEquals(1, runs(c, schema));
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
                }
            }
        }
    }

    @Test
    void twoNightlyRunsStartedAtOnceOneProceedsAndTheOtherRefuses() throws Exception {
        String url = PostgisFarmlandRunTest.pgUrl();
        String[] j = PostgisFarmlandRunTest.jdbc(url);
        String schema = "nightly_" + UUID.randomUUID().toString().substring(0, 8);
        Path conf = conf(url, schema);
        // Two separate processes, as two cron or Airflow launches of the same region would be.
        List<Process> runs = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            List<String> cmd = new ArrayList<>(org.farmwatch.reliability.ChildJvm.command("org.farmwatch.cli.Farmwatch"));
            cmd.addAll(List.of("nightly", "--conf", conf.toString(), "--master", "local[2]"));
            runs.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile())
                    .start());
        }
        try (Connection c = DriverManager.getConnection(j[0], j[1], System.getenv().getOrDefault("PGPASSWORD", ""))) {
            try {
                List<Integer> exits = new ArrayList<>();
                for (Process p : runs) {
                    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "a nightly run hung");
                    exits.add(p.exitValue());
                }
                String logA = Files.readString(tmp.resolve("a.log"));
                String logB = Files.readString(tmp.resolve("b.log"));
                assertEquals(List.of(0, 5), exits.stream().sorted().toList(), "one proceeds, one refuses:\n" + logA + logB);
                String refused = exits.get(0) == 5 ? logA : logB;
                assertTrue(refused.contains("in progress"), refused);
                assertEquals(1, runs(c, schema), "exactly one run published");
            } finally {
                for (Process p : runs) {
                    p.destroyForcibly();
                }
                try (Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
                }
            }
        }
    }

    @Test
    void badNightlyConfigurationIsUsageNamingTheKey() throws Exception {
        Path f = tmp.resolve("bad.conf");
        Files.writeString(f, "nightly.region = r\nnightly.catalogue = x\n");
        Cli r = Cli.run("nightly", "--conf", f.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("nightly.catalogue"), r.err());
        Files.writeString(f, "nightly.region = r\nnightly.catalog = sample-tiles/scenes\nnightly.farmland = f\n"
                + "nightly.onemap = postgresql://u@127.0.0.1:1/db\nnightly.beforePeriod = 2025-09-01/2025-09-30\n"
                + "nightly.afterPeriod = 2025-03-01/2025-05-31\n");
        r = Cli.run("nightly", "--conf", f.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("beforePeriod"), r.err());
    }
}
