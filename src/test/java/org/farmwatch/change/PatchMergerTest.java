package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.junit.jupiter.api.Test;

/** Tile vectorizing with GDAL, then merging of a patch cut by a tile edge: pixel arrays in, patches out. */
class PatchMergerTest {

    private static final int TILE = 16;
    private static final int HALO = 2;
    private final GridLayout layout = new GridLayout("EPSG:4527", 39_480_000, 4_070_000, 10, TILE);
    private final Settings settings = Settings.defaults();
    private final ChangeDetector detector = new ChangeDetector(settings.rules(), settings.change().threshold(), settings.change().spectralThreshold(), settings.change().vegetationThreshold(), false);
    private static final int BUILT = LandCover.CROPLAND.id * 16 + LandCover.BUILT_UP.id;

    /** A window of one tile with a rectangle of {@code code} cells given in tile-core coordinates. */
    private static byte[] window(int code, int r0, int r1, int c0, int c1) {
        int win = TILE + 2 * HALO;
        byte[] w = new byte[win * win];
        for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
                w[(r + HALO) * win + c + HALO] = (byte) code;
            }
        }
        return w;
    }

    private static float[] confidence(byte[] code) {
        float[] conf = new float[code.length];
        for (int i = 0; i < code.length; i++) {
            conf[i] = code[i] != 0 ? 0.8f : 0f;
        }
        return conf;
    }

    @Test
    void aPatchCutByTheTileEdgeBecomesOnePatchWithTheWholeArea() {
        TileVectorizer v = new TileVectorizer(layout, HALO, 400);
        // Rows 4..9, columns 10..15 in the west tile and 0..5 in the east tile: 6 x 12 cells across the edge.
        byte[] west = window(BUILT, 4, 10, 10, 16);
        byte[] east = window(BUILT, 4, 10, 0, 6);
        List<PatchFragment> fw = v.vectorize(new TileKey(0, 0), west, confidence(west));
        List<PatchFragment> fe = v.vectorize(new TileKey(1, 0), east, confidence(east));
        assertEquals(1, fw.size());
        assertEquals(1, fe.size());
        assertEquals(PatchFragment.EAST, fw.get(0).edges());
        assertEquals(PatchFragment.WEST, fe.get(0).edges());
        assertEquals(List.of("V1,0"), PatchMerger.edgeKeys(fw.get(0)));
        assertEquals(List.of("V1,0"), PatchMerger.edgeKeys(fe.get(0)));

        List<PatchFragment> edge = new ArrayList<>(fw);
        edge.addAll(fe);
        List<String[]> joins = PatchMerger.joinsAcross(edge, 0.01);
        assertEquals(1, joins.size());
        Map<String, String> groups = PatchMerger.groups(joins);
        assertEquals(groups.get(fw.get(0).fragmentId()), groups.get(fe.get(0).fragmentId()));

        ChangePatch p = PatchMerger.dissolve(edge, layout, detector, settings.rules(), "2025-04-15", "2025-09-20", 400);
        assertNotNull(p);
        assertEquals(72 * 100.0, p.areaM2(), 1e-9);
        assertEquals(72 * 100.0, p.geometry().getArea(), 1e-6);
        assertEquals(1, p.geometry().getNumGeometries(), "dissolved into one polygon");
        assertEquals(ChangeType.NON_AGRICULTURAL, p.changeType());
        assertEquals(LandCover.BUILT_UP, p.toClass());
        assertEquals(0.8, p.confidence(), 1e-6);
        // The id depends on place, classes and dates only: the same patch gets the same id again.
        ChangePatch again = PatchMerger.dissolve(List.of(fe.get(0), fw.get(0)), layout, detector, settings.rules(),
                "2025-04-15", "2025-09-20", 400);
        assertEquals(p.patchId(), again.patchId());
    }

    @Test
    void fragmentsOfDifferentTransitionsOrOnlyTouchingACornerStayApart() {
        TileVectorizer v = new TileVectorizer(layout, HALO, 100);
        int water = LandCover.CROPLAND.id * 16 + LandCover.WATER.id;
        byte[] west = window(BUILT, 0, 6, 10, 16);
        byte[] east = window(water, 0, 6, 0, 6);
        List<PatchFragment> all = new ArrayList<>(v.vectorize(new TileKey(0, 0), west, confidence(west)));
        all.addAll(v.vectorize(new TileKey(1, 0), east, confidence(east)));
        assertTrue(PatchMerger.joinsAcross(all, 0.01).isEmpty());

        // Diagonal neighbours across a tile corner share one point only.
        byte[] nw = window(BUILT, 12, 16, 12, 16);
        byte[] se = window(BUILT, 0, 4, 0, 4);
        List<PatchFragment> corner = new ArrayList<>(v.vectorize(new TileKey(0, 0), nw, confidence(nw)));
        corner.addAll(v.vectorize(new TileKey(1, 1), se, confidence(se)));
        assertTrue(PatchMerger.joinsAcross(corner, 0.01).isEmpty());
    }

    @Test
    void specksBelowTheMappingUnitAreSievedAway() {
        TileVectorizer v = new TileVectorizer(layout, HALO, 400);
        byte[] w = window(BUILT, 5, 7, 5, 6); // 2 cells = 200 m²
        assertTrue(v.vectorize(new TileKey(0, 0), w, confidence(w)).isEmpty());
        assertEquals(0, w[(5 + HALO) * (TILE + 2 * HALO) + 5 + HALO], "the speck is cleared in the code raster too");
    }

    @Test
    void groupsAreTransitive() {
        Map<String, String> g = PatchMerger.groups(List.of(new String[] {"b", "c"}, new String[] {"a", "b"},
                new String[] {"x", "y"}));
        assertEquals("a", g.get("c"));
        assertEquals("a", g.get("b"));
        assertEquals("x", g.get("y"));
    }
}
