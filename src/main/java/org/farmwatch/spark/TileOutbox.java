package org.farmwatch.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.fs.FileSystem;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.HadoopFs;

/**
 * Where executors put the per-tile rasters (change tiles and true-colour tiles) that the driver assembles
 * into COGs. For a local output folder they are written in place, as the driver and the executors share a
 * disk in local mode or a shared mount on a cluster. For an output on a Hadoop file system each task writes
 * its tiles into a local temporary folder (GDAL writes local files only) and uploads every finished tile to
 * {@code root}, from which the driver fetches them all ({@link #fetch}).
 */
public final class TileOutbox implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The change-tile folder: a local path, or a Hadoop URI ending in {@value #CHANGE_TILES}. */
    private final String dir;
    private final HadoopFs.Conf conf;
    /** This task's local folder for a remote outbox; null for a local one. */
    private transient Path localRoot;

    static final String CHANGE_TILES = ".change-tiles";

    private TileOutbox(String dir, HadoopFs.Conf conf) {
        this.dir = dir;
        this.conf = conf;
    }

    /** The outbox whose change tiles go to {@code changeTileDir} (a local path or a Hadoop URI). */
    static TileOutbox at(String changeTileDir, org.apache.hadoop.conf.Configuration hadoop) {
        if (HadoopFs.isUri(changeTileDir)) {
            String d = changeTileDir.endsWith("/") ? changeTileDir.substring(0, changeTileDir.length() - 1) : changeTileDir;
            if (!d.endsWith("/" + CHANGE_TILES)) {
                throw new IllegalArgumentException("a remote change-tile folder must be named " + CHANGE_TILES + ": " + d);
            }
            return new TileOutbox(d, new HadoopFs.Conf(hadoop));
        }
        return new TileOutbox(Path.of(changeTileDir).toAbsolutePath().toString(), null);
    }

    /** The local folder GDAL writes this task's change tiles into; true-colour tiles go beside it. */
    Path changeTiles() {
        if (conf == null) {
            return Path.of(dir);
        }
        if (localRoot == null) {
            try {
                localRoot = Files.createTempDirectory("farmwatch-tiles-");
            } catch (IOException e) {
                throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot create a local tile folder: " + e, e);
            }
        }
        return localRoot.resolve(CHANGE_TILES);
    }

    /** Hands a finished tile written under {@link #changeTiles()}'s parent to the outbox. */
    void send(Path tile) {
        if (conf == null) {
            return;
        }
        String rel = localRoot.relativize(tile).toString().replace('\\', '/');
        String root = dir.substring(0, dir.length() - CHANGE_TILES.length() - 1);
        org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(root + "/" + rel);
        try {
            FileSystem fs = dst.getFileSystem(conf.get());
            // delSrc: the local copy goes once uploaded; overwrite: a retried task writes the same tile again.
            fs.copyFromLocalFile(true, true, new org.apache.hadoop.fs.Path(tile.toUri()), dst);
        } catch (IOException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot upload tile " + tile.getFileName()
                    + " to " + dst + ": " + e.getMessage(), e);
        }
    }

    /** Removes this task's local folder (remote outbox only). */
    void close() {
        if (localRoot != null) {
            try (var s = Files.walk(localRoot)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary folder left behind harms nothing
            }
            localRoot = null;
        }
    }

    /**
     * Driver side: copies every tile folder of the remote outbox {@code root} ({@code .change-tiles},
     * {@code .true-colour-tiles}) into the local folder {@code localRoot}, then removes them remotely.
     */
    public static void fetch(String root, Path localRoot) {
        try {
            org.apache.hadoop.fs.Path r = new org.apache.hadoop.fs.Path(root);
            FileSystem fs = HadoopFs.fileSystem(root, "--out");
            for (String name : new String[] {CHANGE_TILES, org.farmwatch.publish.TrueColourCog.tilesBeside(
                    Path.of("/x", CHANGE_TILES)).getFileName().toString()}) {
                org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(r, name);
                if (fs.exists(src)) {
                    Path dst = localRoot.resolve(name);
                    Files.createDirectories(dst.getParent());
                    // Raw local file system: no .crc side files among the tiles.
                    fs.copyToLocalFile(false, src, new org.apache.hadoop.fs.Path(dst.toUri()), true);
                    fs.delete(src, true);
                }
            }
        } catch (IOException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot fetch the executors' tiles from "
                    + root + ": " + e.getMessage(), e);
        }
    }
}
