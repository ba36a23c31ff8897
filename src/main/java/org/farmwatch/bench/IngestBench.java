package org.farmwatch.bench;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.config.Settings;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.SceneReader;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.spark.WorkingGrid;
import org.farmwatch.util.Gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * The ingest-only benchmark (jobs/bench --workload ingest): one scene onto the grid a run would choose
 * for it, every tile it touches read on the executors by the run's own {@link SceneReader}, and
 * nothing else. The tile rasters are discarded after a checksum (cell counts and per-band sums), so
 * that the figure is the reading and warping alone. The driver sees only per-partition sums.
 */
public final class IngestBench {
    private IngestBench() {}

    /** What one partition, or the whole job, read: tiles, grid cells, clear cells and per-band sums of clear cells. */
    public record Sums(long tiles, long cells, long clearCells, double[] bandSums) implements Serializable {
        Sums plus(Sums o) {
            double[] s = bandSums.clone();
            for (int i = 0; i < s.length; i++) {
                s[i] += o.bandSums[i];
            }
            return new Sums(tiles + o.tiles, cells + o.cells, clearCells + o.clearCells, s);
        }
    }

    /**
     * Reads {@code scene} onto the grid that {@code s} chooses for it with a halo of {@code haloCells}
     * (0: exactly the tile rasters). Returns the grid, the tile-aligned extent read, the counts and the
     * seconds the Spark job took.
     */
    public static Map<String, Object> run(SparkSession spark, Scene scene, Settings s, int haloCells) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        GridLayout layout = WorkingGrid.choose(s.grid(), scene, scene);
        Envelope foot = SceneCatalog.footprint(scene, layout.crs());
        List<TileKey> keys = layout.keysCovering(foot);
        Envelope extent = new Envelope();
        keys.forEach(k -> extent.expandToInclude(layout.extentOf(k)));
        double cloudBuffer = s.ingest().cloudBufferMetres();
        long t0 = System.nanoTime();
        // As the detect step: contiguous runs of the row-major key list, two slices per core.
        int parallelism = Math.max(1, Math.min(keys.size(), jsc.defaultParallelism() * 2));
        JavaRDD<TileKey> tiles = jsc.parallelize(keys, parallelism);
        // CPU time of the whole process over the job (the machine may be shared, so wall time alone misleads):
        // GDAL's warp threads and the JVM's GC and compiler included. Meaningful on local masters only.
        long cpu0 = processCpuNanos();
        Sums sums = tiles.mapPartitions(it -> read(it, scene, layout, haloCells, cloudBuffer)).reduce(Sums::plus);
        long cpuNanos = processCpuNanos() - cpu0;
        double seconds = (System.nanoTime() - t0) / 1e9;

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("grid_crs", layout.crs());
        m.put("cell_size_m", layout.cellSizeMetres());
        m.put("tile_size", layout.tileSize());
        m.put("halo_cells", haloCells);
        m.put("extent", List.of(extent.getMinX(), extent.getMinY(), extent.getMaxX(), extent.getMaxY()));
        m.put("tiles", sums.tiles());
        m.put("cells", sums.cells());
        m.put("clear_cells", sums.clearCells());
        List<Double> means = new ArrayList<>();
        for (double v : sums.bandSums()) {
            means.add(sums.clearCells() == 0 ? Double.NaN : v / sums.clearCells());
        }
        m.put("band_means", means);
        m.put("ingest_s", seconds);
        m.put("ingest_cpu_s", cpuNanos < 0 ? Double.NaN : cpuNanos / 1e9);
        return m;
    }

    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    private static Iterator<Sums> read(Iterator<TileKey> keys, Scene scene, GridLayout layout, int halo, double cloudBuffer) {
        Gdal.init();
        Sums sums = new Sums(0, 0, 0, new double[Band.values().length]);
        try (SceneReader reader = new SceneReader(layout, halo, cloudBuffer)) {
            while (keys.hasNext()) {
                TileBands t = reader.read(scene, keys.next());
                // The checksum: clear cells (NaN in every band where in any) and per-band sums over them.
                double[] bandSums = new double[t.bands.length];
                long clear = 0;
                float[] first = t.bands[0];
                for (int i = 0; i < first.length; i++) {
                    if (!Float.isNaN(first[i])) {
                        clear++;
                        for (int b = 0; b < bandSums.length; b++) {
                            bandSums[b] += t.bands[b][i];
                        }
                    }
                }
                sums = sums.plus(new Sums(1, (long) t.width * t.height, clear, bandSums));
            }
        }
        return List.of(sums).iterator();
    }
}
