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
final class OutputDir {
    private final Path target;
    private final Path staging;

    OutputDir(Path target, String runId) {
        this.target = target.toAbsolutePath().normalize();
        Path parent = this.target.getParent();
        this.staging = parent.resolve("." + this.target.getFileName() + ".partial-" + runId);
    }

    Path staging() {
        return staging;
    }

    /**
     * Refuses a target that is not a farmwatch output: a regular file, a non-empty folder without a
     * run.json, or a folder that holds or lies inside an input.
     */
    void refuseUnsafe(java.util.List<String> inputs) {
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
            if (in == null || in.startsWith("postgres")) {
                continue;
            }
            Path p = Path.of(in.contains("#") ? in.substring(0, in.lastIndexOf('#')) : in).toAbsolutePath().normalize();
            if (p.startsWith(target) || target.startsWith(p)) {
                throw FarmwatchException.usage("--out " + target + " would replace the input " + in);
            }
        }
    }

    Path open() {
        try {
            Files.createDirectories(target.getParent());
            deleteTree(staging);
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                    "cannot create output folder next to " + target + ": " + e.getMessage(), e);
        }
        return staging;
    }

    /** Replaces the target with the staging folder: two renames on the same file system. */
    void commit() {
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

    void abandon() {
        try {
            deleteTree(staging);
        } catch (IOException ignored) {
            // Best effort: a leftover hidden .partial folder harms nothing and the next run clears it.
        }
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
