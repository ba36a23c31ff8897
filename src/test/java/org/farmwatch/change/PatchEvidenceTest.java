package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.TileBands;
import org.junit.jupiter.api.Test;

/** Patch evidence on tiny windows: which cells count as patch and as ring, and what its features stand for. */
class PatchEvidenceTest {

    // A 4 x 4 core with a halo of 2: an 8 x 8 window. One patch of 2 x 2 cells at core (1,1)-(2,2).
    private static final int SIZE = 4;
    private static final int HALO = 2;
    private static final int WIN = SIZE + 2 * HALO;

    private static int[] label() {
        int[] label = new int[SIZE * SIZE];
        for (int r = 1; r <= 2; r++) {
            for (int c = 1; c <= 2; c++) {
                label[r * SIZE + c] = 1;
            }
        }
        return label;
    }

    private static byte[] code(int[] label) {
        byte[] code = new byte[WIN * WIN];
        for (int r = 0; r < SIZE; r++) {
            for (int c = 0; c < SIZE; c++) {
                if (label[r * SIZE + c] != 0) {
                    code[(r + HALO) * WIN + c + HALO] = 0x13;
                }
            }
        }
        return code;
    }

    /** Green fields everywhere; on the current date the patch turns bright and grey, as a building site does. */
    private static TileBands[] scene(float scale) {
        TileBands before = new TileBands(WIN, WIN);
        TileBands after = new TileBands(WIN, WIN);
        int[] label = label();
        for (int i = 0; i < WIN * WIN; i++) {
            int r = i / WIN - HALO;
            int c = i % WIN - HALO;
            boolean inPatch = r >= 0 && r < SIZE && c >= 0 && c < SIZE && label[r * SIZE + c] != 0;
            for (TileBands t : new TileBands[] {before, after}) {
                boolean built = t == after && inPatch;
                set(t, i, scale, built ? new float[] {0.20f, 0.21f, 0.22f, 0.25f, 0.30f, 0.28f}
                        : new float[] {0.03f, 0.06f, 0.04f, 0.35f, 0.18f, 0.09f});
            }
        }
        return new TileBands[] {before, after};
    }

    private static void set(TileBands t, int i, float scale, float[] v) {
        for (Band b : Band.values()) {
            t.band(b)[i] = v[b.ordinal()] * scale;
        }
    }

    @Test
    void countsThePatchCellsAndTheUnchangedRingAroundIt() {
        int[] label = label();
        TileBands[] s = scene(1);
        PatchEvidence e = PatchEvidence.measure(label, 1, SIZE, HALO, code(label), s[0], s[1])[1];
        assertEquals(4, e.patchCells());
        // Within 2 cells of a 2 x 2 patch: a 6 x 6 square, less the patch itself.
        assertEquals(32, e.ringCells());
        assertEquals((0.35 - 0.04) / (0.35 + 0.04), e.mean(false, false, 0), 1e-6, "NDVI of the patch before");
        assertEquals((0.25 - 0.22) / (0.25 + 0.22), e.mean(false, true, 0), 1e-6, "NDVI of the patch after");
        assertEquals((0.35 - 0.04) / (0.35 + 0.04), e.mean(true, true, 0), 1e-6, "the ring stays green");
        assertEquals(0, e.std(false, true, 0), 1e-9);
    }

    @Test
    void cellsWithoutAClearObservationCountNeither() {
        int[] label = label();
        TileBands[] s = scene(1);
        s[1].band(Band.RED)[(1 + HALO) * WIN + 1 + HALO] = Float.NaN; // one patch cell clouded
        s[0].band(Band.NIR)[HALO * WIN + HALO] = Float.NaN;           // one ring cell missing before
        PatchEvidence e = PatchEvidence.measure(label, 1, SIZE, HALO, code(label), s[0], s[1])[1];
        assertEquals(3, e.patchCells());
        assertEquals(31, e.ringCells());
    }

    @Test
    void fragmentsOfOnePatchAddUpToTheWholePatch() {
        int[] label = label();
        TileBands[] s = scene(1);
        PatchEvidence whole = PatchEvidence.measure(label, 1, SIZE, HALO, code(label), s[0], s[1])[1];
        PatchEvidence twice = whole.plus(whole);
        assertEquals(2 * whole.patchCells(), twice.patchCells());
        assertEquals(whole.mean(false, true, 3), twice.mean(false, true, 3), 1e-12);
        assertArrayEquals(whole.sums(), PatchEvidence.ofSums(whole.sums()).sums());
        assertFalse(PatchEvidence.NONE.isMeasured());
        assertTrue(whole.isMeasured());
    }

    @Test
    void featuresDoNotDependOnTheSensorsScale() {
        int[] label = label();
        TileBands[] dn = scene(10000);   // Sentinel-2 L1C digital numbers
        TileBands[] refl = scene(1);     // reflectance
        PatchEvidence a = PatchEvidence.measure(label, 1, SIZE, HALO, code(label), dn[0], dn[1])[1];
        PatchEvidence b = PatchEvidence.measure(label, 1, SIZE, HALO, code(label), refl[0], refl[1])[1];
        org.locationtech.jts.geom.Geometry square = new org.locationtech.jts.geom.GeometryFactory()
                .toGeometry(new org.locationtech.jts.geom.Envelope(0, 20, 0, 20));
        double[] fa = ChangeFeatures.of(a.ofWholePatch(0.8, square), 400, 2, 7, "2024-03-01", "2024-09-01");
        double[] fb = ChangeFeatures.of(b.ofWholePatch(0.8, square), 400, 2, 7, "2024-03-01", "2024-09-01");
        assertEquals(ChangeFeatures.NAMES.size(), fa.length);
        assertArrayEquals(fa, fb, 1e-5);
        int brighter = ChangeFeatures.NAMES.indexOf("visible_log_after_ring");
        assertTrue(fa[brighter] > 1, "the site is much brighter than its green ring: " + fa[brighter]);
        assertEquals(Math.PI / 4, fa[ChangeFeatures.NAMES.indexOf("compactness")], 1e-9, "a square's 4πA/P²");
    }
}
