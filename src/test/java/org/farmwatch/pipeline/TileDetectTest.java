package org.farmwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.config.Settings;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.spark.StageOptions;
import org.farmwatch.util.Gdal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;

/** The detect step's core on the sample scenes, without Spark: rasters to memory, tiles to a tile store. */
class TileDetectTest {

    @TempDir
    Path tmp;

    @Test
    void aTileTakenFromTheStoreGivesTheResultAndRastersItWasComputedWith() {
        Gdal.init();
        Period before = new Period("before", List.of(SceneCatalog.open("sample-tiles/scenes/20250415")));
        Period after = new Period("after", List.of(SceneCatalog.open("sample-tiles/scenes/20250920")));
        GridLayout layout = new GridLayout("EPSG:4527", 0, 10_000_000, 10, 512);
        DetectOptions options = StageOptions.detect(Settings.defaults());
        Envelope area = SceneCatalog.footprint(before.latest(), layout.crs())
                .intersection(SceneCatalog.footprint(after.latest(), layout.crs()));
        List<TileKey> keys = layout.keysCovering(area);
        TileStore store = TileStore.open(tmp.resolve("store").toUri().toString(),
                new org.apache.hadoop.conf.Configuration(), layout, before, after, options);

        MemorySink computedSink = new MemorySink(layout, options.haloCells());
        List<TileResult> computed = new ArrayList<>();
        TileDetect.Counts first;
        try (TileDetect core = new TileDetect(options, layout, before, after, computedSink, store)) {
            keys.forEach(k -> computed.add(core.detect(k)));
            first = core.counts();
        }
        assertEquals(keys.size(), first.tilesComputed());
        assertEquals(keys, computedSink.finished);
        assertTrue(first.clearCells() > 0 && first.changedCells() > 0 && first.bytesRead() > 0, first.toString());
        assertEquals(computed.stream().mapToLong(TileResult::changedCells).sum(), computedSink.changedCells);
        assertTrue(computed.stream().mapToInt(r -> r.fragments().size()).sum() > 0, "some change in the sample");

        MemorySink storedSink = new MemorySink(layout, options.haloCells());
        List<TileResult> stored = new ArrayList<>();
        TileDetect.Counts again;
        try (TileDetect core = new TileDetect(options, layout, before, after, storedSink, store)) {
            keys.forEach(k -> stored.add(core.detect(k)));
            again = core.counts();
        }
        assertEquals(new TileDetect.Counts(first.clearCells(), first.changedCells(), keys.size(), 0, 0, 0, 0, 0), again);
        for (int i = 0; i < keys.size(); i++) {
            TileResult a = computed.get(i);
            TileResult b = stored.get(i);
            assertEquals(a.clearCells(), b.clearCells());
            assertEquals(a.changedCells(), b.changedCells());
            assertEquals(a.fragments().size(), b.fragments().size());
            for (int f = 0; f < a.fragments().size(); f++) {
                PatchFragment x = a.fragments().get(f);
                PatchFragment y = b.fragments().get(f);
                assertEquals(x.fragmentId(), y.fragmentId());
                assertEquals(x.cells(), y.cells());
                assertTrue(x.geometry().equalsExact(y.geometry()), x.fragmentId());
            }
        }
        assertEquals(computedSink.files.keySet(), storedSink.files.keySet());
        computedSink.files.forEach((name, bytes) -> assertArrayEquals(bytes, storedSink.files.get(name), name));
        assertEquals(keys, storedSink.finished);
    }

    /** Rasters as arrays: the change raster is the core's codes, a true-colour raster the core's red band. */
    private static final class MemorySink implements TileSink {
        final Map<String, byte[]> files = new HashMap<>();
        final List<TileKey> finished = new ArrayList<>();
        final int size;
        final int halo;
        long changedCells;

        MemorySink(GridLayout layout, int halo) {
            this.size = layout.tileSize();
            this.halo = halo;
        }

        @Override
        public long writeChange(TileKey key, ChangeCells cells) {
            byte[] core = new byte[size * size];
            long n = 0;
            for (int r = 0; r < size; r++) {
                for (int c = 0; c < size; c++) {
                    core[r * size + c] = cells.code()[(r + halo) * cells.window() + c + halo];
                    n += core[r * size + c] != 0 ? 1 : 0;
                }
            }
            files.put(Raster.CHANGE + " " + key, core);
            changedCells += n;
            return n;
        }

        @Override
        public void writeTrueColour(Raster raster, TileKey key, TileBands composite) {
            ByteBuffer b = ByteBuffer.allocate(size * size * 4);
            float[] red = composite.band(Band.RED);
            for (int r = 0; r < size; r++) {
                for (int c = 0; c < size; c++) {
                    b.putFloat(red[(r + halo) * composite.width + c + halo]);
                }
            }
            files.put(raster + " " + key, b.array());
        }

        @Override
        public byte[] read(Raster raster, TileKey key) {
            return files.get(raster + " " + key);
        }

        @Override
        public void write(Raster raster, TileKey key, byte[] bytes) {
            files.put(raster + " " + key, bytes);
        }

        @Override
        public void finished(TileKey key) {
            finished.add(key);
        }
    }
}
