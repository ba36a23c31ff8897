package org.farmwatch.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on this machine, from the project's own Spark jars: a Master and
 * a Worker bound to 127.0.0.1, and the shaded jar submitted through SparkSubmit, as spark-submit
 * does. The demo runs to completion on the cluster's executors and flags the planted conversions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterSubmitIT {

    static final List<String> OPENS = List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net",
            "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch",
            "sun.nio.cs", "sun.security.action", "sun.util.calendar");

    @TempDir
    static Path tmp;
    private final List<Process> daemons = new ArrayList<>();
    private String master;
    private final Path lib = Path.of("target/lib").toAbsolutePath();
    private final Path jar = Path.of("target/farmwatch-spark.jar").toAbsolutePath();
    private final String jni = System.getProperty("gdal.jni.dir", System.getProperty("user.home") + "/.cache/farmwatch/gdal-jni");

    static List<String> opens() {
        List<String> o = new ArrayList<>();
        OPENS.forEach(p -> o.add("--add-opens=java.base/" + p + "=ALL-UNNAMED"));
        return o;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private ProcessBuilder java(List<String> args, Path log) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(opens());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", tmp.resolve("spark-home").toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb;
    }

    @BeforeAll
    void startCluster() throws Exception {
        assertTrue(Files.isRegularFile(jar), "the shaded jar is built in the package phase: " + jar);
        // A Spark home made of the project's own jars: the Worker builds executor command lines from it.
        Path home = Files.createDirectories(tmp.resolve("spark-home"));
        Files.writeString(home.resolve("RELEASE"), "Spark from the farmwatch build\n");
        Files.createSymbolicLink(home.resolve("jars"), lib);
        int port = freePort();
        master = "spark://127.0.0.1:" + port;
        daemons.add(java(List.of("-Xmx512m", "-cp", lib + "/*", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort())), tmp.resolve("master.log")).start());
        waitForPort(port, 60);
        daemons.add(java(List.of("-Xmx512m", "-cp", lib + "/*", "org.apache.spark.deploy.worker.Worker", master, "--host",
                "127.0.0.1", "--cores", "2", "--memory", "3g", "--webui-port", Integer.toString(freePort()), "--work-dir",
                tmp.resolve("work").toString()), tmp.resolve("worker.log")).start());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(tmp.resolve("master.log")).contains("Registering worker")) {
            assertTrue(System.nanoTime() < deadline, "the Worker did not register: " + Files.readString(tmp.resolve("worker.log")));
            Thread.sleep(500);
        }
    }

    private static void waitForPort(int port, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(300);
            }
        }
        throw new AssertionError("nothing listens on port " + port);
    }

    @AfterAll
    void stopCluster() {
        for (Process p : daemons) {
            p.destroy();
        }
        for (Process p : daemons) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void theDemoRunsOnTheClusterThroughSparkSubmit() throws Exception {
        Path out = tmp.resolve("cluster-demo");
        String opens = String.join(" ", opens());
        List<String> args = new ArrayList<>(List.of("-Xmx2g", "-Djava.library.path=" + jni,
                "-Dlog4j2.configurationFile=" + Path.of("conf/log4j2.properties").toAbsolutePath(),
                "-cp", lib + "/*", "org.apache.spark.deploy.SparkSubmit", "--master", master,
                "--class", "org.farmwatch.cli.Farmwatch",
                "--conf", "spark.executor.extraJavaOptions=" + opens + " -Djava.library.path=" + jni,
                "--conf", "spark.executor.memory=2g", jar.toString(),
                "demo", "--out", out.toString(), "--master", master));
        Path log = tmp.resolve("submit.log");
        Process submit = java(args, log).start();
        boolean done = submit.waitFor(8, TimeUnit.MINUTES);
        if (!done) {
            submit.destroyForcibly();
        }
        String text = Files.readString(log);
        assertTrue(done, "the run did not finish: " + tail(text));
        assertEquals(0, submit.exitValue(), tail(text));
        assertTrue(text.contains("run demo done"), tail(text));
        // The executors were the Worker's, not the driver's: the Worker started executor processes.
        try (var apps = Files.list(tmp.resolve("work"))) {
            assertTrue(apps.anyMatch(p -> p.getFileName().toString().startsWith("app-")));
        }
        Map<String, String> truth = new HashMap<>();
        for (String l : Files.readAllLines(Path.of("sample-tiles/truth.csv")).subList(1, Files.readAllLines(
                Path.of("sample-tiles/truth.csv")).size())) {
            String[] p = l.split(",");
            truth.put(p[0], p[1]);
        }
        Gdal.init();
        DataSource ds = ogr.Open(out.resolve("onemap.gpkg").toString());
        int right = 0;
        int flagged = 0;
        try {
            Layer l = ds.GetLayerByName("flagged_parcels");
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                flagged++;
                if (f.GetFieldAsString("change_type").equals(truth.get(f.GetFieldAsString("parcel_id")))) {
                    right++;
                }
                f.delete();
            }
        } finally {
            ds.delete();
        }
        assertTrue(right >= 0.95 * truth.size() && right >= 0.95 * flagged,
                "cluster run: " + right + " right of " + flagged + ", truth " + truth.size());
    }

    private static String tail(String s) {
        String[] lines = s.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 30), lines.length));
    }
}
