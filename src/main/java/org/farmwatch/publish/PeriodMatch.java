package org.farmwatch.publish;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.farmwatch.change.BandMatch;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Compositor;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.SceneReader;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.util.Gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * How the current period's true colours are matched to the baseline's: the detector's idea, a per-band line
 * {@code current = gain × baseline + offset}, fitted once over the whole area the two periods share, on the cells
 * clear on both dates of a coarse grid of at most {@value #SIDE} × {@value #SIDE} cells, as a quantile-quantile fit
 * ({@link BandMatch#ofCells}). One fit for the whole area, not the detector's per tile: a tile of sea or of one
 * building site fits its own content (on Beirut a port tile came out magenta), and per-tile fits leave seams at tile
 * edges. Where it cannot be made (too few clear cells in common), the periods' statistics ({@link BandMatch#ofQuantiles}).
 *
 * <p>Each executor computes it once per pair of periods and keeps it (the same inputs give the same fit, so every
 * executor draws alike); a few hundred milliseconds on a Sentinel-2 tile's overviews.
 */
final class PeriodMatch {

    /** Cells a side of the coarse grid: enough for the fit's 4,096 samples many times over. */
    static final int SIDE = 256;

    private static final Map<String, BandMatch> CACHE = new ConcurrentHashMap<>();

    private PeriodMatch() {}

    /**
     * The match of {@code after} onto {@code before} in the working CRS {@code crs}, each period composited with
     * {@code method} from scenes read with {@code cloudBufferMetres} (as the detect step reads them).
     */
    static BandMatch of(Period before, Period after, String crs, double cellSizeMetres, double cloudBufferMetres,
                        Compositor.Method method) {
        String key = before.sceneIds() + "|" + after.sceneIds() + "|" + crs + "|" + cellSizeMetres + "|"
                + cloudBufferMetres + "|" + method;
        return CACHE.computeIfAbsent(key, k -> fit(before, after, crs, cellSizeMetres, cloudBufferMetres, method));
    }

    private static BandMatch fit(Period before, Period after, String crs, double cellSizeMetres,
                                 double cloudBufferMetres, Compositor.Method method) {
        BandMatch quantiles = BandMatch.ofQuantiles(before.statistics(), after.statistics());
        Envelope area = SceneCatalog.footprint(before.latest(), crs).intersection(SceneCatalog.footprint(after.latest(), crs));
        if (area.isNull() || area.getWidth() <= 0 || area.getHeight() <= 0) {
            return quantiles;
        }
        Gdal.init();
        double cell = Math.max(cellSizeMetres, Math.max(area.getWidth(), area.getHeight()) / SIDE);
        GridLayout coarse = new GridLayout(crs, area.getMinX(), area.getMaxY(), cell, SIDE);
        TileKey key = new TileKey(0, 0);
        try (SceneReader reader = new SceneReader(coarse, 0, cloudBufferMetres)) {
            TileBands b = composite(reader, before, key, method);
            TileBands a = composite(reader, after, key, method);
            BandMatch m = BandMatch.ofCells(b, a);
            return m != null ? m : quantiles;
        } catch (RuntimeException e) {
            // Pictures only: a scene that cannot be read coarsely still gets the quantile match.
            return quantiles;
        }
    }

    private static TileBands composite(SceneReader reader, Period p, TileKey key, Compositor.Method method) {
        List<TileBands> windows = new ArrayList<>();
        for (Scene s : p.scenes()) {
            windows.add(reader.read(s, key));
        }
        return Compositor.composite(windows, method, new short[reader.windowSize() * reader.windowSize()]);
    }
}
