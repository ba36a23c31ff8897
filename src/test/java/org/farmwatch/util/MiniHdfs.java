package org.farmwatch.util;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS in the test JVM (a name node and one data node speaking the HDFS protocol over 127.0.0.1), for the
 * tests that read and write {@code hdfs://} paths.
 */
public final class MiniHdfs implements AutoCloseable {

    private final MiniDFSCluster cluster;
    /** The file system, and its URI ({@code hdfs://127.0.0.1:port}). */
    public final FileSystem fs;
    public final String uri;

    private MiniHdfs(MiniDFSCluster cluster) throws IOException {
        this.cluster = cluster;
        this.fs = cluster.getFileSystem();
        this.uri = fs.getUri().toString();
    }

    /** Starts a cluster keeping its blocks under {@code base}, and waits until it serves. */
    public static MiniHdfs start(Path base) throws IOException {
        Configuration c = new Configuration();
        c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(c).numDataNodes(1).build();
        cluster.waitActive();
        return new MiniHdfs(cluster);
    }

    /** Copies the sample's scenes to {@code /data/scenes} and its farmland to {@code /data/farmland.gpkg}. */
    public void putSample() throws IOException {
        put(Path.of("sample-tiles/scenes"), "/data/scenes");
        put(Path.of("sample-tiles/farmland.gpkg"), "/data/farmland.gpkg");
    }

    /** Copies a local file or folder to {@code path} on this file system. */
    public void put(Path local, String path) throws IOException {
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toAbsolutePath().toUri()),
                new org.apache.hadoop.fs.Path(uri + path));
    }

    @Override
    public void close() {
        cluster.shutdown();
    }
}
