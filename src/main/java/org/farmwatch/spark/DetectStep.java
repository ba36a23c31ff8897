package org.farmwatch.spark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.config.Settings;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.pipeline.DetectOptions;
import org.farmwatch.pipeline.TileDetect;
import org.farmwatch.pipeline.TileSink;
import org.farmwatch.pipeline.TileStore;
import org.farmwatch.publish.RasterTileFiles;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.HadoopFs;

/**
 * Step 1 of the job on Spark: the tiles in strips over the tasks, each task running {@link TileDetect} over its
 * tiles with the tile store and the output's change-tile folder; the tasks' counts summed in accumulators.
 */
final class DetectStep {
    private DetectStep() {}

    /**
     * Tiles per strip in the detect order ({@link GridLayout#inStrips}): 8 tiles of 512 cells with their halo
     * span 18 blocks of 256, which for 14 band files of UInt16 need 2 x 18 x 14 x 128 KB = 64 MB of block
     * cache per task, within the 256 MB {@code Gdal.init} gives the process.
     */
    static final int STRIP_TILES = 8;

    /**
     * The change fragments of every tile of {@code keys}, computed (or taken from the tile store at
     * {@code storeUri}, null: none) and kept; each tile's rasters written to {@code changeTileDir} (a local path
     * or a Hadoop URI, see {@link TileOutbox}). Adds the step's counts and says what the store did.
     *
     * @throws FarmwatchException when the current period has no clear cell over the tiles
     */
    static JavaRDD<PatchFragment> run(JavaSparkContext jsc, Broadcast<FarmwatchJob.Inputs> bin, GridLayout layout,
                                      List<TileKey> keys, String changeTileDir, String storeUri,
                                      Map<String, Long> counts, PrintStream log) {
        FarmwatchJob.Inputs in = bin.value();
        Settings s = in.settings();
        // Four tasks per core: tiles differ in work (clouds, scene edges), and with two per core the last
        // task ran alone for a third of the step on a Sentinel-2 tile.
        int parallelism = Math.max(1, Math.min(keys.size(), jsc.defaultParallelism() * 4));
        // parallelize() slices the key list into contiguous runs: neighbouring tiles stay together, in strips
        // narrow enough that a task's GDAL block cache holds the blocks shared with the tile row above.
        JavaRDD<TileKey> tiles = jsc.parallelize(GridLayout.inStrips(keys, STRIP_TILES), parallelism);
        DetectOptions options = StageOptions.detect(s);
        // Scenes on a Hadoop file system are fetched with Spark's Hadoop configuration (spark.hadoop.* keys).
        HadoopFs.use(jsc.hadoopConfiguration());
        HadoopFs.Conf hadoop = new HadoopFs.Conf(jsc.hadoopConfiguration());
        TileOutbox tileDir = TileOutbox.at(changeTileDir, jsc.hadoopConfiguration());
        TileStore opened = storeUri == null ? null : TileStore.open(storeUri, jsc.hadoopConfiguration(), layout,
                in.before(), in.after(), options);
        TileStore store = opened != null && s.storeScenes() ? opened.withScenes(in.before(), in.after(), options)
                : opened;
        Counters dc = new Counters(jsc);
        JavaRDD<PatchFragment> fragments = tiles.mapPartitions(it -> task(it, bin.value(), options, layout, tileDir,
                hadoop, store, dc)).persist(StorageLevel.MEMORY_AND_DISK());
        long fragmentCount = fragments.count();
        if (dc.clear().value() == 0) {
            // All masked: "no change" would read like a clear scene with nothing found.
            throw FarmwatchException.input("--after scenes " + in.after().sceneIds()
                    + " have no clear observation over the farmland (all cells cloud-masked or outside the scenes)");
        }
        counts.put("fragments", fragmentCount);
        counts.put("clear_cells", dc.clear().value());
        counts.put("changed_cells", dc.changed().value());
        dc.report(counts, store, log);
        // For the bench's classify + detect figure: grid cells (tile cores) over summed task CPU time.
        counts.put("classify_detect_cells", (long) keys.size() * layout.tileSize() * layout.tileSize());
        counts.put("classify_detect_cpu_ms", dc.classifyDetectNanos().value() / 1_000_000);
        return fragments;
    }

    /** The detect step's accumulators: what {@link TileDetect.Counts} says per task, summed over the tasks. */
    record Counters(LongAccumulator clear, LongAccumulator changed, LongAccumulator reused,
                          LongAccumulator computed, LongAccumulator bytesRead, LongAccumulator scenesReused,
                          LongAccumulator scenesRead, LongAccumulator classifyDetectNanos)
            implements java.io.Serializable {
        Counters(JavaSparkContext jsc) {
            this(jsc.sc().longAccumulator("clear_cells"), jsc.sc().longAccumulator("changed_cells"),
                    jsc.sc().longAccumulator("tiles_reused"), jsc.sc().longAccumulator("tiles_computed"),
                    jsc.sc().longAccumulator("bytes_read"), jsc.sc().longAccumulator("scene_windows_reused"),
                    jsc.sc().longAccumulator("scene_windows_read"), jsc.sc().longAccumulator("classify_detect_cpu_ns"));
        }

        void add(TileDetect.Counts c) {
            clear.add(c.clearCells());
            changed.add(c.changedCells());
            reused.add(c.tilesReused());
            computed.add(c.tilesComputed());
            bytesRead.add(c.bytesRead());
            scenesReused.add(c.sceneWindowsReused());
            scenesRead.add(c.sceneWindowsRead());
            classifyDetectNanos.add(c.classifyDetectCpuNanos());
        }

        void report(Map<String, Long> counts, TileStore store, PrintStream log) {
            counts.put("tiles_reused", reused.value());
            counts.put("tiles_computed", computed.value());
            counts.put("bytes_read", bytesRead.value());
            log.printf("[farmwatch] tile store %s: %d tiles reused, %d computed, %.1f MB of raster data read%n",
                    store == null ? "off" : store.describe(), reused.value(), computed.value(), bytesRead.value() / 1e6);
            if (store != null && store.keepsScenes()) {
                counts.put("scene_windows_reused", scenesReused.value());
                counts.put("scene_windows_read", scenesRead.value());
                log.printf("[farmwatch] tile store: %d scene windows reused, %d read from the scenes%n",
                        scenesReused.value(), scenesRead.value());
            }
        }
    }

    /**
     * A task of the detect step: the tiles of {@code keys} through {@link TileDetect}, their rasters to the
     * change-tile folder (through {@code outbox}), the task's counts to the accumulators.
     */
    private static Iterator<PatchFragment> task(Iterator<TileKey> keys, FarmwatchJob.Inputs in, DetectOptions options,
                                               GridLayout layout, TileOutbox outbox, HadoopFs.Conf hadoop,
                                               TileStore store, Counters dc) {
        Gdal.init();
        HadoopFs.use(hadoop.get());
        List<PatchFragment> out = new ArrayList<>();
        TileSink sink = new RasterTileFiles(outbox.changeTiles(), layout, options, in.before(), in.after(), outbox::send);
        try (TileDetect core = new TileDetect(options, layout, in.before(), in.after(), sink, store)) {
            while (keys.hasNext()) {
                out.addAll(core.detect(keys.next()).fragments());
            }
            dc.add(core.counts());
        } finally {
            outbox.close();
        }
        return out.iterator();
    }
}
