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

    OutputDir(Path target, String runId) {
        this.target = target.toAbsolutePath().normalize();
        Path parent = this.target.getParent();
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
     * Refuses a target that is not a farmwatch output: a regular file, a non-empty folder without a
     * run.json, or a folder that holds or lies inside an input.
     */
    @Override
    public void refuseUnsafe(java.util.List<String> inputs) {
        if (Files.isRegularFile(target)) {
            throw FarmwatchException.usage("--out " + target + " is a file, not an output folder");
        }
        if (Files.isDirectory(target) && !Files.exists(target.resolve("run.json"))) {
            try (var s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw FarmwatchException.usage("--out " + target
                            + " is a folder that holds something other than a farmwatch output; it would be replaced");
                }
            } catch (IOException e) {
                throw FarmwatchException.usage("--out " + target + " cannot be read: " + e.getMessage());
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
        } catch (IOException e) {
            abandon();
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                    "cannot create output folder next to " + target + ": " + e.getMessage(), e);
        }
        return staging;
    }

    /** Replaces the target with the staging folder: two renames on the same file system. */
    @Override
    public void commit() {
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
