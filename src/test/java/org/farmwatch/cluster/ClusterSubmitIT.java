package org.farmwatch.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

    @TempDir
    static Path tmp;
    private StandaloneCluster cluster;
    private StandaloneCluster.Worker worker;

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

    @Test
    void theDemoRunsOnTheClusterThroughSparkSubmit() throws Exception {
        Path out = tmp.resolve("cluster-demo");
        Path log = tmp.resolve("submit.log");
        Process submit = cluster.submit(log, List.of(), "demo", "--out", out.toString(), "--master", cluster.master());
        boolean done = submit.waitFor(8, TimeUnit.MINUTES);
        if (!done) {
            submit.destroyForcibly();
        }
        String text = Files.readString(log);
        assertTrue(done, "the run did not finish: " + StandaloneCluster.tail(text));
        assertEquals(0, submit.exitValue(), StandaloneCluster.tail(text));
        assertTrue(text.contains("run demo done"), StandaloneCluster.tail(text));
        // The executors were the Worker's, not the driver's: the Worker started executor processes.
        assertTrue(worker.ranExecutors(), "the Worker started no executor");
        Map<String, String> truth = StandaloneCluster.demoTruth();
        Map<String, String> flagged = StandaloneCluster.flagged(out.resolve("onemap.gpkg"));
        long right = flagged.entrySet().stream().filter(e -> e.getValue().equals(truth.get(e.getKey()))).count();
        assertTrue(right >= 0.95 * truth.size() && right >= 0.95 * flagged.size(),
                "cluster run: " + right + " right of " + flagged.size() + ", truth " + truth.size());
    }

    /**
     * Scenes, farmland and output on a real HDFS (an in-process MiniDFSCluster), read and written by the driver and
     * by the Worker's executors, separate JVMs that reach HDFS only over its protocol: the executors fetch the scene
     * files into their own cache and upload their tiles to the output's staging folder on HDFS.
     */
    @Test
    void scenesAndOutputOnHdfsWorkFromTheExecutors() throws Exception {
        try (org.farmwatch.util.MiniHdfs dfs = org.farmwatch.util.MiniHdfs.start(tmp.resolve("dfs"))) {
            org.apache.hadoop.fs.FileSystem fs = dfs.fs;
            String hdfs = dfs.uri;
            dfs.putSample();
            Path executorCache = tmp.resolve("executor-fetch-cache");
            Path log = tmp.resolve("submit-hdfs.log");
            String out = hdfs + "/onemap/2025-09";
            Process submit = cluster.submit(log, List.of("spark.executorEnv.FARMWATCH_FETCH_CACHE=" + executorCache),
                    "run", "--before", hdfs + "/data/scenes/20250415", "--after", hdfs + "/data/scenes/20250920",
                    "--farmland", hdfs + "/data/farmland.gpkg", "--out", out, "--run-id", "hdfs-cluster",
                    "--master", cluster.master());
            boolean done = submit.waitFor(8, TimeUnit.MINUTES);
            if (!done) {
                submit.destroyForcibly();
            }
            String text = Files.readString(log);
            assertTrue(done, "the run did not finish: " + StandaloneCluster.tail(text));
            assertEquals(0, submit.exitValue(), StandaloneCluster.tail(text));
            // The executors read the bands from their own fetch cache, not from the driver's.
            try (var files = Files.walk(executorCache)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith("_B04.tif")),
                        "no band file in the executors' cache " + executorCache);
            }
            Path gpkg = tmp.resolve("hdfs-cluster.gpkg");
            fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(out + "/onemap.gpkg"),
                    new org.apache.hadoop.fs.Path(gpkg.toUri()), true);
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path(out + "/change.tif")), "the change COG from the executors' tiles");
            Map<String, String> truth = StandaloneCluster.demoTruth();
            Map<String, String> flagged = StandaloneCluster.flagged(gpkg);
            long right = flagged.entrySet().stream().filter(e -> e.getValue().equals(truth.get(e.getKey()))).count();
            assertTrue(right >= 0.95 * truth.size() && right >= 0.95 * flagged.size(),
                    "cluster run on HDFS: " + right + " right of " + flagged.size() + ", truth " + truth.size());
        }
    }
}
