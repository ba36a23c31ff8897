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
        Geometry fixed = g.isValid() ? g : GeometryFixer.fix(g);
        List<Polygon> polys = new ArrayList<>();
        PolygonExtracter.getPolygons(fixed, polys);
        polys.removeIf(p -> p.isEmpty() || p.getArea() <= 0);
        if (polys.isEmpty()) {
            return null;
        }
        return polys.size() == 1 ? polys.get(0) : g.getFactory().buildGeometry(polys);
    }
}
