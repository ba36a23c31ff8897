package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.algorithm.distance.DiscreteHausdorffDistance;
import org.locationtech.jts.coverage.CoverageValidator;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.operation.overlayng.CoverageUnion;

/**
 * Published outlines: a cell raster of two tiles is vectorized by GDAL and merged across the tile edge as the job
 * does, then simplified as the outline step does. Touching patches (two change types along a staircase, a patch in
 * another's hole) must keep their shared edges; ids and areas stay; holes stay.
 */
class PatchOutlinesTest {

    private static final int TILE = 32;
    private static final int HALO = 2;
    private static final double CELL = 10;
    private final GridLayout layout = new GridLayout("EPSG:4527", 39_480_000, 4_070_000, CELL, TILE);
    private final Settings settings = Settings.defaults();
    private final ChangeDetector detector = new ChangeDetector(settings.rules(), settings.change().threshold(),
            settings.change().spectralThreshold(), settings.change().vegetationThreshold(), true);
    private static final int BUILT = code(LandCover.BUILT_UP);
    private static final int WATER = code(LandCover.WATER);
    private static final int ORCHARD = code(LandCover.ORCHARD);
    private static final int BARE = code(LandCover.BARE);
    private static final int GREENHOUSE = code(LandCover.GREENHOUSE);

    private static int code(LandCover to) {
        return LandCover.CROPLAND.id * 16 + to.id;
    }

    /**
     * Two tiles side by side (64 x 32 cells): built-up and water meeting along a diagonal staircase, both across
     * the tile edge at column 32; an orchard ring around a bare patch that fills its hole; a greenhouse ring with an
     * empty hole.
     */
    private static int[][] scene() {
        int[][] g = new int[TILE][2 * TILE];
        for (int r = 0; r < 20; r++) {
            for (int c = 2; c < 56; c++) {
                g[r][c] = c < 24 + r ? BUILT : WATER;
            }
        }
        for (int r = 22; r < 31; r++) {
            for (int c = 4; c < 15; c++) {
                g[r][c] = r >= 25 && r < 28 && c >= 7 && c < 12 ? BARE : ORCHARD;
            }
            for (int c = 36; c < 51; c++) {
                g[r][c] = r >= 25 && r < 29 && c >= 40 && c < 47 ? 0 : GREENHOUSE;
            }
        }
        return g;
    }

    /** The patches of the scene, vectorized per tile (window with halo) and merged across the edge. */
    private List<ChangePatch> patches() {
        int[][] g = scene();
        TileVectorizer v = new TileVectorizer(layout, HALO, 400);
        List<PatchFragment> fragments = new ArrayList<>();
        int win = TILE + 2 * HALO;
        for (int col = 0; col < 2; col++) {
            byte[] w = new byte[win * win];
            float[] conf = new float[win * win];
            for (int r = -HALO; r < TILE + HALO; r++) {
                for (int c = -HALO; c < TILE + HALO; c++) {
                    int gr = r;
                    int gc = col * TILE + c;
                    if (gr >= 0 && gr < TILE && gc >= 0 && gc < 2 * TILE) {
                        int i = (r + HALO) * win + c + HALO;
                        w[i] = (byte) g[gr][gc];
                        conf[i] = g[gr][gc] != 0 ? 0.8f : 0f;
                    }
                }
            }
            fragments.addAll(v.vectorize(new TileKey(col, 0), w, conf));
        }
        Map<String, List<PatchFragment>> byEdge = new HashMap<>();
        for (PatchFragment f : fragments) {
            PatchMerger.edgeKeys(f).forEach(k -> byEdge.computeIfAbsent(k, x -> new ArrayList<>()).add(f));
        }
        List<String[]> joins = new ArrayList<>();
        byEdge.values().forEach(e -> joins.addAll(PatchMerger.joinsAcross(e, CELL * 1e-3)));
        Map<String, String> group = PatchMerger.groups(joins);
        Map<String, List<PatchFragment>> parts = new LinkedHashMap<>();
        for (PatchFragment f : fragments) {
            parts.computeIfAbsent(group.getOrDefault(f.fragmentId(), f.fragmentId()), x -> new ArrayList<>()).add(f);
        }
        List<ChangePatch> out = new ArrayList<>();
        for (List<PatchFragment> p : parts.values()) {
            ChangePatch c = PatchMerger.dissolve(p, layout, detector, settings.rules(), "2025-04-15", "2025-09-20", 400);
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    /** As the outline step: pairs found per tile, closed into groups, each group simplified in id order. */
    private static Map<String, ChangePatch> outlines(List<ChangePatch> patches, GridLayout layout, double tolerance,
                                                     List<List<String>> groupsSeen) {
        Map<TileKey, List<ChangePatch>> byTile = new HashMap<>();
        for (ChangePatch p : patches) {
            layout.keysCovering(PatchOutlines.reach(p, tolerance))
                    .forEach(k -> byTile.computeIfAbsent(k, x -> new ArrayList<>()).add(p));
        }
        List<String[]> pairs = new ArrayList<>();
        byTile.forEach((k, here) -> pairs.addAll(PatchOutlines.nearPairs(k, here, layout, tolerance)));
        Map<String, String> root = PatchMerger.groups(pairs);
        Map<String, List<ChangePatch>> groups = new LinkedHashMap<>();
        for (ChangePatch p : patches) {
            groups.computeIfAbsent(root.getOrDefault(p.patchId(), p.patchId()), x -> new ArrayList<>()).add(p);
        }
        Map<String, ChangePatch> out = new HashMap<>();
        for (List<ChangePatch> g : groups.values()) {
            g.sort(Comparator.comparing(ChangePatch::patchId));
            groupsSeen.add(g.stream().map(ChangePatch::patchId).toList());
            PatchOutlines.Result r = PatchOutlines.simplify(g, layout, tolerance);
            assertFalse(r.keptCellEdges(), "the group simplified as a valid coverage");
            r.patches().forEach(p -> out.put(p.patchId(), p));
        }
        return out;
    }

    private static ChangePatch of(List<ChangePatch> patches, LandCover to) {
        return patches.stream().filter(p -> p.toClass() == to).findFirst().orElseThrow();
    }

    @Test
    void theStaircaseLosesItsStepsAndTouchingPatchesKeepTheirSharedEdges() {
        List<ChangePatch> cells = patches();
        assertEquals(5, cells.size(), "built-up and water each one patch across the tile edge, two rings, one island");
        double tolerance = PatchOutlines.tolerance(Double.NaN, layout);
        assertEquals(0.75 * CELL, tolerance, 1e-12);
        List<List<String>> groups = new ArrayList<>();
        Map<String, ChangePatch> simple = outlines(cells, layout, tolerance, groups);

        // Groups: built-up with water, the orchard ring with the bare patch in its hole, the greenhouse ring alone.
        assertEquals(3, groups.size(), groups.toString());
        assertTrue(groups.contains(sorted(of(cells, LandCover.BUILT_UP), of(cells, LandCover.WATER))));
        assertTrue(groups.contains(sorted(of(cells, LandCover.ORCHARD), of(cells, LandCover.BARE))));

        Geometry[] before = new Geometry[cells.size()];
        Geometry[] after = new Geometry[cells.size()];
        double sum = 0;
        for (int i = 0; i < cells.size(); i++) {
            ChangePatch c = cells.get(i);
            ChangePatch s = simple.get(c.patchId());
            before[i] = c.geometry();
            after[i] = s.geometry();
            // Same patch, same cells: only the outline differs.
            assertEquals(c.areaM2(), s.areaM2());
            assertEquals(c.changeType(), s.changeType());
            assertEquals(c.areaM2(), c.geometry().getArea(), 1e-6, "the cell-edge geometry is the cells");
            assertTrue(s.geometry().isValid(), c.patchId() + " valid");
            assertEquals(holes(c.geometry()), holes(s.geometry()), c.patchId() + " keeps its holes");
            // Within a cell of the staircase everywhere (Visvalingam-Whyatt with 0.75 of a cell).
            assertTrue(DiscreteHausdorffDistance.distance(c.geometry(), s.geometry()) <= CELL,
                    c.patchId() + " moved " + DiscreteHausdorffDistance.distance(c.geometry(), s.geometry()));
            sum += s.geometry().getArea();
        }
        ChangePatch built = of(cells, LandCover.BUILT_UP);
        // Across the tile edge (x = 320 m from the origin) it is still one patch, one polygon, under its id.
        double edge = layout.originX() + TILE * CELL;
        Geometry builtOutline = simple.get(built.patchId()).geometry();
        assertTrue(builtOutline.getEnvelopeInternal().getMinX() < edge && builtOutline.getEnvelopeInternal().getMaxX() > edge);
        assertEquals(1, builtOutline.getNumGeometries());
        assertEquals(built.patchId(), simple.get(built.patchId()).patchId());
        int stairs = built.geometry().getNumPoints();
        int drawn = simple.get(built.patchId()).geometry().getNumPoints();
        assertTrue(drawn * 3 < stairs, "the staircase of " + stairs + " vertices is drawn with " + drawn);

        // No overlaps: the union's area is the sum of the areas.
        Geometry union = CoverageUnion.union(geometryCollection(after));
        assertEquals(sum, union.getArea(), 1e-6);
        // No gaps: a valid coverage with no gap narrower than a cell, and the union has the holes of the cells' union only.
        for (Geometry invalid : CoverageValidator.validate(after, CELL)) {
            assertNull(invalid);
        }
        assertEquals(holes(CoverageUnion.union(geometryCollection(before))), holes(union));
        // The shared staircase is shared: built-up and water meet along a line, not at points.
        Geometry b = simple.get(built.patchId()).geometry();
        Geometry w = simple.get(of(cells, LandCover.WATER).patchId()).geometry();
        assertEquals(0, b.intersection(w).getArea(), 1e-9);
        assertTrue(b.intersection(w).getLength() > 15 * CELL, "the diagonal edge, about 28 cells long");
        // The island fills the ring's hole exactly.
        Geometry ring = simple.get(of(cells, LandCover.ORCHARD).patchId()).geometry();
        Geometry island = simple.get(of(cells, LandCover.BARE).patchId()).geometry();
        assertEquals(((Polygon) ring.getGeometryN(0)).getInteriorRingN(0).getLength(), island.getLength(), 1e-9);
    }

    @Test
    void theOutlinesAreTheSameWhateverTheOrderThePatchesArrive() {
        List<ChangePatch> cells = patches();
        double tolerance = PatchOutlines.tolerance(Double.NaN, layout);
        Map<String, ChangePatch> one = outlines(cells, layout, tolerance, new ArrayList<>());
        List<ChangePatch> reversed = new ArrayList<>(cells);
        java.util.Collections.reverse(reversed);
        Map<String, ChangePatch> two = outlines(reversed, layout, tolerance, new ArrayList<>());
        for (ChangePatch c : cells) {
            assertTrue(one.get(c.patchId()).geometry().equalsExact(two.get(c.patchId()).geometry()), c.patchId());
        }
    }

    @Test
    void patchesApartFartherThanTwiceTheToleranceAreNotGrouped() {
        List<ChangePatch> cells = patches();
        // Two cells (20 m) separate the built-up patch from the rings; 2 x 7.5 m does not reach them, 2 x 12 m does.
        List<List<String>> small = new ArrayList<>();
        outlines(cells, layout, 7.5, small);
        assertEquals(3, small.size());
        List<List<String>> large = new ArrayList<>();
        outlines(cells, layout, 12, large);
        assertTrue(large.size() < 3, large.toString());
    }

    @Test
    void neighboursWhoseSharedEdgeIsCutDifferentlyStillShareIt() throws Exception {
        // A rectangle whose east edge is one segment, beside a staircase that meets it along part of that edge only:
        // the simplifier matches edges segment by segment, so both are first given a vertex at every cell corner.
        org.locationtech.jts.io.WKTReader wkt = new org.locationtech.jts.io.WKTReader();
        double x = layout.originX();
        double y = layout.originY() - 400;
        Geometry l = wkt.read(String.format("POLYGON ((%1$f %2$f, %3$f %2$f, %3$f %4$f, %1$f %4$f, %1$f %2$f))",
                x, y, x + 40, y + 100));
        Geometry stairs = wkt.read(String.format("POLYGON ((%1$f %2$f, %3$f %2$f, %3$f %5$f, %4$f %5$f, %4$f %6$f, "
                + "%7$f %6$f, %7$f %8$f, %1$f %8$f, %1$f %2$f))", x + 40, y + 20, x + 70, x + 60, y + 30, y + 40, x + 50,
                y + 50));
        List<ChangePatch> two = List.of(patch("CPa", l), patch("CPb", stairs));
        PatchOutlines.Result r = PatchOutlines.simplify(two, layout, 7.5);
        assertFalse(r.keptCellEdges());
        Geometry[] out = {r.patches().get(0).geometry(), r.patches().get(1).geometry()};
        for (Geometry invalid : CoverageValidator.validate(out, CELL)) {
            assertNull(invalid);
        }
        assertEquals(out[0].getArea() + out[1].getArea(), CoverageUnion.union(geometryCollection(out)).getArea(), 1e-6);
        assertTrue(out[1].getNumPoints() < stairs.getNumPoints(), out[1].toText());
    }

    @Test
    void aOneCellPatchBesideAnotherStaysASquareAndAThreeCellLAnL() throws Exception {
        // On 30 m Landsat cells the 400 m² mapping unit keeps single cells: a corner of half a cell is half the patch.
        org.locationtech.jts.io.WKTReader wkt = new org.locationtech.jts.io.WKTReader();
        double x = layout.originX() + 100;
        double y = layout.originY() - 400;
        Geometry one = wkt.read(String.format("POLYGON ((%1$f %2$f, %3$f %2$f, %3$f %4$f, %1$f %4$f, %1$f %2$f))",
                x, y, x + 10, y + 10));
        Geometry big = wkt.read(String.format("POLYGON ((%1$f %2$f, %3$f %2$f, %3$f %4$f, %1$f %4$f, %1$f %2$f))",
                x + 10, y - 20, x + 60, y + 30));
        Geometry l = wkt.read(String.format("POLYGON ((%1$f %2$f, %3$f %2$f, %3$f %4$f, %5$f %4$f, %5$f %6$f, "
                + "%1$f %6$f, %1$f %2$f))", x - 100, y, x - 80, y + 10, x - 90, y + 20));
        PatchOutlines.Result r = PatchOutlines.simplify(List.of(patch("CPa", one), patch("CPb", big), patch("CPc", l)),
                layout, 7.5);
        assertFalse(r.keptCellEdges());
        assertEquals(100, r.patches().get(0).geometry().getArea(), 1e-9, r.patches().get(0).geometry().toText());
        assertEquals(300, r.patches().get(2).geometry().getArea(), 1e-9, r.patches().get(2).geometry().toText());
        assertEquals(7, r.patches().get(2).geometry().getNumPoints(), "the L keeps its six corners");
    }

    private static ChangePatch patch(String id, Geometry g) {
        return new ChangePatch(id, org.farmwatch.flag.ChangeType.NON_AGRICULTURAL, "r", LandCover.CROPLAND,
                LandCover.BUILT_UP, g.getArea(), 0.9, "2025-04-15", "2025-09-20", g);
    }

    @Test
    void offIsTheCellEdgesAndAutoFollowsTheCellSize() {
        assertEquals(0, PatchOutlines.tolerance(0, layout));
        assertEquals(22.5, PatchOutlines.tolerance(Double.NaN, new GridLayout("EPSG:32650", 0, 0, 30, 512)), 1e-12);
        assertEquals(5, PatchOutlines.tolerance(5, layout));
    }

    private static List<String> sorted(ChangePatch a, ChangePatch b) {
        return a.patchId().compareTo(b.patchId()) < 0 ? List.of(a.patchId(), b.patchId()) : List.of(b.patchId(), a.patchId());
    }

    private static int holes(Geometry g) {
        int n = 0;
        for (int i = 0; i < g.getNumGeometries(); i++) {
            n += ((Polygon) g.getGeometryN(i)).getNumInteriorRing();
        }
        return n;
    }

    private static Geometry geometryCollection(Geometry[] gs) {
        return gs[0].getFactory().createGeometryCollection(gs);
    }
}
