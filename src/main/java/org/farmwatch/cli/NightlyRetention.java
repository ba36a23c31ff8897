package org.farmwatch.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code nightly.keepOutputs = N}: after a successful nightly run, the region's output folders under {@code
 * nightly.out} beyond the newest N are removed; the PostGIS one map stays the record of every run. Only folders
 * named as nightly names its runs, {@code nightly-REGION-YYYYMMDD} with a {@code run.json}, are touched: other
 * regions, staging folders and anything else in {@code nightly.out} stay.
 */
final class NightlyRetention {
    private NightlyRetention() {}

    /** Removes all but the newest {@code keep} run folders of {@code region} in {@code out}; returns those removed, oldest first. */
    static List<Path> prune(Path out, String region, int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1, got: " + keep);
        }
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        Pattern name = Pattern.compile(Pattern.quote("nightly-" + region + "-") + "\\d{8}");
        List<Path> runs = new ArrayList<>();
        try (var s = Files.list(out)) {
            s.filter(p -> name.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isDirectory(p) && Files.isRegularFile(p.resolve("run.json")))
                    .forEach(runs::add);
        }
        runs.sort(null); // the date in the name orders them
        List<Path> gone = runs.subList(0, Math.max(0, runs.size() - keep));
        for (Path p : gone) {
            OutputDir.deleteTree(p);
        }
        return List.copyOf(gone);
    }
}
