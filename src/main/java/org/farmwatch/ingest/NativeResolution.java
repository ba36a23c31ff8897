package org.farmwatch.ingest;

/** A scene's finest native cell size in metres, the figure grids and tile windows are sized by. */
public final class NativeResolution {
    private NativeResolution() {}

    /** The scene's native cell size in whole metres (at least 1); degrees count as metres of latitude. */
    public static double metres(Scene s) {
        double c = SceneCatalog.nativeCellSize(s);
        if (SceneCatalog.isGeographic(s)) {
            c *= 111_320; // degrees of latitude to metres, near enough to pick a resolution
        }
        // Round to a whole number of metres so that grids of similar sensors match.
        return Math.max(1, Math.round(c));
    }
}
