package org.farmwatch.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.HadoopFs;

/**
 * A run's output folder on a Hadoop file system ({@code hdfs://}, {@code s3a://} with hadoop-aws). The run
 * publishes into a local staging folder (GDAL and SQLite write local files only); {@link #commit} uploads
 * it to the hidden sibling {@code .<name>.tmp-<run id>}, which also received the executors' tiles, and
 * renames that onto the target, so readers see the earlier output or the whole new one. On HDFS the rename
 * is atomic; on an object store (s3a) it is a copy, so a reader may briefly see a partly renamed folder.
 */
final class HadoopOutputDir implements RunOutput {
    private final String given;
    private final String runId;
    private String target;
    private String remoteStaging;
    private Path staging;
    private FileSystem fs;
    /** The highest ancestor of the target that {@link #open} created, or null: removed again by {@link #abandon}. */
    private org.apache.hadoop.fs.Path createdParent;

    /** Resolves the file system at once: exit 2 naming the scheme when no FileSystem class serves it. */
    HadoopOutputDir(String out, String runId) {
        this.given = out;
        this.runId = runId;
        fs();
    }

    private FileSystem fs() {
        if (fs == null) {
            fs = HadoopFs.fileSystem(given, "--out");
            target = HadoopFs.qualified(given, "--out");
            org.apache.hadoop.fs.Path t = new org.apache.hadoop.fs.Path(target);
            if (t.getParent() == null) {
                throw FarmwatchException.usage("--out " + given + " must be a folder below the file system's root");
            }
            remoteStaging = new org.apache.hadoop.fs.Path(t.getParent(), "." + t.getName() + ".tmp-" + runId).toString();
        }
        return fs;
    }

    private org.apache.hadoop.fs.Path targetPath() {
        fs();
        return new org.apache.hadoop.fs.Path(target);
    }

    @Override
    public void refuseUnsafe(List<String> inputs) {
        FileSystem f = fs();
        try {
            FileStatus st = HadoopFs.status(target);
            if (st != null && st.isFile()) {
                throw FarmwatchException.usage("--out " + target + " is a file, not an output folder");
            }
            if (st != null && !f.exists(new org.apache.hadoop.fs.Path(target, OutputDir.MARKER))) {
                // Without the marker (an output from before it): a run.json and nothing but farmwatch's files.
                boolean hasRunJson = f.exists(new org.apache.hadoop.fs.Path(target, "run.json"));
                for (FileStatus e : f.listStatus(targetPath())) {
                    String name = e.getPath().getName();
                    if (!hasRunJson || !OutputDir.OWN_NAMES.contains(name)) {
                        throw FarmwatchException.usage("--out " + target + " is a folder that holds something other"
                                + " than a farmwatch output (it holds " + name + "); it would be replaced, so nothing was"
                                + " done");
                    }
                }
            }
        } catch (IOException e) {
            throw FarmwatchException.usage("--out " + target + " cannot be read: " + e.getMessage());
        }
        for (String in : inputs) {
            if (in == null || !HadoopFs.isUri(in)) {
                continue;
            }
            String p = in.contains("#") ? in.substring(0, in.lastIndexOf('#')) : in;
            String q;
            try {
                q = HadoopFs.qualified(p, "input");
            } catch (FarmwatchException e) {
                continue; // another file system than the output's
            }
            if (q.equals(target) || q.startsWith(target + "/") || target.startsWith(q + "/")) {
                throw FarmwatchException.usage("--out " + target + " would replace the input " + in);
            }
        }
    }

    @Override
    public Path open() {
        FileSystem f = fs();
        try {
            org.apache.hadoop.fs.Path missing = null;
            for (org.apache.hadoop.fs.Path p = targetPath().getParent(); p != null && !f.exists(p); p = p.getParent()) {
                missing = p;
            }
            createdParent = missing;
            f.mkdirs(targetPath().getParent());
            f.delete(new org.apache.hadoop.fs.Path(remoteStaging), true);
            f.mkdirs(new org.apache.hadoop.fs.Path(remoteStaging));
            staging = Files.createTempDirectory("farmwatch-" + runId + "-");
            Files.writeString(staging.resolve(OutputDir.MARKER), runId + "\n", java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            abandon();
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                    "cannot create output folder next to " + target + ": " + e.getMessage(), e);
        }
        return staging;
    }

    @Override
    public String changeTiles() {
        return remoteStaging + "/.change-tiles";
    }

    @Override
    public void gatherTiles() {
        org.farmwatch.spark.TileOutbox.fetch(remoteStaging, staging);
    }

    @Override
    public String sideFolder() {
        return targetPath().getParent() + "/.farmwatch";
    }

    @Override
    public String uri() {
        fs();
        return target;
    }

    /** Uploads the staging folder into the remote staging folder, then renames that onto the target. */
    @Override
    public void commit() {
        FileSystem f = fs();
        org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(remoteStaging);
        org.apache.hadoop.fs.Path t = targetPath();
        org.apache.hadoop.fs.Path old = new org.apache.hadoop.fs.Path(t.getParent(), "." + t.getName() + ".old-" + System.nanoTime());
        try {
            try (var files = Files.list(staging)) {
                for (Path p : files.toList()) {
                    f.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(p.toUri()),
                            new org.apache.hadoop.fs.Path(remote, p.getFileName().toString()));
                }
            }
            boolean had = f.exists(t);
            if (had && !f.rename(t, old)) {
                throw new IOException("cannot rename " + t + " aside");
            }
            if (!f.rename(remote, t)) {
                if (had) {
                    f.rename(old, t);
                }
                throw new IOException("cannot rename " + remote + " to " + t);
            }
            createdParent = null;
            if (had) {
                f.delete(old, true);
            }
        } catch (IOException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot move the finished output into "
                    + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void abandon() {
        if (staging != null) {
            try {
                OutputDir.deleteTree(staging);
            } catch (IOException ignored) {
                // a local temporary folder: harmless if left
            }
        }
        if (fs == null) {
            return;
        }
        try {
            fs.delete(new org.apache.hadoop.fs.Path(remoteStaging), true);
            if (createdParent != null) {
                // As for a local output: the side folder goes too unless it holds tiles to resume from.
                org.apache.hadoop.fs.Path side = new org.apache.hadoop.fs.Path(targetPath().getParent(), ".farmwatch");
                if (fs.exists(side) && !holdsTiles(side)) {
                    fs.delete(side, true);
                }
                for (org.apache.hadoop.fs.Path p = targetPath().getParent(); p != null; p = p.getParent()) {
                    if (fs.listStatus(p).length > 0) {
                        break;
                    }
                    fs.delete(p, false);
                    if (p.equals(createdParent)) {
                        break;
                    }
                }
                createdParent = null;
            }
        } catch (IOException | RuntimeException ignored) {
            // Best effort: a leftover hidden .tmp folder harms nothing and the next run with this id clears it.
        }
    }

    private boolean holdsTiles(org.apache.hadoop.fs.Path dir) throws IOException {
        var it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            if (it.next().getPath().getName().endsWith(".tile")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public RuntimeException explain(Throwable failure) {
        // Quotas and full data nodes say so in the Hadoop error itself; nothing to add from a local disk check.
        return failure instanceof RuntimeException r ? r
                : new FarmwatchException(FarmwatchException.Kind.INTERNAL, String.valueOf(failure.getMessage()), failure);
    }
}
