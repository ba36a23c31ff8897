package org.farmwatch.spark;

import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.GridOptions;
import org.farmwatch.ingest.NativeResolution;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.locationtech.jts.geom.Envelope;

/** Chooses the working grid for a run from the settings and the scenes: CRS, cell size and the fixed origin. */
public final class WorkingGrid {
    private WorkingGrid() {}

    /**
     * Inside China, the CGCS2000 3-degree Gauss–Krüger zone with zone prefix (EPSG:4513 for zone 25 to
     * EPSG:4533 for zone 45); elsewhere the WGS 84 UTM zone.
     */
    static String autoCrs(double lon, double lat) {
        if (lon >= 73.5 && lon < 136.5 && lat >= 3 && lat <= 54) {
            int zone = (int) Math.round(lon / 3.0);
            return "EPSG:" + (4513 + zone - 25);
        }
        int zone = Math.min(60, Math.max(1, (int) Math.floor((lon + 180) / 6) + 1));
        return "EPSG:" + (lat >= 0 ? 32600 + zone : 32700 + zone);
    }

    public static GridLayout choose(GridOptions s, Scene before, Scene after) {
        String crs = s.crs();
        if (s.autoCrs()) {
            Envelope geo = SceneCatalog.footprint(after, "EPSG:4326");
            crs = autoCrs(geo.centre().x, geo.centre().y);
        }
        double cell = s.cellSizeMetres();
        if (s.autoCellSize()) {
            cell = Math.min(NativeResolution.metres(before), NativeResolution.metres(after));
        }
        // A fixed origin per CRS keeps tile keys stable across runs and scenes.
        return new GridLayout(crs, 0, 10_000_000, cell, s.tileSize());
    }
}
