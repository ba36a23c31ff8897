package org.farmwatch.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster path as the README tells users to take it: {@code jobs/farmwatch run --master spark://HOST:PORT} and
 * {@code jobs/farmwatch nightly --master ...} with {@code SPARK_HOME} set, run as subprocesses. The launcher then
 * calls {@code $SPARK_HOME/bin/spark-submit} with the shaded jar, its JDK 17 {@code --add-opens} flags and the GDAL
 * JNI library path for the driver and the executors; ClusterSubmitIT calls SparkSubmit with the test's own flags
 * instead. The cluster is real (a standalone Master and Worker on 127.0.0.1, StandaloneCluster), and so is its
 * {@code SPARK_HOME}: the build's Spark jars with a {@code bin/spark-submit} that runs Spark's own launcher.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterLauncherIT {

    @TempDir
    static Path tmp;
    private StandaloneCluster cluster;
    private StandaloneCluster.Worker worker;
    private Map<String, String> localFlags;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = new StandaloneCluster(tmp);
        worker = cluster.startWorker(2);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    record Result(int exit, String text) {}

    /** Runs {@code jobs/farmwatch args} as a user would, its output (stdout and stderr) going to {@code log}. */
    private Result farmwatch(Path log, boolean withSparkHome, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of("jobs/farmwatch").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        // The suite built and installed everything; the launcher finds the JNI bridge the suite uses.
        env.put("FARMWATCH_SKIP_SETUP", "1");
        env.put("FARMWATCH_CACHE", Path.of(cluster.jni).getParent().toString());
        env.put("FARMWATCH_CDS", "0");
        // The driver must be reachable from the executors at the address the Master sees: 127.0.0.1 here.
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.remove("SPARK_HOME");
        env.remove("SPARK_CONF_DIR");
        if (withSparkHome) {
            env.put("SPARK_HOME", cluster.sparkHome().toString());
        }
        Process p = pb.start();
        boolean done = p.waitFor(8, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertTrue(done, "jobs/farmwatch " + String.join(" ", args) + " did not finish:\n" + StandaloneCluster.tail(text));
        return new Result(p.exitValue(), text);
    }

    private static String[] runArgs(Path out, String runId, String... more) {
        List<String> a = new ArrayList<>(List.of("run", "--before", Path.of("sample-tiles/scenes/20250415").toAbsolutePath().toString(),
                "--after", Path.of("sample-tiles/scenes/20250920").toAbsolutePath().toString(),
                "--farmland", Path.of("sample-tiles/farmland.gpkg").toAbsolutePath().toString(),
                "--out", out.toString(), "--run-id", runId));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** The flagged parcels of the same run on local[*], through the same launcher without a master. */
    private synchronized Map<String, String> localFlags() throws Exception {
        if (localFlags == null) {
            // Each run under a folder of its own: the tile store (.farmwatch/ beside the output) is not shared.
            Path out = tmp.resolve("local/out");
            Result local = farmwatch(tmp.resolve("local.log"), false, runArgs(out, "local-1"));
            assertEquals(0, local.exit(), StandaloneCluster.tail(local.text()));
            localFlags = StandaloneCluster.flagged(out.resolve("onemap.gpkg"));
            assertFalse(localFlags.isEmpty(), "the local run flags the planted conversions");
        }
        return localFlags;
    }

    @Test
    void runWithASparkMasterFlagsWhatALocalRunFlags() throws Exception {
        Path out = tmp.resolve("cluster/out");
        Result r = farmwatch(tmp.resolve("cluster.log"), true, runArgs(out, "cluster-1", "--master", cluster.master()));
        assertEquals(0, r.exit(), StandaloneCluster.tail(r.text()));
        assertTrue(r.text().contains("run cluster-1 done"), StandaloneCluster.tail(r.text()));
        // The driver ran on the cluster: the Master gave it an application id (app-...), which names its event log.
        try (Stream<Path> logs = Files.list(tmp.resolve("cluster/.farmwatch/spark-events"))) {
            List<String> names = logs.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("cluster-1_app-")), "event logs: " + names);
        }
        assertTrue(worker.ranExecutors(), "the Worker started no executor");
        // The executors were started with the launcher's flags: the JNI bridge's folder and the JDK 17 opens.
        String launch = executorLaunchCommands();
        assertTrue(launch.contains("-Djava.library.path=" + cluster.jni), "executor command without the bridge's folder:\n" + launch);
        assertTrue(launch.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), "executor command without the opens:\n" + launch);

        Map<String, String> flagged = StandaloneCluster.flagged(out.resolve("onemap.gpkg"));
        System.out.println("[cluster] jobs/farmwatch run --master: " + flagged.size() + " flagged parcels");
        assertEquals(localFlags(), flagged, "the cluster run flags exactly the parcels the local run flags");
        for (String f : List.of("change.tif", "onemap.qgz", "report.html", "inspector/flagged_parcels.xlsx", "run.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f + " written by the cluster run");
        }
    }

    /**
     * {@code nightly --master} publishes the night to the one map from the cluster, and the next night, with no new
     * scene, ends with "nothing new". Needs the suite's PostGIS ({@code -Dfarmwatch.pgurl}, set by jobs/test).
     */
    @Test
    void nightlyWithASparkMasterPublishesOnceAndThenFindsNothingNew() throws Exception {
        String pgUrl = System.getProperty("farmwatch.pgurl", "").trim();
        if (pgUrl.isEmpty() && System.getenv("CI") != null) {
            fail("CI is set but -Dfarmwatch.pgurl is not; run the tests with jobs/test");
        }
        Assumptions.assumeFalse(pgUrl.isEmpty(), "no -Dfarmwatch.pgurl: the nightly run needs PostGIS");
        String schema = "fw_launcher_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Path conf = tmp.resolve("nightly.conf");
        Path outRoot = tmp.resolve("nightly");
        Files.writeString(conf, String.join("\n", "nightly.region = cluster-launcher",
                "nightly.catalog = " + Path.of("sample-tiles/scenes").toAbsolutePath(),
                "nightly.farmland = " + Path.of("sample-tiles/farmland.gpkg").toAbsolutePath(),
                "nightly.onemap = " + pgUrl, "nightly.onemapSchema = " + schema, "nightly.out = " + outRoot,
                "nightly.beforePeriod = 2025-03-01/2025-05-31", "nightly.afterPeriod = 2025-08-01/2025-10-31", ""));
        String runId = "nightly-cluster-launcher-20250920";
        try {
            Result first = farmwatch(tmp.resolve("nightly-1.log"), true, "nightly", "--conf", conf.toString(),
                    "--master", cluster.master());
            assertEquals(0, first.exit(), StandaloneCluster.tail(first.text()));
            assertTrue(first.text().contains("run " + runId + " done"), StandaloneCluster.tail(first.text()));
            Map<String, String> flagged = StandaloneCluster.flagged(outRoot.resolve(runId).resolve("onemap.gpkg"));
            assertEquals(localFlags(), flagged, "the nightly cluster run flags exactly the parcels the local run flags");
            assertEquals(flagged.size(), flaggedInOneMap(pgUrl, schema, runId), "flagged parcels of " + runId + " in the one map");

            Result second = farmwatch(tmp.resolve("nightly-2.log"), true, "nightly", "--conf", conf.toString(),
                    "--master", cluster.master());
            assertEquals(0, second.exit(), StandaloneCluster.tail(second.text()));
            assertTrue(second.text().contains("nothing new"), StandaloneCluster.tail(second.text()));
            assertEquals(flagged.size(), flaggedInOneMap(pgUrl, schema, runId), "the second night published nothing");
        } finally {
            try (Connection c = jdbc(pgUrl); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
            } catch (SQLException e) {
                System.out.println("[cluster] could not drop schema " + schema + ": " + e.getMessage());
            }
        }
    }

    /** Without SPARK_HOME a cluster master is bad configuration: exit 2, one line naming SPARK_HOME, nothing started. */
    @Test
    void aSparkMasterWithoutSparkHomeIsExit2() throws Exception {
        Path out = tmp.resolve("no-spark-home");
        Result r = farmwatch(tmp.resolve("no-spark-home.log"), false, runArgs(out, "none", "--master", cluster.master()));
        assertEquals(2, r.exit(), r.text());
        assertTrue(r.text().contains("SPARK_HOME"), r.text());
        assertFalse(Files.exists(out), "nothing written");
    }

    /**
     * The worker preparation the README gives ({@code jobs/lib/setup.sh --worker}) on this machine, where everything is
     * in place: exit 0, and on stdout the very folder the launcher passes to the executors as their library path.
     */
    @Test
    void workerSetupPrintsTheBridgeFolderTheLauncherPasses() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "jobs/lib/setup.sh", "--worker");
        pb.environment().put("FARMWATCH_CACHE", Path.of(cluster.jni).getParent().toString());
        pb.environment().put("FARMWATCH_SETUP_LOG", tmp.resolve("worker-setup.log").toString());
        Path err = tmp.resolve("worker-setup.err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "setup.sh --worker did not finish");
        assertEquals(0, p.exitValue(), Files.readString(err));
        assertEquals(Path.of(cluster.jni).toString(), out);
        assertTrue(Files.size(Path.of(out, "libgdalalljni.so")) > 0, "the bridge is built");
        assertTrue(Files.readString(err).contains("worker ready: GDAL 3."), Files.readString(err));
    }

    /** The "Spark Executor Command" headers the Worker wrote into its executors' stderr files. */
    private String executorLaunchCommands() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(worker.work())) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                Files.readAllLines(f).stream().filter(l -> l.startsWith("Spark Executor Command")).forEach(l -> sb.append(l).append('\n'));
            }
        }
        assertTrue(sb.length() > 0, "no executor command in " + worker.work());
        return sb.toString();
    }

    private static long flaggedInOneMap(String pgUrl, String schema, String runId) throws SQLException {
        try (Connection c = jdbc(pgUrl);
                PreparedStatement st = c.prepareStatement("SELECT count(DISTINCT parcel_id) FROM " + schema
                        + ".flagged_parcel_history WHERE run_id = ?")) {
            st.setString(1, runId);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
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
