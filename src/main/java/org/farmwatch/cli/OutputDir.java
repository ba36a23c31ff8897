package org.farmwatch.cli;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.farmwatch.util.FarmwatchException;

/**
 * A run's output folder, written in a hidden sibling and moved into place only when complete, so
 * that a failed run leaves an earlier output in the folder exactly as it was.
 */
final class OutputDir implements RunOutput {
    private final Path target;
    private final Path staging;
    /** The highest ancestor of the target that {@link #open} created, or null: removed again by {@link #abandon}. */
    private Path createdParent;

    /** The file every output farmwatch publishes holds, with the run id: only a folder holding it is replaced. */
    static final String MARKER = ".farmwatch-output";

    /**
     * What a farmwatch output holds at its top level, for outputs written before the marker: such a folder
     * is replaced only when its run.json is farmwatch's and nothing else is in it.
     */
    /** What a run writes into {@code inspector/}, beside its {@code dossiers/}. */
    static final java.util.Set<String> OWN_INSPECTOR_FILES = java.util.Set.of(
            org.farmwatch.publish.InspectorLists.CSV_FILE, org.farmwatch.publish.InspectorLists.XLSX_FILE,
            org.farmwatch.publish.PatchList.CSV_FILE);
    static final java.util.Set<String> OWN_NAMES = java.util.Set.of("run.json", MARKER, "onemap.gpkg",
            "onemap.gpkg-wal", "onemap.gpkg-shm", "onemap.gpkg-journal", "change.tif", "change_detail.tif",
            "before_truecolour.tif", "after_truecolour.tif", "onemap.qgz", "report.html", "inspector",
            ".quicklook"); // the report's scratch folder, left in outputs before the marker

    private final String runId;
    /** Set once the output is committed or abandoned, or the JVM shuts down: the staging folder is then gone. */
    private boolean closed;
    private Thread cleanupOnSignal;

    OutputDir(Path target, String runId) {
        this.target = target.toAbsolutePath().normalize();
        this.runId = runId;
        Path parent = this.target.getParent();
        if (parent == null) {
            throw FarmwatchException.usage("--out " + this.target
                    + " is the root of the file system; name a folder for the output");
        }
        this.staging = parent.resolve("." + this.target.getFileName() + ".partial-" + runId);
    }

    Path staging() {
        return staging;
    }

    @Override
    public String changeTiles() {
        return staging.resolve(".change-tiles").toString();
    }

    @Override
    public void gatherTiles() {
        // Executors wrote them in place: local mode, or a shared mount on a cluster.
    }

    @Override
    public String sideFolder() {
        return target.getParent().resolve(".farmwatch").toUri().toString().replaceAll("/$", "");
    }

    @Override
    public String uri() {
        return target.toUri().toString().replaceAll("/$", "");
    }

    /**
     * Refuses a target that is not a farmwatch output: a regular file, a non-empty folder that farmwatch
     * did not mark as its output, or a folder that holds or lies inside an input.
     */
    @Override
    public void refuseUnsafe(java.util.List<String> inputs) {
        if (Files.isRegularFile(target) || (Files.exists(target) && !Files.isDirectory(target))) {
            throw FarmwatchException.usage("--out " + target + " is a file, not an output folder");
        }
        if (Files.isDirectory(target)) {
            String foreign = foreignContent(target);
            if (foreign != null) {
                throw FarmwatchException.usage("--out " + target + " is a folder that holds something other than a"
                        + " farmwatch output (" + foreign + "); it would be replaced, so nothing was done: name a new or"
                        + " empty folder");
            }
        }
        for (String in : inputs) {
            if (in == null || in.startsWith("postgres") || org.farmwatch.util.HadoopFs.isUri(in)) {
                continue;
            }
            Path p = Path.of(in.contains("#") ? in.substring(0, in.lastIndexOf('#')) : in).toAbsolutePath().normalize();
            if (p.startsWith(target) || target.startsWith(p)) {
                throw FarmwatchException.usage("--out " + target + " would replace the input " + in);
            }
        }
    }

    /**
     * Why {@code dir} is not a farmwatch output that a run may replace, or null when it is one (or empty):
     * it holds the marker of an earlier run or (an output from before the marker) a run.json of farmwatch's
     * own, and nothing but the files farmwatch writes.
     */
    static String foreignContent(Path dir) {
        java.util.List<Path> entries;
        try (var s = Files.list(dir)) {
            entries = s.toList();
        } catch (IOException e) {
            return "it cannot be read: " + e.getMessage();
        }
        if (entries.isEmpty()) {
            return null;
        }
        Path marker = dir.resolve(MARKER);
        if (!Files.isRegularFile(marker, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path runJson = dir.resolve("run.json");
            if (!Files.isRegularFile(runJson, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return "no " + MARKER + " and no run.json";
            }
            try {
                if (Files.size(runJson) > (64L << 20)
                        || !(org.farmwatch.util.Json.parseObject(Files.readString(runJson)).get("run_id") instanceof String)) {
                    return "its run.json is not a farmwatch run.json";
                }
            } catch (IOException | RuntimeException e) {
                return "its run.json is not a farmwatch run.json";
            }
        }
        // Marked or not: a file someone added to an output since (notes, an analysis) is not farmwatch's to delete.
        for (Path e : entries) {
            String name = e.getFileName().toString();
            if (!OWN_NAMES.contains(name) || Files.isSymbolicLink(e)) {
                return "it holds " + name;
            }
        }
        Path inspector = dir.resolve("inspector");
        if (Files.exists(inspector, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(inspector, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return "it holds a file named inspector";
            }
            try (var s = Files.list(inspector)) {
                for (Path e : s.toList()) {
                    String name = e.getFileName().toString();
                    boolean own = OWN_INSPECTOR_FILES.contains(name)
                            || (name.equals("dossiers") && Files.isDirectory(e, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                                && onlyPdfs(e));
                    if (!own || Files.isSymbolicLink(e)) {
                        return "it holds inspector/" + name;
                    }
                }
            } catch (IOException e) {
                return "inspector/ cannot be read: " + e.getMessage();
            }
        }
        return null;
    }

    private static boolean onlyPdfs(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.allMatch(f -> f.getFileName().toString().endsWith(".pdf")
                    && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        }
    }

    @Override
    public Path open() {
        try {
            Path missing = null;
            for (Path p = target.getParent(); p != null && !Files.exists(p); p = p.getParent()) {
                missing = p;
            }
            createdParent = missing;
            Files.createDirectories(target.getParent());
            deleteTree(staging);
            Files.createDirectories(staging);
            // Marks the output as farmwatch's: a later run may replace a folder holding it, and no other.
            Files.writeString(staging.resolve(MARKER), runId + "\n", java.nio.charset.StandardCharsets.UTF_8);
            registerCleanupOnSignal();
        } catch (IOException e) {
            abandon();
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                    "cannot create output folder next to " + target + ": " + e.getMessage(), e);
        }
        return staging;
    }

    /**
     * Removes the staging folder when the JVM shuts down on a signal (SIGTERM, SIGINT, SIGHUP) before the run
     * committed or abandoned it: the main thread's cleanup does not run then when it is busy outside Spark
     * (publishing), since the JVM halts once its shutdown hooks are done.
     */
    private void registerCleanupOnSignal() {
        Thread t = new Thread(() -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                // The run may still be writing into it meanwhile: try again until it is gone.
                for (int attempt = 0; attempt < 5 && Files.exists(staging); attempt++) {
                    try {
                        deleteTree(staging);
                    } catch (IOException | RuntimeException e) {
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            }
        }, "farmwatch-output-cleanup");
        synchronized (this) {
            closed = false;
            cleanupOnSignal = t;
        }
        Runtime.getRuntime().addShutdownHook(t);
    }

    private void unregisterCleanupOnSignal() {
        Thread t;
        synchronized (this) {
            t = cleanupOnSignal;
            cleanupOnSignal = null;
        }
        if (t != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(t);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs (or ran) anyway; it finds the output closed.
            }
        }
    }

    /** Replaces the target with the staging folder: two renames on the same file system. */
    @Override
    public void commit() {
        synchronized (this) {
            if (closed) {
                throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "the run was stopped before its output "
                        + target + " was moved into place");
            }
            commitNow();
            closed = true;
        }
        unregisterCleanupOnSignal();
    }

    private void commitNow() {
        Path old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
        try {
            boolean had = Files.exists(target);
            if (had) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (had) {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                }
                throw e;
            }
            createdParent = null;
            if (had) {
                deleteTree(old);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "output folder " + target
                    + " must be on a file system that supports atomic renames", e);
        } catch (IOException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot move the finished output into "
                    + target + ": " + e.getMessage(), e);
        }
    }

    /** Removes the staging folder and, after a failure, the parent folders this run created (if still empty). */
    @Override
    public void abandon() {
        synchronized (this) {
            closed = true;
        }
        unregisterCleanupOnSignal();
        try {
            deleteTree(staging);
        } catch (IOException ignored) {
            // Best effort: a leftover hidden .partial folder harms nothing and the next run clears it.
        }
        if (createdParent != null) {
            // The side folder (event log, tile store) this run made inside the folders it created goes too,
            // unless it holds finished tiles: those are the checkpoints a re-run resumes from.
            Path side = target.getParent() == null ? null : target.getParent().resolve(".farmwatch");
            if (side != null && side.startsWith(createdParent) && Files.isDirectory(side) && !holdsTiles(side)) {
                try {
                    deleteTree(side);
                } catch (IOException ignored) {
                    // Best effort: the parent folders then stay, which is only untidy.
                }
            }
            for (Path p = target.getParent(); p != null && p.startsWith(createdParent); p = p.getParent()) {
                try {
                    Files.deleteIfExists(p); // refuses a folder that something else has filled meanwhile
                } catch (IOException e) {
                    break;
                }
            }
            createdParent = null;
        }
    }

    private static boolean holdsTiles(Path dir) {
        try (var files = Files.walk(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".tile"));
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * A write that failed while the output's file system has less than this left is reported as a full disk:
     * GDAL and SQLite often say only "General Error" or hand back a null dataset when a write runs out of space.
     */
    static final long LOW_SPACE_BYTES = 1L << 20;

    /**
     * The failure of a run that wrote into this folder, restated as "no space left on device" (exit 1) when the
     * error says so or the output's file system is (nearly) full; else the failure as it was. Call it before
     * {@link #abandon}, which frees the space the staging folder holds.
     */
    @Override
    public RuntimeException explain(Throwable failure) {
        FarmwatchException fe = FarmwatchException.find(failure);
        if (fe != null && fe.kind() != FarmwatchException.Kind.INTERNAL) {
            // Bad input or a lost service stays what it is, whatever the disk holds.
            return failure instanceof RuntimeException r ? r : fe;
        }
        boolean said = false;
        for (Throwable t = failure; t != null && !said; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            said = m.contains("no space left") || m.contains("disk is full") || m.contains("disk full");
        }
        long free = -1;
        String store = target.getParent().toString();
        try {
            java.nio.file.FileStore fs = Files.getFileStore(Files.exists(staging) ? staging : target.getParent());
            free = fs.getUsableSpace();
        } catch (IOException | RuntimeException ignored) {
            // The free space is only evidence; without it the error text decides.
        }
        if (said || (free >= 0 && free < LOW_SPACE_BYTES)) {
            String first = String.valueOf(failure.getMessage()).split("\n", 2)[0];
            return new FarmwatchException(FarmwatchException.Kind.INTERNAL, "no space left on device for --out "
                    + target + (free >= 0 ? " (" + free / 1024 + " KB free in " + store + ")" : "")
                    + "; nothing was written there (" + first + ")", failure);
        }
        return failure instanceof RuntimeException r ? r
                : new FarmwatchException(FarmwatchException.Kind.INTERNAL, String.valueOf(failure.getMessage()), failure);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
