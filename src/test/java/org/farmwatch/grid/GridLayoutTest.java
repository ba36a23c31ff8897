package org.farmwatch.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;

class GridLayoutTest {

    private final GridLayout layout = new GridLayout("EPSG:4527", 0, 10_000_000, 10, 512);

    @Test
    void keyAtCentreOfExtentIsTheKeyForRandomKeys() {
        Random rnd = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            TileKey k = new TileKey(rnd.nextInt(20_000) - 1000, rnd.nextInt(4000) - 100);
            Coordinate c = layout.extentOf(k).centre();
            assertEquals(k, layout.keyAt(c.x, c.y));
        }
    }

    @Test
    void cornersBelongToExactlyOneTileWithHalfOpenEdges() {
        TileKey k = new TileKey(7710, 1159);
        Envelope e = layout.extentOf(k);
        // Top-left corner is inside (min x, max y inclusive); the right and bottom edges belong to the neighbours.
        assertEquals(k, layout.keyAt(e.getMinX(), e.getMaxY()));
        assertEquals(new TileKey(k.col() + 1, k.row()), layout.keyAt(e.getMaxX(), e.getMaxY()));
        assertEquals(new TileKey(k.col(), k.row() + 1), layout.keyAt(e.getMinX(), e.getMinY()));
    }

    @Test
    void neighbouringTilesShareEdgesAndDoNotOverlap() {
        Random rnd = new Random(7);
        for (int i = 0; i < 1000; i++) {
            TileKey k = new TileKey(rnd.nextInt(10_000), rnd.nextInt(2000));
            Envelope a = layout.extentOf(k);
            Envelope right = layout.extentOf(new TileKey(k.col() + 1, k.row()));
            Envelope below = layout.extentOf(new TileKey(k.col(), k.row() + 1));
            assertEquals(a.getMaxX(), right.getMinX());
            assertEquals(a.getMinY(), below.getMaxY());
            assertEquals(0.0, a.intersection(right).getArea());
            assertEquals(0.0, a.intersection(below).getArea());
        }
    }

    @Test
    void keysCoveringListsEveryTouchedTileOnce() {
        Envelope area = new Envelope(39_480_000, 39_490_000, 4_060_000, 4_070_000);
        List<TileKey> keys = layout.keysCovering(area);
        Set<TileKey> unique = new HashSet<>(keys);
        assertEquals(keys.size(), unique.size());
        // 10 km at 5.12 km per tile, not aligned to the grid: 3 columns and 3 rows.
        assertEquals(9, keys.size());
        Envelope union = new Envelope();
        keys.forEach(k -> union.expandToInclude(layout.extentOf(k)));
        assertTrue(union.covers(area));
        for (TileKey k : keys) {
            assertTrue(layout.extentOf(k).intersects(area));
        }
    }

    @Test
    void badArgumentsAreNamedWithTheirValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GridLayout("EPSG:4527", 0, 0, -10, 512));
        assertTrue(e.getMessage().contains("cellSizeMetres") && e.getMessage().contains("-10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GridLayout("4527", 0, 0, 10, 512));
        assertTrue(e.getMessage().contains("4527"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GridLayout("EPSG:4527", 0, 0, 10, 3));
        assertTrue(e.getMessage().contains("tileSize"), e.getMessage());
    }

    @Test
    void stripOrderIsAPermutationInNarrowStrips() {
        // 21 x 5 tiles, with negative columns: strips must follow floorDiv, not truncation.
        List<TileKey> keys = layout.keysCovering(new Envelope(-30_000, 77_000, 9_980_000, 10_000_000));
        List<TileKey> strips = GridLayout.inStrips(keys, 8);
        assertEquals(new HashSet<>(keys), new HashSet<>(strips));
        assertEquals(keys.size(), strips.size());
        int minCol = keys.stream().mapToInt(TileKey::col).min().orElseThrow();
        assertTrue(minCol < 0, "the area crosses the origin column");
        for (int i = 1; i < strips.size(); i++) {
            TileKey a = strips.get(i - 1);
            TileKey b = strips.get(i);
            int sa = Math.floorDiv(a.col(), 8);
            int sb = Math.floorDiv(b.col(), 8);
            assertTrue(sb > sa || (sb == sa && (b.row() > a.row() || (b.row() == a.row() && b.col() == a.col() + 1))),
                    a + " then " + b);
        }
        // Within a strip, never more than 8 tiles between a tile and the one below it.
        for (int i = 0; i < strips.size(); i++) {
            TileKey k = strips.get(i);
            int below = strips.indexOf(new TileKey(k.col(), k.row() + 1));
            assertTrue(below < 0 || below - i <= 8, k + " and the tile below are " + (below - i) + " apart");
        }
        assertThrows(IllegalArgumentException.class, () -> GridLayout.inStrips(keys, 0));
    }
}
