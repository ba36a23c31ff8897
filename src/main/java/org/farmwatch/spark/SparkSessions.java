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
}
