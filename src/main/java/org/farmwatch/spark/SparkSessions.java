package org.farmwatch.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the Spark session: whatever master spark-submit or {@code --master} set, else {@code local[*]}. */
public final class SparkSessions {
    private SparkSessions() {}

    public static SparkSession create(String appName, String master) {
        return create(appName, master, null);
    }

    /**
     * As {@link #create(String, String)}, with Spark's event log on (for the history server and for
     * looking into a run afterwards): in {@code spark.eventLog.dir} when that is set (spark-submit
     * {@code --conf}, {@code spark-defaults.conf} or {@code -Dspark.eventLog.dir=}), else in {@code
     * defaultEventLogDir}, created when missing. {@code spark.eventLog.enabled=false} turns it off.
     */
    public static SparkSession create(String appName, String master, java.nio.file.Path defaultEventLogDir) {
        return createLoggingTo(appName, master, defaultEventLogDir == null ? null
                : defaultEventLogDir.toAbsolutePath().toUri().toString());
    }

    /** As {@link #create(String, String, java.nio.file.Path)} with the default event log folder as a URI (file:, hdfs://...). */
    public static SparkSession createLoggingTo(String appName, String master, String defaultEventLogDir) {
        SparkConf conf = new SparkConf(true).setAppName(appName);
        if (master != null && !master.isBlank()) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        conf.setIfMissing("spark.sql.shuffle.partitions", "8");
        if (defaultEventLogDir != null) {
            conf.setIfMissing("spark.eventLog.enabled", "true");
            if (conf.getBoolean("spark.eventLog.enabled", false) && !conf.contains("spark.eventLog.dir")) {
                try {
                    if (org.farmwatch.util.HadoopFs.isUri(defaultEventLogDir)) {
                        org.farmwatch.util.HadoopFs.fileSystem(defaultEventLogDir, "event log")
                                .mkdirs(new org.apache.hadoop.fs.Path(defaultEventLogDir));
                    } else {
                        java.nio.file.Files.createDirectories(java.nio.file.Path.of(java.net.URI.create(defaultEventLogDir)));
                    }
                    conf.set("spark.eventLog.dir", defaultEventLogDir);
                } catch (java.io.IOException | RuntimeException e) {
                    // The event log is for looking back; a run does not fail for want of it.
                    System.err.printf("[farmwatch] Spark event log off: cannot create %s (%s)%n", defaultEventLogDir, e);
                    conf.set("spark.eventLog.enabled", "false");
                }
            }
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * Stops the session and names its event log after the run: {@code RUNID_APPID} (such as {@code
     * demo_local-1796684824702}) instead of Spark's bare application id, so that a run's log is found by its id.
     * The history server reads the application from the events, not the name. Characters of the run id other than
     * letters, digits, '-' and '_' become '_' (a '.' would read as a compression suffix). A log that cannot be
     * renamed keeps Spark's name; the run does not fail for it.
     */
    public static void stop(SparkSession spark, String runId) {
        SparkConf conf = spark.sparkContext().getConf();
        String appId = spark.sparkContext().applicationId();
        String dir = conf.getBoolean("spark.eventLog.enabled", false) ? conf.get("spark.eventLog.dir", null) : null;
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        spark.stop();
        if (dir == null || runId == null || appId == null) {
            return;
        }
        String prefix = runId.replaceAll("[^A-Za-z0-9_-]", "_") + "_";
        // Spark's file name for the application id (Utils.sanitizeDirName), with an optional codec suffix.
        String name = appId.replaceAll("[ :/]", "-").replaceAll("[.${}'\"]", "_").toLowerCase(java.util.Locale.ROOT);
        try {
            org.apache.hadoop.fs.Path d = new org.apache.hadoop.fs.Path(dir);
            org.apache.hadoop.fs.FileSystem fs = d.getFileSystem(hadoop);
            for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(d)) {
                String n = f.getPath().getName();
                if (f.isFile() && (n.equals(name) || n.startsWith(name + "."))) {
                    fs.rename(f.getPath(), new org.apache.hadoop.fs.Path(d, prefix + n));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            System.err.printf("[farmwatch] Spark event log of %s left as %s: %s%n", runId, name, e);
        }
    }
}
