package org.farmwatch.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Json;

/**
 * Finds the scenes in a catalogue folder: STAC items, static STAC catalogues and collections
 * (followed through their {@code item} and {@code child} links, which must stay inside the folder),
 * Sentinel-2 band folders and Landsat Collection 2 Level-2 folders. Reads metadata only.
 */
public final class Catalogue {
    private Catalogue() {}

    /** A date window, both ends inclusive, written {@code 2025-03-01/2025-05-31}. */
    public record Window(LocalDate start, LocalDate end) {
        public Window {
            if (end.isBefore(start)) {
                throw FarmwatchException.usage("period " + start + "/" + end + " ends before it starts");
            }
        }

        public static Window parse(String option, String text) {
            String[] p = text == null ? new String[0] : text.split("/");
            try {
                if (p.length == 2) {
                    return new Window(LocalDate.parse(p[0].trim()), LocalDate.parse(p[1].trim()));
                }
            } catch (DateTimeParseException e) {
                // reported below
            }
            throw FarmwatchException.usage(option + " must be START/END dates such as 2025-03-01/2025-05-31, got: " + text);
        }

        public boolean contains(LocalDate d) {
            return !d.isBefore(start) && !d.isAfter(end);
        }
    }

    /**
     * As {@link #scan(Path)} for a local folder or a Hadoop URI ({@code hdfs://}, {@code s3a://}); on a
     * Hadoop file system only band folders are found (STAC items must be local).
     */
    public static List<String> scan(String root) {
        return org.farmwatch.util.HadoopFs.isUri(root) ? HadoopScenes.scan(root) : scan(Path.of(root));
    }

    /** A Sentinel-2 (B02, B03, B04, B08) or Landsat surface-reflectance band file, by its name. */
    static boolean isBandFile(String name) {
        String n = name.toUpperCase();
        return n.matches(".*_B0[2348](_\\d+M)?\\.(TIF|TIFF|JP2)$") || n.matches(".*_SR_B\\d\\.TIF$");
    }

    /** Every scene argument (item file or band folder) under {@code root}, in a stable order. */
    public static List<String> scan(Path root) {
        if (!Files.isDirectory(root)) {
            throw FarmwatchException.input("catalogue folder not found: " + root);
        }
        Set<String> out = new LinkedHashSet<>();
        walk(root.toAbsolutePath().normalize(), root.toAbsolutePath().normalize(), 0, out);
        return new ArrayList<>(out);
    }

    private static void walk(Path root, Path dir, int depth, Set<String> out) {
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.sorted().toList();
        } catch (IOException e) {
            throw FarmwatchException.input("cannot list " + dir + ": " + e.getMessage(), e);
        }
        boolean bandFolder = entries.stream().anyMatch(p -> isBandFile(p.getFileName().toString()));
        if (bandFolder) {
            out.add(dir.toString());
            return;
        }
        for (Path p : entries) {
            if (Files.isDirectory(p) && depth < 4) {
                walk(root, p, depth + 1, out);
            } else if (p.toString().endsWith(".json")) {
                json(root, p, out, 0);
            }
        }
    }

    /** True when {@code file}, symbolic links followed, lies in {@code root} (itself resolved the same way). */
    static boolean reallyInside(Path file, Path root) {
        try {
            return file.toRealPath().startsWith(root.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static void json(Path root, Path file, Set<String> out, int depth) {
        Map<String, Object> obj;
        try {
            obj = Json.parseObject(Files.readString(file));
        } catch (IOException | IllegalArgumentException e) {
            return; // not JSON we know: the run lists only scenes
        }
        Object type = obj.get("type");
        if ("Feature".equals(type)) {
            out.add(file.toString());
        } else if (("Catalog".equals(type) || "Collection".equals(type)) && depth < 8) {
            List<Object> links = Json.array(obj.get("links"));
            if (links == null) {
                return;
            }
            for (Object l : links) {
                Map<String, Object> link = Json.object(l);
                if (link == null || !(link.get("href") instanceof String href)) {
                    continue;
                }
                Object rel = link.get("rel");
                if (!"item".equals(rel) && !"child".equals(rel)) {
                    continue;
                }
                Path target = file.getParent().resolve(href).normalize();
                if (!target.startsWith(root) || href.contains("://")) {
                    continue; // links that leave the catalogue are not followed
                }
                if (Files.isRegularFile(target) && reallyInside(target, root)) {
                    json(root, target, out, depth + 1);
                }
            }
        }
    }
}
