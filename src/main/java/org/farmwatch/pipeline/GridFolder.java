package org.farmwatch.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Json;

/**
 * A grid's folder in the tile store: its name, from everything that defines the grid, and its {@code grid.json},
 * which describes the grid once for people and other tools and is checked against each run's grid.
 */
final class GridFolder {
    private GridFolder() {}

    /** The folder of a grid's entries, named after everything that defines the grid. */
    static String name(GridLayout g) {
        return g.crs().replace(':', '-') + "_" + number(g.cellSizeMetres()) + "m_" + g.tileSize() + "px_"
                + number(g.originX()) + "_" + number(g.originY());
    }

    private static String number(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** The grid's metadata as written to {@code grid.json}. */
    static Map<String, Object> metadata(GridLayout g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("crs", g.crs());
        String wkt = null;
        try {
            wkt = SceneCatalog.srs(g.crs()).ExportToWkt();
        } catch (RuntimeException e) {
            // The code is the grid's identity; the WKT is for readers without an EPSG database.
        }
        m.put("crs_wkt", wkt);
        m.put("origin_x", g.originX());
        m.put("origin_y", g.originY());
        m.put("cell_size_m", g.cellSizeMetres());
        m.put("tile_size", g.tileSize());
        m.put("tile_span_m", g.tileSpan());
        m.put("tile_key", "col = floor((x - origin_x) / tile_span_m), row = floor((origin_y - y) / tile_span_m); "
                + "tile (0, 0) has its top-left corner at the origin");
        m.put("entries", "v" + TileStore.FORMAT + "/<2 hex>/<sha256>.tile, one per tile and inputs (farmwatch TileStore)");
        return m;
    }

    /**
     * Writes {@code grid.json} when the grid's folder has none (to a temporary name, then renamed), and
     * checks the one there against this run's grid: a file that disagrees is a usage error naming it.
     * A store that cannot be written is reported and the run goes on, as for entries.
     */
    static void writeOrCheck(FileSystem fs, String root, GridLayout layout) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root + "/grid.json");
        String text;
        try {
            FileSystem f = fs;
            // Without Hadoop's .crc side file on local disks: grid.json is for people and other tools to read.
            if (f instanceof org.apache.hadoop.fs.ChecksumFileSystem c) {
                f = c.getRawFileSystem();
            }
            if (!f.exists(p)) {
                org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(root, ".grid.json.tmp-" + UUID.randomUUID());
                try {
                    try (FSDataOutputStream out = f.create(tmp, false)) {
                        out.write(Json.write(metadata(layout)).getBytes(StandardCharsets.UTF_8));
                    }
                    if (!f.rename(tmp, p)) {
                        // Another run wrote it first: it is checked below like any other.
                        f.delete(tmp, false);
                    }
                } finally {
                    if (f.exists(tmp)) {
                        f.delete(tmp, false);
                    }
                }
            }
            try (FSDataInputStream in = f.open(p)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException | RuntimeException | FSError ex) {
            System.err.printf("[farmwatch] tile store: cannot write or read %s (%s)%n", p, ex);
            return;
        }
        Map<String, Object> found;
        try {
            found = Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage("tile store " + p + " is not a grid description (" + e.getMessage()
                    + "); delete that folder");
        }
        Map<String, Object> want = metadata(layout);
        for (String k : List.of("crs", "origin_x", "origin_y", "cell_size_m", "tile_size")) {
            Object a = found.get(k);
            Object b = want.get(k);
            boolean same = a instanceof Number n && b instanceof Number m ? n.doubleValue() == m.doubleValue()
                    : a != null && a.toString().equalsIgnoreCase(b.toString());
            if (!same) {
                throw FarmwatchException.usage("tile store " + p + " describes another grid (" + k + " " + a
                        + ", this run's grid has " + b + "); delete that folder");
            }
        }
    }
}
