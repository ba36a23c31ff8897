package org.farmwatch.cluster;

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

/**
 * A real Spark standalone cluster on this machine, made of the project's own Spark jars (target/lib): a Master
 * and Workers bound to 127.0.0.1, each daemon a JVM of its own, and the shaded jar submitted through
 * {@code SparkSubmit} as spark-submit does. Every process it starts it stops again in {@link #close}.
 */
final class StandaloneCluster implements AutoCloseable {

    static final List<String> OPENS = List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net",
            "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch",
            "sun.nio.cs", "sun.security.action", "sun.util.calendar");

    final Path lib = Path.of("target/lib").toAbsolutePath();
    final Path jar = Path.of("target/farmwatch-spark.jar").toAbsolutePath();
    final String jni = System.getProperty("gdal.jni.dir", System.getProperty("user.home") + "/.cache/farmwatch/gdal-jni");
    private final Path dir;
    private final List<Process> daemons = new ArrayList<>();
    private final String master;
    private int workers;

    /** Starts a Master in {@code dir} (its log is {@code dir/master.log}) and waits until it listens. */
    StandaloneCluster(Path dir) throws Exception {
        this.dir = dir;
        assertTrue(Files.isRegularFile(jar), "the shaded jar is built in the package phase: " + jar);
        // A Spark home made of the project's own jars: the Worker builds executor command lines from it.
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        Files.writeString(home.resolve("RELEASE"), "Spark from the farmwatch build\n");
        Files.createSymbolicLink(home.resolve("jars"), lib);
        int port = freePort();
        master = "spark://127.0.0.1:" + port;
        daemons.add(java(List.of("-Xmx512m", "-cp", lib + "/*", "org.apache.spark.deploy.master.Master", "--host",
                "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort())),
                dir.resolve("master.log")).start());
        waitForPort(port, 60);
    }

    String master() {
        return master;
    }

    /**
     * The cluster's Spark home (the build's Spark jars) with a {@code bin/spark-submit} that runs Spark's own
     * launcher as a binary distribution's does (test resource {@code spark-submit}): the {@code SPARK_HOME} a user
     * gives {@code jobs/farmwatch run --master spark://...}.
     */
    Path sparkHome() throws IOException {
        Path home = dir.resolve("spark-home");
        Path submit = home.resolve("bin/spark-submit");
        if (!Files.exists(submit)) {
            Files.createDirectories(submit.getParent());
            try (var in = StandaloneCluster.class.getResourceAsStream("spark-submit")) {
                assertTrue(in != null, "test resource org/farmwatch/cluster/spark-submit");
                Files.copy(in, submit);
            }
            Files.setPosixFilePermissions(submit, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return home;
    }

    /**
     * Starts one more Worker with {@code cores} cores and waits until the Master has registered it. Its log is
     * {@code dir/worker-N.log}, its work folder (one {@code app-*} folder per application it ran executors for)
     * {@code dir/work-N}.
     */
    Worker startWorker(int cores) throws Exception {
        int n = ++workers;
        Path log = dir.resolve("worker-" + n + ".log");
        Path work = dir.resolve("work-" + n);
        long registeredBefore = registrations();
        Process p = java(List.of("-Xmx512m", "-cp", lib + "/*", "org.apache.spark.deploy.worker.Worker", master, "--host",
                "127.0.0.1", "--cores", Integer.toString(cores), "--memory", "3g", "--webui-port",
                Integer.toString(freePort()), "--work-dir", work.toString()), log).start();
        daemons.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (registrations() <= registeredBefore) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "the Worker did not register: " + tail(Files.readString(log)));
            Thread.sleep(300);
        }
        return new Worker(p, log, work);
    }

    private long registrations() throws IOException {
        return Files.readString(dir.resolve("master.log")).lines().filter(l -> l.contains("Registering worker")).count();
    }

    /** A Worker daemon, its log and its work folder. */
    record Worker(Process process, Path log, Path work) {

        /**
         * Kills the Worker and the executors it started with SIGKILL, as when its machine is lost, and waits
         * until they are gone.
         */
        void kill() throws InterruptedException {
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            all.add(process.toHandle());
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : all) {
                h.onExit().orTimeout(30, TimeUnit.SECONDS).join();
            }
        }

        /** True when this Worker started an executor for some application. */
        boolean ranExecutors() throws IOException {
            if (!Files.isDirectory(work)) {
                return false;
            }
            try (var apps = Files.list(work)) {
                return apps.anyMatch(p -> p.getFileName().toString().startsWith("app-"));
            }
        }
    }

    /**
     * Starts {@code farmwatch <args>} through SparkSubmit with the shaded jar on this cluster, its console output
     * (driver log included) going to {@code log}. {@code conf} are extra {@code --conf key=value} pairs.
     */
    Process submit(Path log, List<String> conf, String... args) throws IOException {
        return submit(log, Path.of("conf/log4j2.properties"), conf, args);
    }

    /** As {@link #submit(Path, List, String...)}, with the driver's log configured by {@code log4j}. */
    Process submit(Path log, Path log4j, List<String> conf, String... args) throws IOException {
        String opens = String.join(" ", opens());
        List<String> cmd = new ArrayList<>(List.of("-Xmx2g", "-Djava.library.path=" + jni,
                "-Dlog4j2.configurationFile=" + log4j.toAbsolutePath(),
                "-cp", lib + "/*", "org.apache.spark.deploy.SparkSubmit", "--master", master,
                "--class", "org.farmwatch.cli.Farmwatch",
                "--conf", "spark.executor.extraJavaOptions=" + opens + " -Djava.library.path=" + jni,
                "--conf", "spark.executor.memory=2g"));
        conf.forEach(c -> cmd.addAll(List.of("--conf", c)));
        cmd.add(jar.toString());
        cmd.addAll(List.of(args));
        return java(cmd, log).start();
    }

    @Override
    public void close() {
        for (Process p : daemons) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : daemons) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }

    static List<String> opens() {
        List<String> o = new ArrayList<>();
        OPENS.forEach(p -> o.add("--add-opens=java.base/" + p + "=ALL-UNNAMED"));
        return o;
    }

    private ProcessBuilder java(List<String> args, Path log) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(opens());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", dir.resolve("spark-home").toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
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

    /** The planted conversions of the demo area: parcel id to change type (sample-tiles/truth.csv). */
    static Map<String, String> demoTruth() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("sample-tiles/truth.csv"));
        Map<String, String> truth = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] p = l.split(",");
            truth.put(p[0], p[1]);
        }
        return truth;
    }

    /** parcel_id to change_type of each row of an output's flagged_parcels layer. */
    static Map<String, String> flagged(Path onemapGpkg) {
        Gdal.init();
        DataSource ds = ogr.Open(onemapGpkg.toString());
        Map<String, String> flagged = new HashMap<>();
        try {
            Layer l = ds.GetLayerByName("flagged_parcels");
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                String previous = flagged.put(f.GetFieldAsString("parcel_id"), f.GetFieldAsString("change_type"));
                assertTrue(previous == null, "parcel " + f.GetFieldAsString("parcel_id") + " is flagged twice in " + onemapGpkg);
                f.delete();
            }
        } finally {
            ds.delete();
        }
        return flagged;
    }

    static String tail(String s) {
        String[] lines = s.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 30), lines.length));
    }
}
