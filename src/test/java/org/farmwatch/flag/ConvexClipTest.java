package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.io.WKTReader;
import org.locationtech.jts.operation.overlayng.OverlayNG;
import org.locationtech.jts.operation.overlayng.OverlayNGRobust;

/** The clipping short-cut against JTS's full overlay, at Gauss–Krüger coordinates (x near 39.5 million). */
class ConvexClipTest {

    private final GeometryFactory gf = new GeometryFactory();
    private final WKTReader wkt = new WKTReader();

    private static double overlayArea(Geometry a, Geometry b) {
        return OverlayNGRobust.overlay(a, b, OverlayNG.INTERSECTION).getArea();
    }

    /** A random simple star-shaped polygon (often concave) around (cx, cy). */
    private Polygon star(Random r, double cx, double cy, double radius) {
        int n = 5 + r.nextInt(8);
        double[] angles = new double[n];
        for (int i = 0; i < n; i++) {
            angles[i] = 2 * Math.PI * (i + 0.2 + 0.6 * r.nextDouble()) / n;
        }
        Coordinate[] c = new Coordinate[n + 1];
        for (int i = 0; i < n; i++) {
            double rr = radius * (0.5 + 0.5 * r.nextDouble());
            c[i] = new Coordinate(cx + rr * Math.cos(angles[i]), cy + rr * Math.sin(angles[i]));
        }
        c[n] = c[0];
        return gf.createPolygon(c);
    }

    /** A random convex quadrilateral, clockwise or not. */
    private Polygon quad(Random r, double cx, double cy, double size, boolean clockwise) {
        double w = size * (0.5 + r.nextDouble());
        double h = size * (0.5 + r.nextDouble());
        double skew = size * 0.2 * (r.nextDouble() - 0.5);
        Coordinate[] c = {new Coordinate(cx - w, cy - h), new Coordinate(cx + w, cy - h + skew),
                new Coordinate(cx + w + skew, cy + h), new Coordinate(cx - w, cy + h), null};
        if (clockwise) {
            Coordinate t = c[1];
            c[1] = c[3];
            c[3] = t;
        }
        c[4] = c[0];
        return gf.createPolygon(c);
    }

    @Test
    void concaveAndConvexRingsAreToldApart() throws Exception {
        assertNotNull(ConvexClip.convexRing(wkt.read("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))")));
        assertNotNull(ConvexClip.convexRing(wkt.read("POLYGON ((0 0, 0 10, 10 10, 10 0, 0 0))")));
        // A collinear vertex does not make a ring concave.
        assertNotNull(ConvexClip.convexRing(wkt.read("POLYGON ((0 0, 5 0, 10 0, 10 10, 0 10, 0 0))")));
        assertNull(ConvexClip.convexRing(wkt.read("POLYGON ((0 0, 10 0, 5 2, 10 10, 0 10, 0 0))")));
        assertNull(ConvexClip.convexRing(wkt.read("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))")));
        assertNull(ConvexClip.convexRing(wkt.read(
                "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))")));
    }

    @Test
    void clippedAreasMatchTheFullOverlayOnRandomPairs() {
        Random r = new Random(5);
        int met = 0;
        int found = 0;
        for (int i = 0; i < 3000; i++) {
            double cx = 39_500_000 + r.nextDouble() * 10_000;
            double cy = 4_000_000 + r.nextDouble() * 10_000;
            Polygon parcel = quad(r, cx, cy, 100, r.nextBoolean());
            Polygon patch = star(r, cx + (r.nextDouble() - 0.5) * 300, cy + (r.nextDouble() - 0.5) * 300,
                    20 + r.nextDouble() * 150);
            double[] ring = ConvexClip.convexRing(parcel);
            assertNotNull(ring, parcel.toText());
            double expected = overlayArea(parcel, patch);
            double clipped = ConvexClip.area(patch, ring);
            assertEquals(expected, clipped, 1e-6 * Math.max(1, expected), "parcel " + parcel + " patch " + patch);
            if (expected > 0) {
                met++;
                // The tile-edge owner point, when the short-cut finds one, lies inside the intersection.
                Coordinate inside = ConvexClip.pointInside(patch, ring, parcel);
                if (inside != null) {
                    Geometry meet = OverlayNGRobust.overlay(parcel, patch, OverlayNG.INTERSECTION);
                    assertEquals(true, meet.contains(gf.createPoint(inside)), "point " + inside + " of " + meet);
                    found++;
                }
            }
        }
        // The draw really exercised intersections, not only disjoint pairs.
        assertEquals(true, met > 1000, "pairs that met: " + met);
        assertEquals(true, found > met / 2, "owner points found by the short-cut: " + found + " of " + met);
    }

    @Test
    void holesAndSeveralPolygonsOfTheSubjectCount() throws Exception {
        Geometry parcel = wkt.read("POLYGON ((39500000 4000000, 39500100 4000000, 39500100 4000100, 39500000 4000100, "
                + "39500000 4000000))");
        Geometry patch = wkt.read("MULTIPOLYGON (((39499950 3999950, 39500050 3999950, 39500050 4000050, "
                + "39499950 4000050, 39499950 3999950), (39500010 4000010, 39500020 4000010, 39500020 4000020, "
                + "39500010 4000020, 39500010 4000010)), ((39500080 4000080, 39500200 4000080, 39500200 4000200, "
                + "39500080 4000200, 39500080 4000080)))");
        double expected = 50 * 50 - 10 * 10 + 20 * 20;
        assertEquals(expected, overlayArea(parcel, patch), 1e-6);
        assertEquals(expected, ConvexClip.area(patch, ConvexClip.convexRing(parcel)), 1e-6);
    }
}
