package org.farmwatch.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor lost mid-run on a real standalone cluster: the Worker (and the executor it started) is killed with
 * SIGKILL while the detect stage's tasks run, as when a node dies, and a replacement Worker joins. Spark re-runs
 * the lost tasks on the new executor and the run completes with the same flags as the next, undisturbed run. With
 * a PostGIS server ({@code -Dfarmwatch.pgurl}) the faulted run is a {@code nightly} run and both publish to the one
 * map, which then holds each patch and parcel once per run and each flagged parcel once; the next nightly run then
 * completes, finds nothing new, and adds nothing. (Without a server, nightly having no one map to keep its
 * watermark in, the faulted run is a plain {@code run}.)
 */
class ClusterFaultIT {

    /** Spark's scheduler names each task it starts on the driver's console; the test watches for stage 0 (detect). */
    private static final Pattern DETECT_TASK_STARTED = Pattern.compile("Starting task \\S+ in stage 0\\.\\d+ .*executor (\\d+)");
    /** The driver's scheduler on an executor that vanished with its Worker. */
    private static final Pattern EXECUTOR_LOST = Pattern.compile("Lost executor (\\d+) on .*worker lost");
    /** A detect task that was running on it. */
    private static final Pattern DETECT_TASK_LOST = Pattern.compile(
            "task \\S+ in stage 0\\.\\d+ \\(TID \\d+\\) failed because while it was being computed, its executor exited");

    @TempDir
    Path tmp;

    @Test
    void aWorkerKilledDuringDetectIsRetriedAndTheNextRunDuplicatesNothing() throws Exception {
        String pgUrl = System.getProperty("farmwatch.pgurl", "").trim();
        if (pgUrl.isEmpty() && System.getenv("CI") != null) {
            fail("CI is set but -Dfarmwatch.pgurl is not; run the tests with jobs/test");
        }
        String schema = "fw_fault_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        // The project's log configuration, plus the scheduler's task lines on the driver's console.
        Path log4j = tmp.resolve("log4j2.properties");
        Files.writeString(log4j, Files.readString(Path.of("conf/log4j2.properties"))
                + "\nlogger.tasks.name = org.apache.spark.scheduler.TaskSetManager\nlogger.tasks.level = info\n");
        try (StandaloneCluster cluster = new StandaloneCluster(tmp)) {
            StandaloneCluster.Worker first = cluster.startWorker(2);

            boolean nightly = !pgUrl.isEmpty();
            String faultedRun = nightly ? "nightly-fault-20250920" : "fault-1";
            Path nightlyConf = tmp.resolve("nightly.conf");
            Path faultedOut = nightly ? tmp.resolve("nightly").resolve(faultedRun) : tmp.resolve("faulted");
            Path faultedLog = tmp.resolve("faulted.log");
            Process faulted = cluster.submit(faultedLog, log4j, List.of(), nightly
                    ? nightlyArgs(cluster, nightlyConf, tmp.resolve("nightly"), pgUrl, schema)
                    : runArgs(cluster, faultedRun, faultedOut, pgUrl, schema));
            String started = waitFor(faultedLog, DETECT_TASK_STARTED, faulted, 5);
            first.kill();
            System.out.println("[cluster] killed the Worker and its executor at: " + started.strip());
            StandaloneCluster.Worker second = cluster.startWorker(2);
            String faultedText = finish(faulted, faultedLog);
            assertEquals(0, faulted.exitValue(), "the run survives the lost Worker:\n" + StandaloneCluster.tail(faultedText));
            // The kill landed while detect ran: its tasks on the lost executor failed and ran again elsewhere.
            Matcher lost = EXECUTOR_LOST.matcher(faultedText);
            assertTrue(lost.find(), "the driver saw no executor lost:\n" + StandaloneCluster.tail(faultedText));
            String lostExecutor = lost.group(1);
            assertTrue(DETECT_TASK_LOST.matcher(faultedText).find(), "no detect task was lost:\n" + StandaloneCluster.tail(faultedText));
            Matcher m = DETECT_TASK_STARTED.matcher(faultedText);
            boolean retriedElsewhere = false;
            while (m.find()) {
                retriedElsewhere |= !m.group(1).equals(lostExecutor);
            }
            assertTrue(retriedElsewhere, "detect tasks ran again on another executor:\n" + StandaloneCluster.tail(faultedText));
            assertTrue(second.ranExecutors(), "the replacement Worker started an executor for the run");

            // The next run, undisturbed, on the same cluster.
            Path nextOut = tmp.resolve("next");
            Path nextLog = tmp.resolve("next.log");
            Process next = cluster.submit(nextLog, log4j, List.of(), runArgs(cluster, "next-1", nextOut, pgUrl, schema));
            String nextText = finish(next, nextLog);
            assertEquals(0, next.exitValue(), StandaloneCluster.tail(nextText));

            Map<String, String> faultedFlags = StandaloneCluster.flagged(faultedOut.resolve("onemap.gpkg"));
            Map<String, String> nextFlags = StandaloneCluster.flagged(nextOut.resolve("onemap.gpkg"));
            System.out.println("[cluster] flagged parcels: faulted run " + faultedFlags.size() + ", next run " + nextFlags.size());
            assertEquals(nextFlags, faultedFlags, "the faulted run flags exactly what the undisturbed run flags");
            Map<String, String> truth = StandaloneCluster.demoTruth();
            long right = faultedFlags.entrySet().stream().filter(e -> e.getValue().equals(truth.get(e.getKey()))).count();
            assertTrue(right >= 0.95 * truth.size(), right + " of " + truth.size() + " planted conversions found");
            Map<String, Object> faultedCounts = counts(faultedOut);
            Map<String, Object> nextCounts = counts(nextOut);
            for (String k : List.of("tiles", "fragments", "patches", "patches_written", "flagged_written")) {
                assertEquals(nextCounts.get(k), faultedCounts.get(k), k + ": " + faultedCounts + " vs " + nextCounts);
            }
            if (nightly) {
                checkOneMap(pgUrl, schema, faultedCounts, nextFlags.size(), faultedRun);
                // The next nightly run completes: the faulted night was published once, so nothing is new.
                Path againLog = tmp.resolve("again.log");
                Process again = cluster.submit(againLog, log4j, List.of(),
                        nightlyArgs(cluster, nightlyConf, tmp.resolve("nightly"), pgUrl, schema));
                String againText = finish(again, againLog);
                assertEquals(0, again.exitValue(), StandaloneCluster.tail(againText));
                assertTrue(againText.contains("nothing new"), StandaloneCluster.tail(againText));
                checkOneMap(pgUrl, schema, faultedCounts, nextFlags.size(), faultedRun);
            }
        } finally {
            if (!pgUrl.isEmpty()) {
                try (Connection c = jdbc(pgUrl); Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
                } catch (SQLException e) {
                    System.out.println("[cluster] could not drop schema " + schema + ": " + e.getMessage());
                }
            }
        }
    }

    private static String[] runArgs(StandaloneCluster cluster, String runId, Path out, String pgUrl, String schema) {
        List<String> a = new ArrayList<>(List.of("run", "--before", Path.of("sample-tiles/scenes/20250415").toAbsolutePath().toString(),
                "--after", Path.of("sample-tiles/scenes/20250920").toAbsolutePath().toString(),
                "--farmland", Path.of("sample-tiles/farmland.gpkg").toAbsolutePath().toString(),
                "--out", out.toString(), "--run-id", runId, "--master", cluster.master()));
        if (!pgUrl.isEmpty()) {
            a.addAll(List.of("--onemap", pgUrl, "--onemap-schema", schema));
        }
        return a.toArray(String[]::new);
    }

    /** {@code nightly} for region "fault" over the demo catalogue, its configuration written to {@code conf}. */
    private static String[] nightlyArgs(StandaloneCluster cluster, Path conf, Path out, String pgUrl, String schema)
            throws java.io.IOException {
        Files.writeString(conf, String.join("\n", "nightly.region = fault",
                "nightly.catalog = " + Path.of("sample-tiles/scenes").toAbsolutePath(),
                "nightly.farmland = " + Path.of("sample-tiles/farmland.gpkg").toAbsolutePath(),
                "nightly.onemap = " + pgUrl, "nightly.onemapSchema = " + schema, "nightly.out = " + out,
                "nightly.beforePeriod = 2025-03-01/2025-05-31", "nightly.afterPeriod = 2025-08-01/2025-10-31", ""));
        return new String[] {"nightly", "--conf", conf.toString(), "--master", cluster.master()};
    }

    /** The first line of {@code log} that matches, waiting for it while the process lives. */
    private static String waitFor(Path log, Pattern p, Process proc, int minutes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
        while (System.nanoTime() < deadline) {
            String text = Files.readString(log);
            Matcher m = p.matcher(text);
            if (m.find()) {
                return m.group();
            }
            assertTrue(proc.isAlive(), "the run ended before detect started:\n" + StandaloneCluster.tail(text));
            Thread.sleep(50);
        }
        proc.destroyForcibly();
        throw new AssertionError("detect did not start within " + minutes + " minutes:\n"
                + StandaloneCluster.tail(Files.readString(log)));
    }

    private static String finish(Process p, Path log) throws Exception {
        boolean done = p.waitFor(8, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertTrue(done, "the run did not finish in 8 minutes:\n" + StandaloneCluster.tail(text));
        return text;
    }

    private static Map<String, Object> counts(Path out) throws Exception {
        return Json.object(Json.parseObject(Files.readString(out.resolve("run.json"))).get("counts"));
    }

    /** Each run's patches and findings once, and each flagged parcel once in the current map. */
    private static void checkOneMap(String url, String schema, Map<String, Object> counts, int flagged, String faultedRun)
            throws SQLException {
        long patches = ((Number) counts.get("patches_written")).longValue();
        try (Connection c = jdbc(url)) {
            for (String run : List.of(faultedRun, "next-1")) {
                long[] p = twoCounts(c, "SELECT count(*), count(DISTINCT patch_id) FROM " + schema
                        + ".change_patches WHERE run_id = ?", run);
                assertEquals(patches, p[0], run + ": patches in the one map");
                assertEquals(p[0], p[1], run + ": no patch id twice");
                long[] h = twoCounts(c, "SELECT count(*), count(DISTINCT parcel_id) FROM " + schema
                        + ".flagged_parcel_history WHERE run_id = ?", run);
                assertEquals(flagged, h[0], run + ": flagged parcels in the history");
                assertEquals(h[0], h[1], run + ": no parcel id twice");
            }
            long[] cur = twoCounts(c, "SELECT count(*), count(DISTINCT parcel_id) FROM " + schema
                    + ".flagged_parcels");
            assertEquals(flagged, cur[0], "the current map holds each flagged parcel once");
            assertEquals(cur[0], cur[1]);
            long[] runs = twoCounts(c, "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded') FROM " + schema
                    + ".runs");
            assertEquals(2, runs[0], "the faulted and the next run, nothing else");
            assertEquals(2, runs[1], "both runs are recorded as succeeded");
            System.out.println("[cluster] one map " + schema + ": " + patches + " patches per run, " + flagged
                    + " flagged parcels, no duplicates");
        }
    }

    private static long[] twoCounts(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2)};
            }
        }
    }

    private static Connection jdbc(String url) throws SQLException {
        URI uri = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
        String userInfo = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo();
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String password = colon < 0 ? System.getenv("PGPASSWORD") : userInfo.substring(colon + 1);
        return DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort())
                + uri.getPath(), user, password);
    }
}
