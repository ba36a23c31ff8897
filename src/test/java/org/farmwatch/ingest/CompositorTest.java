package org.farmwatch.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompositorTest {

    /** A 4-cell window whose every band holds {@code values} (NaN = masked). */
    private static TileBands window(float... values) {
        TileBands t = new TileBands(4, 1);
        for (Band b : Band.values()) {
            for (int i = 0; i < values.length; i++) {
                t.band(b)[i] = Float.isNaN(values[i]) ? Float.NaN : values[i] + b.ordinal();
            }
        }
        return t;
    }

    private static final float X = Float.NaN;

    @Test
    void medianOverClearObservationsAndTheirCount() {
        List<TileBands> dates = List.of(window(1, X, 5, X), window(2, 7, X, X), window(9, 8, X, X));
        short[] count = new short[4];
        TileBands c = Compositor.composite(dates, Compositor.Method.MEDIAN, count);
        assertArrayEquals(new short[] {3, 2, 1, 0}, count);
        assertArrayEquals(new float[] {2, 7.5f, 5, X}, c.band(Band.BLUE));
        assertArrayEquals(new float[] {2 + 3, 7.5f + 3, 5 + 3, X}, c.band(Band.NIR));
    }

    @Test
    void bestTakesTheLatestClearObservationForAllBands() {
        List<TileBands> dates = List.of(window(1, X, 5, X), window(2, 7, X, X), window(9, X, X, X));
        short[] count = new short[4];
        TileBands c = Compositor.composite(dates, Compositor.Method.BEST, count);
        assertArrayEquals(new float[] {9, 7, 5, X}, c.band(Band.BLUE));
        assertArrayEquals(new float[] {9 + 5, 7 + 5, 5 + 5, X}, c.band(Band.SWIR22));
    }

    @Test
    void oneSceneIsPassedThrough() {
        TileBands only = window(1, X, 3, 4);
        short[] count = new short[4];
        assertTrue(Compositor.composite(List.of(only), Compositor.Method.MEDIAN, count) == only);
        assertArrayEquals(new short[] {1, 0, 1, 1}, count);
        assertEquals(4, only.width);
    }
}
