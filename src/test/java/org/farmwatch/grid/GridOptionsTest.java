package org.farmwatch.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GridOptionsTest {

    private static String refused(Runnable build) {
        return assertThrows(IllegalArgumentException.class, build::run).getMessage();
    }

    @Test
    void autoMeansTheScenesChoose() {
        GridOptions o = new GridOptions(GridOptions.AUTO, Double.NaN, 512, 8);
        assertTrue(o.autoCrs() && o.autoCellSize());
        assertEquals("EPSG:4527", new GridOptions("EPSG:4527", 10, 512, 8).crs());
    }

    @Test
    void badValuesAreQuotedUnderTheirKey() {
        assertEquals("grid.tileSize must be a power of 2 within 64..4096, got: 300",
                refused(() -> new GridOptions("AUTO", 10, 300, 8)));
        assertEquals("grid.haloCells must be within 0..16, got: 17", refused(() -> new GridOptions("AUTO", 10, 64, 17)));
        assertTrue(refused(() -> new GridOptions("WGS84", 10, 512, 8)).endsWith("got: WGS84"));
        assertTrue(refused(() -> new GridOptions("AUTO", 0, 512, 8)).startsWith("grid.cellSizeMetres"));
    }
}
