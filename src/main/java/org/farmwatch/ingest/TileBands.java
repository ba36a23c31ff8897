package org.farmwatch.ingest;

/**
 * One scene's six bands over one tile window (the tile plus a halo), row-major, in the scene's
 * working units, with NaN where there is no clear observation (cloud, shadow, outside the scene).
 * Mutable arrays, owned by the task that read them.
 */
public final class TileBands {
    public final int width;
    public final int height;
    /** Indexed by {@link Band#ordinal()}. */
    public final float[][] bands;

    public TileBands(int width, int height) {
        this.width = width;
        this.height = height;
        this.bands = new float[Band.values().length][width * height];
    }

    public float[] band(Band b) {
        return bands[b.ordinal()];
    }

    /** Number of cells with a clear observation. */
    public int clearCount() {
        float[] red = band(Band.RED);
        int n = 0;
        for (float v : red) {
            if (!Float.isNaN(v)) {
                n++;
            }
        }
        return n;
    }
}
