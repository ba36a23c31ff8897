package org.farmwatch.farmland;

import java.util.ArrayList;
import java.util.List;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.util.GeometryFixer;
import org.locationtech.jts.geom.util.PolygonExtracter;

/** Repairs parcel geometry where that is safe: invalid rings are fixed by JTS, and only the polygons are kept. */
public final class ParcelGeometry {
    private ParcelGeometry() {}

    /** The polygonal part of {@code g}, repaired if invalid; null if nothing polygonal with area remains. */
    public static Geometry polygonal(Geometry g) {
        if (convexPolygon(g)) {
            return g; // valid for sure: the full check, costlier than the overlay of most parcels, is spared
        }
        Geometry fixed = g.isValid() ? g : GeometryFixer.fix(g);
        List<Polygon> polys = new ArrayList<>();
        PolygonExtracter.getPolygons(fixed, polys);
        polys.removeIf(p -> p.isEmpty() || p.getArea() <= 0);
        if (polys.isEmpty()) {
            return null;
        }
        return polys.size() == 1 ? polys.get(0) : g.getFactory().buildGeometry(polys);
    }

    /**
     * True for one polygon without holes whose closed shell of finite coordinates turns one way only (straight runs
     * aside, never back) and goes around once: its edges' x and y directions each change sign at most twice. Such a shell is
     * simple and convex, so the polygon is valid and has area; most survey parcels are of this kind.
     */
    static boolean convexPolygon(Geometry g) {
        if (!(g instanceof Polygon p) || p.getNumInteriorRing() > 0 || p.isEmpty()) {
            return false;
        }
        org.locationtech.jts.geom.CoordinateSequence c = p.getExteriorRing().getCoordinateSequence();
        int n = c.size() - 1;
        if (n < 3 || c.getX(0) != c.getX(n) || c.getY(0) != c.getY(n)) {
            return false;
        }
        int turn = 0;
        int[] sx = new int[n];
        int[] sy = new int[n];
        for (int i = 0; i < n; i++) {
            int b = i + 1;
            int d = (i + 2) % n;
            double ex = c.getX(b) - c.getX(i);
            double ey = c.getY(b) - c.getY(i);
            if (!Double.isFinite(ex) || !Double.isFinite(ey)) {
                return false;
            }
            double fx = c.getX(d) - c.getX(b);
            double fy = c.getY(d) - c.getY(b);
            double cross = ex * fy - ey * fx;
            int s = cross > 0 ? 1 : cross < 0 ? -1 : 0;
            if (s == 0 && ex * fx + ey * fy <= 0) {
                return false; // turns back on itself, or a repeated point: left to the full check
            }
            if (s != 0) {
                if (turn != 0 && s != turn) {
                    return false;
                }
                turn = s;
            }
            sx[i] = ex > 0 ? 1 : ex < 0 ? -1 : 0;
            sy[i] = ey > 0 ? 1 : ey < 0 ? -1 : 0;
        }
        return turn != 0 && flips(sx) <= 2 && flips(sy) <= 2;
    }

    /** How often the signs change going once around, zeros skipped. */
    private static int flips(int[] signs) {
        int first = 0;
        int last = 0;
        int flips = 0;
        for (int s : signs) {
            if (s == 0) {
                continue;
            }
            if (first == 0) {
                first = s;
            } else if (s != last) {
                flips++;
            }
            last = s;
        }
        return first != 0 && last != first ? flips + 1 : flips;
    }
}
