package org.farmwatch.util;

import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;

/**
 * Geometries as WKB bytes for Java serialization of the records that carry them (Spark shuffles and cached
 * blocks): JTS's own serialization writes every coordinate as an object, many times slower and larger.
 * Exact: WKB keeps the doubles as they are.
 */
public final class WkbWire {
    private WkbWire() {}

    public static byte[] write(Geometry g) {
        if (g == null) {
            return null;
        }
        boolean z = !g.isEmpty() && !Double.isNaN(g.getCoordinate().getZ());
        return new WKBWriter(z ? 3 : 2).write(g);
    }

    public static Geometry read(byte[] wkb) {
        if (wkb == null) {
            return null;
        }
        try {
            return new WKBReader().read(wkb);
        } catch (ParseException e) {
            throw new IllegalStateException("corrupt serialized geometry: " + e.getMessage(), e);
        }
    }
}
