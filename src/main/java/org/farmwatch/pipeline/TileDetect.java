package org.farmwatch.pipeline;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.change.Persistence;
import org.farmwatch.change.RadiometricFit;
import org.farmwatch.change.TileVectorizer;
import org.farmwatch.classify.Classifier;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Compositor;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneReader;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.pipeline.TileSink.Raster;

/**
 * The detect step for one tile at a time, in plain Java: reads both periods' scenes over the tile window
 * (or takes their windows from the tile store), composites each period, classifies both composites, detects
 * change ({@link ChangeDetector}), keeps the changes that persist through the current period's observations
 * ({@link Persistence}), vectorizes the tile core into fragments ({@link TileVectorizer}) and writes the tile's
 * rasters to a {@link TileSink}. A tile found in the tile store is taken from it whole.
 *
 * <p>One instance per task and thread: it reuses its arrays and the tile's radiometric fit from tile to tile,
 * and holds a {@link SceneReader} (GDAL) until {@link #close}. {@link #counts} tells what it did.
 */
public final class TileDetect implements AutoCloseable {

    /** What an instance did so far: the figures the job sums over its tasks. */
    public record Counts(long clearCells, long changedCells, long tilesReused, long tilesComputed, long bytesRead,
                         long sceneWindowsReused, long sceneWindowsRead, long classifyDetectCpuNanos) {}

    /** A tile window's composites: both periods', and the current period's scene windows in scene order. */
    public record Composites(TileBands before, TileBands after, List<TileBands> afterWindows) {}

    private final DetectOptions options;
    private final Period before;
    private final Period after;
    private final TileSink sink;
    private final TileStore store;
    private final SceneReader reader;
    private final Classifier classifier;
    private final ChangeDetector detector;
    private final Persistence persistence;
    private final TileVectorizer vectorizer;
    /** The periods' statistics, which the classification thresholds are relative to. */
    private final Scene beforeStats;
    private final Scene afterStats;
    private final ChangeCells cells;
    /** Per current observation, its own classes (persistence); kept from tile to tile. */
    private final List<byte[]> observations = new ArrayList<>();
    /** The tile's radiometric fit of the current period to the baseline; reused from tile to tile. */
    private RadiometricFit fit;
    // CPU time (not wall: the machine may be shared) of classification and change detection alone.
    private final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    private long clearCells, changedCells, tilesReused, tilesComputed, bytesRead, scenesReused, scenesRead, cpuNanos;

    /**
     * The detect step on {@code layout} for the periods {@code before} and {@code after}, writing rasters to
     * {@code sink}, reusing and filling {@code store} (null: none). GDAL must be initialised.
     */
    public TileDetect(DetectOptions options, GridLayout layout, Period before, Period after, TileSink sink,
                      TileStore store) {
        this.options = options;
        this.before = before;
        this.after = after;
        this.sink = sink;
        this.store = store;
        this.classifier = options.newClassifier();
        this.detector = options.detector();
        this.persistence = Double.isNaN(options.persistenceShare()) ? null : new Persistence(options.persistenceShare());
        this.vectorizer = new TileVectorizer(layout, options.haloCells(), options.minPatchAreaM2());
        this.beforeStats = before.statistics();
        this.afterStats = after.statistics();
        this.reader = new SceneReader(layout, options.haloCells(), options.cloudBufferMetres());
        this.cells = ChangeCells.ofWindow(reader.windowSize());
    }

    /** The side of a tile window in cells: the tile and its halo. */
    public int windowSize() {
        return reader.windowSize();
    }

    /**
     * Detects change in the tile {@code key}: its fragments and cell counts, its rasters written to the sink.
     * What this reads (scenes, statistics, options) must enter {@link TileStore}'s digest.
     */
    public TileResult detect(TileKey key) {
        String digest = store == null ? null : store.digest(key);
        TileStore.Entry stored = digest == null ? null : store.load(digest);
        if (stored != null) {
            sink.write(Raster.CHANGE, key, stored.changeTile());
            if (options.trueColour()) {
                sink.write(Raster.BEFORE_TRUE_COLOUR, key, stored.beforeTrueColour());
                sink.write(Raster.AFTER_TRUE_COLOUR, key, stored.afterTrueColour());
            }
            sink.finished(key);
            tilesReused++;
            return tally(stored.result());
        }
        long bytesBefore = reader.bytesRead();
        Composites c = composites(key, cells);
        long cpu0 = cpu.getCurrentThreadCpuTime();
        classify(c.before(), c.after(), cells);
        compare(c.before(), c.after(), cells);
        confirm(c.afterWindows(), cells);
        cpuNanos += cpu.getCurrentThreadCpuTime() - cpu0;
        List<PatchFragment> found = vectorizer.vectorize(key, cells.code(), cells.confidence(), c.before(), c.after());
        long changed = sink.writeChange(key, cells);
        if (options.trueColour()) {
            sink.writeTrueColour(Raster.BEFORE_TRUE_COLOUR, key, c.before());
            sink.writeTrueColour(Raster.AFTER_TRUE_COLOUR, key, c.after());
        }
        bytesRead += reader.bytesRead() - bytesBefore;
        tilesComputed++;
        TileResult result = new TileResult(found, c.after().clearCount(), changed);
        if (store != null) {
            // Without true-colour output the entry holds none (the digest says so).
            store.save(digest, new TileStore.Entry(result, sink.read(Raster.CHANGE, key),
                    options.trueColour() ? sink.read(Raster.BEFORE_TRUE_COLOUR, key) : new byte[0],
                    options.trueColour() ? sink.read(Raster.AFTER_TRUE_COLOUR, key) : new byte[0]));
        }
        sink.finished(key);
        return tally(result);
    }

    private TileResult tally(TileResult r) {
        clearCells += r.clearCells();
        changedCells += r.changedCells();
        return r;
    }

    /** What this instance did so far. */
    public Counts counts() {
        return new Counts(clearCells, changedCells, tilesReused, tilesComputed, bytesRead, scenesReused, scenesRead,
                cpuNanos);
    }

    /**
     * Both periods' composites of the window of {@code key}, their clear observations per cell written to
     * {@code into}'s valid counts. Scene windows come from the tile store when it keeps them.
     */
    public Composites composites(TileKey key, ChangeCells into) {
        TileBands b = composite(before, key, into.beforeValid(), null);
        List<TileBands> afterWindows = new ArrayList<>();
        TileBands a = composite(after, key, into.afterValid(), afterWindows);
        return new Composites(b, a, afterWindows);
    }

    /** Classifies both composites into {@code into}'s class arrays, each against its period's statistics. */
    public void classify(TileBands beforeComposite, TileBands afterComposite, ChangeCells into) {
        classifier.classify(beforeComposite, beforeStats, into.beforeClass());
        classifier.classify(afterComposite, afterStats, into.afterClass());
    }

    /** Detects change between the classified composites into {@code into}'s codes and confidences. */
    public void compare(TileBands beforeComposite, TileBands afterComposite, ChangeCells into) {
        fit = detector.detect(beforeComposite, beforeStats, into.beforeClass(), afterComposite, afterStats,
                into.afterClass(), into.code(), into.confidence(), fit);
    }

    /** Drops the changes that do not persist through the current period's scene windows (two or more). */
    private void confirm(List<TileBands> afterWindows, ChangeCells into) {
        if (persistence == null || afterWindows.size() < 2) {
            return;
        }
        // Each current observation classified on its own: a change must hold in most of them.
        while (observations.size() < afterWindows.size()) {
            observations.add(new byte[into.code().length]);
        }
        for (int o = 0; o < afterWindows.size(); o++) {
            classifier.classify(afterWindows.get(o), after.scenes().get(o), observations.get(o));
        }
        persistence.confirm(into.code(), into.confidence(), observations.subList(0, afterWindows.size()), detector);
    }

    /**
     * One period's clear-sky window of a tile: every scene read and masked, then composited. The scenes'
     * own windows, in the period's scene order, are added to {@code keep} unless it is null.
     */
    private TileBands composite(Period period, TileKey key, short[] validCount, List<TileBands> keep) {
        List<TileBands> windows = new ArrayList<>(period.scenes().size());
        boolean scenes = store != null && store.keepsScenes();
        for (Scene scene : period.scenes()) {
            // A scene that misses the window reads as nothing at no cost: not worth an entry.
            boolean stored = scenes && store.touches(scene, key);
            TileBands w = stored ? store.loadScene(scene, key) : null;
            if (w != null) {
                scenesReused++;
            } else {
                w = reader.read(scene, key);
                if (stored) {
                    // Stored before anything downstream may touch the window's arrays.
                    store.saveScene(scene, key, w);
                    scenesRead++;
                }
            }
            windows.add(w);
        }
        if (keep != null) {
            keep.addAll(windows);
        }
        return Compositor.composite(windows, options.compositeMethod(), validCount);
    }

    @Override
    public void close() {
        reader.close();
    }
}
