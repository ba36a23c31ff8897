package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.index.strtree.STRtree;

/**
 * A parcel of 1,000,000 vertices (a wavy disc 4 km across) under 400 small patches, inside it and across its
 * edge: the overlay bounds its work (the parcel is subdivided once, as ST_Subdivide does) and finds the same areas
 * as a direct intersection.
 */
class MillionVertexParcelOverlayTest {

    private final GeometryFactory gf = new GeometryFactory();
    private final GridLayout layout = new GridLayout("EPSG:4527", 0, 10240, 10, 512);

    private Polygon wavyDisc(int vertices, double cx, double cy, double r) {
        Coordinate[] ring = new Coordinate[vertices + 1];
        for (int i = 0; i < vertices; i++) {
            double a = 2 * Math.PI * i / vertices;
            double rr = r + 3 * Math.sin(a * 997);
            ring[i] = new Coordinate(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
        }
        ring[vertices] = ring[0];
        return gf.createPolygon(ring);
    }

    /** An L of three 10 m cells (not convex, as most vectorized patches): the cells [x, x+20] x [y, y+10] and [x, x+10] x [y+10, y+20]. */
    private ChangePatch ell(String id, double x, double y) {
        Geometry g = gf.createPolygon(new Coordinate[] {new Coordinate(x, y), new Coordinate(x + 20, y),
            new Coordinate(x + 20, y + 10), new Coordinate(x + 10, y + 10), new Coordinate(x + 10, y + 20),
            new Coordinate(x, y + 20), new Coordinate(x, y)});
        return new ChangePatch(id, ChangeType.NON_AGRICULTURAL, "non_agricultural", LandCover.CROPLAND,
                LandCover.BUILT_UP, g.getArea(), 0.9, "2025-04-15", "2025-09-20", g);
    }

    /** The area of {@code parcel} inside the L at (x, y), from its two rectangles clipped on their own. */
    private double ellArea(Geometry parcel, double x, double y) {
        Geometry a = gf.toGeometry(new org.locationtech.jts.geom.Envelope(x, x + 20, y, y + 10));
        Geometry b = gf.toGeometry(new org.locationtech.jts.geom.Envelope(x, x + 10, y + 10, y + 20));
        return ConvexClip.area(parcel, ConvexClip.convexRing(a)) + ConvexClip.area(parcel, ConvexClip.convexRing(b));
    }

    @Test
    void aMillionVertexParcelIsOverlaidInBoundedTimeWithExactAreas() throws Exception {
        Polygon disc = wavyDisc(1_000_000, 2560, 2560 + 5120, 2000);
        Parcel parcel = new Parcel("P-1M", "370112001", "镇", "0101", disc);
        List<ChangePatch> patches = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            for (int j = 0; j < 50; j++) {
                // 2,500 Ls on an 88 m grid: inside the disc, and across its wavy edge on the outer ring.
                patches.add(ell(i + "-" + j, 2560 - 2180 + i * 88.3, 5120 + 2560 - 2180 + j * 88.3));
            }
        }
        TileKey tile = new TileKey(0, 0);
        STRtree index = ParcelOverlay.index(patches);
        ParcelOverlay overlay = new ParcelOverlay(layout, Settings.defaults().rules());
        List<ParcelHit> hits = new ArrayList<>();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream console = System.err;
        long t0 = System.nanoTime();
        System.setErr(new java.io.PrintStream(err, true, "UTF-8"));
        try {
            // Bounded: one cut of the outline (about 10 s on an idle machine, 60 s on a loaded one), then each patch
            // meets pieces of at most 1,024 vertices, whatever the outline's OverlayNG would have had to fall back to.
            assertTimeoutPreemptively(Duration.ofSeconds(300), () -> overlay.overlay(tile, index, parcel, hits::add));
        } finally {
            System.setErr(console);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("[overlay] 1,000,000-vertex parcel, %d patches: %d hits in %.1f s%n", patches.size(),
                hits.size(), seconds);
        assertTrue(err.toString("UTF-8").contains("parcel P-1M has 1,000,001 vertices: cut into"),
                "a progress line says what the overlay is doing: " + err);
        Map<String, Double> byPatch = new HashMap<>();
        hits.forEach(h -> byPatch.put(h.patchId(), h.areaM2()));
        int acrossEdge = 0;
        for (int i = 0; i < 50; i++) {
            for (int j = (17 - i % 17) % 17; j < 50; j += 17) {
                // A sample of 150 patches: each reference clips the whole outline twice.
                double expected = ellArea(disc, 2560 - 2180 + i * 88.3, 5120 + 2560 - 2180 + j * 88.3);
                double got = byPatch.getOrDefault(i + "-" + j, 0.0);
                assertEquals(expected, got, 1e-6 * Math.max(1, expected), i + "-" + j);
                acrossEdge += expected > 0 && expected < 299.999 ? 1 : 0;
            }
        }
        assertTrue(acrossEdge > 0, "some checked patches lie across the parcel's edge");
        assertTrue(hits.size() > 1200, "hits: " + hits.size());
    }

    @Test
    void theSubdivisionCoversTheParcelWithSmallPieces() {
        Polygon disc = wavyDisc(50_000, 0, 0, 500);
        List<Geometry> pieces = ParcelOverlay.subdivide(disc, 1024);
        assertTrue(pieces.size() >= 50, "pieces: " + pieces.size());
        double area = 0;
        for (Geometry p : pieces) {
            assertTrue(p.getNumPoints() <= 1100, "a piece of " + p.getNumPoints() + " vertices");
            area += p.getArea();
        }
        assertEquals(disc.getArea(), area, 1e-6 * disc.getArea());
    }
}
