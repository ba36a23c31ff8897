package org.farmwatch.spark;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.farmwatch.change.RadiometricFit;
import org.farmwatch.config.Settings;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.pipeline.ChangeCells;
import org.farmwatch.pipeline.DetectOptions;
import org.farmwatch.pipeline.TileDetect;
import org.farmwatch.pipeline.TileSink;
import org.farmwatch.util.Gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * Not a test: a repeatable measure of classification plus change detection alone, the work the bench's
 * {@code classify_detect_mpx_s_per_core} times, on one thread over tiles held in memory (no reading, no
 * Spark), so that two builds compare with little noise. Reads a bench workload ({@code out/bench/data/N},
 * two periods of one scene each), composites {@code tiles} tiles spread over it once, then classifies and
 * detects them {@code rounds} times through the detect step's own core ({@link TileDetect#classify},
 * {@link TileDetect#compare}), printing per round the tile-core cells per thread CPU second, and
 * at the end the median, the bytes the thread allocated per tile and a digest of every class, code and
 * confidence written (equal digests: equal results). Run with jobs/lib/bench-classify-detect.sh.
 */
public final class ClassifyDetectHarness {

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ClassifyDetectHarness WORKLOAD_DIR [TILES=16] [ROUNDS=15]");
            System.exit(2);
        }
        Path data = Path.of(args[0]);
        int tiles = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        Gdal.init();
        Settings s = Settings.defaults();
        Period before = new Period("before", List.of(open(data.resolve("scenes/20250415"), s)));
        Period after = new Period("after", List.of(open(data.resolve("scenes/20250920"), s)));
        GridLayout layout = WorkingGrid.choose(s.grid(), before.latest(), after.latest());
        Envelope area = FarmwatchJob.footprint(before, layout.crs()).intersection(FarmwatchJob.footprint(after,
                layout.crs()));
        List<TileKey> all = layout.keysCovering(area);
        List<TileKey> keys = new ArrayList<>();
        for (int k = 0; k < Math.min(tiles, all.size()); k++) {
            keys.add(all.get((int) ((long) k * all.size() / Math.min(tiles, all.size()))));
        }
        DetectOptions options = StageOptions.detect(s);
        // The detect step's own core, composites held in memory: no sink, no store, no reading while timed.
        try (TileDetect core = new TileDetect(options, layout, before, after, NO_RASTERS, null)) {
            run(data, core, options, layout, keys, rounds);
        }
    }

    private static void run(Path data, TileDetect core, DetectOptions options, GridLayout layout, List<TileKey> keys,
                            int rounds) {
        int win = core.windowSize();
        // Each pair's valid counts go to a throwaway: the digest covers classes, codes and confidences.
        List<TileDetect.Composites> pairs = new ArrayList<>();
        for (TileKey key : keys) {
            pairs.add(core.composites(key, ChangeCells.ofWindow(win)));
        }
        ChangeCells cells = ChangeCells.ofWindow(win);
        com.sun.management.ThreadMXBean cpu = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long coreCells = (long) keys.size() * layout.tileSize() * layout.tileSize();
        System.out.printf("%s: %d tiles of %d x %d cells (%d with the halo), %d rounds%n", data, keys.size(),
                layout.tileSize(), layout.tileSize(), win, rounds);
        double[] rates = new double[rounds];
        long[] classifyNs = new long[rounds];
        long[] detectNs = new long[rounds];
        long[] fitNs = new long[rounds];
        RadiometricFit alone = new RadiometricFit(Band.values().length);
        long allocated = 0;
        long digest = 0;
        long changed = 0;
        for (int r = 0; r < rounds; r++) {
            long total = 0;
            long alloc0 = cpu.getCurrentThreadAllocatedBytes();
            long d = 17;
            long ch = 0;
            for (TileDetect.Composites p : pairs) {
                long t0 = cpu.getCurrentThreadCpuTime();
                core.classify(p.before(), p.after(), cells);
                long t1 = cpu.getCurrentThreadCpuTime();
                core.compare(p.before(), p.after(), cells);
                long t2 = cpu.getCurrentThreadCpuTime();
                classifyNs[r] += t1 - t0;
                detectNs[r] += t2 - t1;
                total += t2 - t0;
                // The fit once more on its own, outside the rate: how much of detect it is.
                alone.fit(p.before(), p.after(), options.changeThreshold());
                fitNs[r] += cpu.getCurrentThreadCpuTime() - t2;
                d = d * 31 + Arrays.hashCode(cells.beforeClass());
                d = d * 31 + Arrays.hashCode(cells.afterClass());
                d = d * 31 + Arrays.hashCode(cells.code());
                d = d * 31 + Arrays.hashCode(cells.confidence());
                for (byte c : cells.code()) {
                    ch += c != 0 ? 1 : 0;
                }
            }
            allocated = cpu.getCurrentThreadAllocatedBytes() - alloc0;
            digest = d;
            changed = ch;
            rates[r] = coreCells / 1e6 / (total / 1e9);
            System.out.printf("round %2d: %6.1f Mpx/s per core (classify %.0f ms, detect %.0f ms of which the fit"
                    + " %.0f ms)%n", r + 1, rates[r], classifyNs[r] / 1e6, detectNs[r] / 1e6, fitNs[r] / 1e6);
        }
        // The first rounds run before the JIT has compiled the loops: the median of the later half.
        double[] late = Arrays.copyOfRange(rates, rounds / 2, rounds);
        Arrays.sort(late);
        System.out.printf("median of rounds %d..%d: %.1f Mpx/s per core; %d changed cells; %d bytes allocated per tile"
                + " (outside the digest); digest %016x%n", rounds / 2 + 1, rounds, late[late.length / 2], changed,
                allocated / keys.size(), digest);
    }

    /** The harness writes no rasters. */
    private static final TileSink NO_RASTERS = new TileSink() {
        @Override
        public long writeChange(TileKey key, ChangeCells cells) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void writeTrueColour(Raster raster, TileKey key, TileBands composite) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] read(Raster raster, TileKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void write(Raster raster, TileKey key, byte[] bytes) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void finished(TileKey key) {
            throw new UnsupportedOperationException();
        }
    };

    private static Scene open(Path dir, Settings s) {
        return SceneCatalog.open(dir.toString()).withDarkObject(s.ingest().darkObject());
    }
}
