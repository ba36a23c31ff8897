package org.farmwatch.flag;

import org.locationtech.jts.algorithm.locate.SimplePointInAreaLocator;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Location;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.LineString;
import org.locationtech.jts.geom.Polygon;

/**
 * The area of a polygon's intersection with a convex polygon, by clipping (Sutherland–Hodgman) instead of a
 * full overlay: most land-survey parcels are convex quadrilaterals, and a parcel is met by many patches.
 * Clipping any simple ring against a convex one leaves at most zero-area bridges, so the shoelace area of
 * the result is the area of the intersection; holes are clipped alike and subtracted. Coordinates are taken
 * relative to the convex ring's first vertex so that projected coordinates in the tens of millions keep
 * their precision.
 */
final class ConvexClip {
    private ConvexClip() {}

    /**
     * The polygon's shell as a counter-clockwise convex ring {@code x0, y0, x1, y1, ...} (not closed) when
     * {@code g} is one polygon without holes whose shell turns one way only; else null.
     */
    static double[] convexRing(Geometry g) {
        if (g instanceof org.locationtech.jts.geom.MultiPolygon m && m.getNumGeometries() == 1) {
            g = m.getGeometryN(0);
        }
        if (!(g instanceof Polygon p) || p.getNumInteriorRing() > 0 || p.isEmpty()) {
            return null;
        }
        Coordinate[] c = p.getExteriorRing().getCoordinates();
        int n = c.length - 1;
        if (n < 3) {
            return null;
        }
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            xy[2 * i] = c[i].x;
            xy[2 * i + 1] = c[i].y;
        }
        int sign = 0;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            int k = (i + 2) % n;
            double cross = (xy[2 * j] - xy[2 * i]) * (xy[2 * k + 1] - xy[2 * j + 1])
                    - (xy[2 * j + 1] - xy[2 * i + 1]) * (xy[2 * k] - xy[2 * j]);
            int s = cross > 0 ? 1 : cross < 0 ? -1 : 0;
            if (s != 0) {
                if (sign != 0 && s != sign) {
                    return null;
                }
                sign = s;
            }
        }
        if (sign == 0) {
            return null;
        }
        if (sign < 0) {
            // Clockwise: reverse to counter-clockwise.
            for (int i = 0, j = n - 1; i < j; i++, j--) {
                double tx = xy[2 * i];
                double ty = xy[2 * i + 1];
                xy[2 * i] = xy[2 * j];
                xy[2 * i + 1] = xy[2 * j + 1];
                xy[2 * j] = tx;
                xy[2 * j + 1] = ty;
            }
        }
        return xy;
    }

    /** {@code ring}'s coordinates less ({@code ox}, {@code oy}): small numbers keep the clipping exact at projected coordinates. */
    private static double[] relativeTo(double[] ring, double ox, double oy) {
        double[] clip = new double[ring.length];
        for (int i = 0; i < ring.length; i += 2) {
            clip[i] = ring[i] - ox;
            clip[i + 1] = ring[i + 1] - oy;
        }
        return clip;
    }

    /** The area of {@code subject} (polygons, with holes) inside the convex counter-clockwise {@code ring}. */
    static double area(Geometry subject, double[] ring) {
        double ox = ring[0];
        double oy = ring[1];
        double[] clip = relativeTo(ring, ox, oy);
        double sum = 0;
        for (int g = 0; g < subject.getNumGeometries(); g++) {
            if (subject.getGeometryN(g) instanceof Polygon p && !p.isEmpty()) {
                sum += clippedArea(p.getExteriorRing(), clip, ox, oy);
                for (int h = 0; h < p.getNumInteriorRing(); h++) {
                    sum -= clippedArea(p.getInteriorRingN(h), clip, ox, oy);
                }
            }
        }
        return sum;
    }

    /**
     * A point of the intersection's interior, worked out from {@code subject} and {@code ring} alone (so every
     * tile finds the same one): the centroid of the subject's shell clipped to the ring, when it lies strictly
     * inside both {@code subject} and {@code convexGeometry} (the ring's polygon); else null (use an overlay).
     */
    static Coordinate pointInside(Geometry subject, double[] ring, Geometry convexGeometry) {
        if (!(subject instanceof Polygon p) || p.isEmpty()) {
            return null;
        }
        double ox = ring[0];
        double oy = ring[1];
        double[] clip = relativeTo(ring, ox, oy);
        double[] pts = clip(p.getExteriorRing(), clip, ox, oy);
        int n = pts.length / 2;
        double a = 0;
        double cx = 0;
        double cy = 0;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            double cross = pts[2 * i] * pts[2 * j + 1] - pts[2 * j] * pts[2 * i + 1];
            a += cross;
            cx += (pts[2 * i] + pts[2 * j]) * cross;
            cy += (pts[2 * i + 1] + pts[2 * j + 1]) * cross;
        }
        if (n < 3 || a == 0) {
            return null;
        }
        Coordinate c = new Coordinate(cx / (3 * a) + ox, cy / (3 * a) + oy);
        // Strictly inside both (not on a boundary), so the point lies in the intersection's interior.
        if (SimplePointInAreaLocator.locate(c, convexGeometry) == Location.INTERIOR
                && SimplePointInAreaLocator.locate(c, subject) == Location.INTERIOR) {
            return c;
        }
        return null;
    }

    private static double clippedArea(LineString ringLine, double[] clip, double ox, double oy) {
        double[] pts = clip(ringLine, clip, ox, oy);
        int n = pts.length / 2;
        double a = 0;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            a += pts[2 * i] * pts[2 * j + 1] - pts[2 * j] * pts[2 * i + 1];
        }
        return Math.abs(a) / 2;
    }

    /** The ring's vertices, relative to (ox, oy), clipped to the relative convex ring {@code clip}. */
    private static double[] clip(LineString ringLine, double[] clip, double ox, double oy) {
        Coordinate[] c = ringLine.getCoordinates();
        int n = c.length - 1;
        double[] pts = new double[2 * n];
        for (int i = 0; i < n; i++) {
            pts[2 * i] = c[i].x - ox;
            pts[2 * i + 1] = c[i].y - oy;
        }
        int m = clip.length / 2;
        for (int e = 0; e < m && n > 0; e++) {
            double ax = clip[2 * e];
            double ay = clip[2 * e + 1];
            double bx = clip[(2 * e + 2) % clip.length];
            double by = clip[(2 * e + 3) % clip.length];
            double ex = bx - ax;
            double ey = by - ay;
            double[] out = new double[2 * (2 * n)];
            int k = 0;
            for (int i = 0; i < n; i++) {
                double px = pts[2 * i];
                double py = pts[2 * i + 1];
                double qx = pts[(2 * i + 2) % (2 * n)];
                double qy = pts[(2 * i + 3) % (2 * n)];
                double sp = ex * (py - ay) - ey * (px - ax);
                double sq = ex * (qy - ay) - ey * (qx - ax);
                if (sp >= 0) {
                    out[k++] = px;
                    out[k++] = py;
                }
                if ((sp >= 0) != (sq >= 0)) {
                    double t = sp / (sp - sq);
                    out[k++] = px + t * (qx - px);
                    out[k++] = py + t * (qy - py);
                }
            }
            pts = out;
            n = k / 2;
        }
        return pts.length == 2 * n ? pts : java.util.Arrays.copyOf(pts, 2 * n);
    }
}
