package org.farmwatch.farmland;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.util.GeometryFixer;
import org.locationtech.jts.geom.util.PolygonExtracter;
import org.locationtech.jts.operation.valid.IsValidOp;
import org.locationtech.jts.operation.valid.TopologyValidationError;

/**
 * Decides what an imported parcel geometry becomes: a valid {@link MultiPolygon}, as it is or repaired, or a
 * rejection with its reason. The repairs are the safe ones:
 * <ul>
 *   <li>polygons are wrapped as a MultiPolygon (not a repair);</li>
 *   <li>empty parts and non-polygonal parts of a collection (a stray point or line) are dropped;</li>
 *   <li>an invalid polygonal geometry (a bow-tie, a self-touching ring, overlapping parts, a hole outside its
 *       shell) is rebuilt by JTS's {@link GeometryFixer}, which keeps every area the rings enclose, and only the
 *       polygons of the result are kept.</li>
 * </ul>
 * A geometry that is null, empty, has no polygon, or of which no polygon with area survives the repair is
 * rejected. Coordinates are not rounded, moved or reprojected here. Stateless.
 */
public final class ParcelRepair {

    private ParcelRepair() {}

    /** What became of one geometry. */
    public enum Status { VALID, REPAIRED, REJECTED }

    /**
     * The outcome of {@link #repair}.
     *
     * @param geometry valid, non-empty, with the input's factory (and SRID); null when rejected
     * @param reason   null unless rejected
     * @param detail   what was wrong, such as JTS's validation error; empty when valid
     */
    public record Outcome(Status status, MultiPolygon geometry, RejectReason reason, String detail) {
        public Outcome {
            Objects.requireNonNull(status, "status");
            detail = detail == null ? "" : detail;
            if ((status == Status.REJECTED) != (geometry == null) || (status == Status.REJECTED) != (reason != null)) {
                throw new IllegalArgumentException("a rejected outcome has a reason and no geometry, others the reverse; got "
                        + status + ", " + reason);
            }
        }

        static Outcome rejected(RejectReason reason, String detail) {
            return new Outcome(Status.REJECTED, null, reason, detail);
        }

        public boolean accepted() {
            return status != Status.REJECTED;
        }
    }

    /** Classifies and, where safe, repairs {@code g}; {@code g} itself is not modified. */
    public static Outcome repair(Geometry g) {
        if (g == null) {
            return Outcome.rejected(RejectReason.NO_GEOMETRY, "");
        }
        if (g.isEmpty()) {
            return Outcome.rejected(RejectReason.EMPTY_GEOMETRY, g.getGeometryType());
        }
        boolean changed = false;
        MultiPolygon polygons;
        if (g instanceof MultiPolygon mp && !hasEmptyPart(mp)) {
            polygons = mp;
        } else if (g instanceof Polygon p) {
            polygons = g.getFactory().createMultiPolygon(new Polygon[] {p});
        } else {
            List<Polygon> parts = new ArrayList<>();
            PolygonExtracter.getPolygons(g, parts);
            parts.removeIf(Geometry::isEmpty);
            if (parts.isEmpty()) {
                return Outcome.rejected(RejectReason.NOT_POLYGONAL, g.getGeometryType());
            }
            polygons = g.getFactory().createMultiPolygon(parts.toArray(Polygon[]::new));
            changed = true;
        }
        IsValidOp validity = new IsValidOp(polygons);
        if (validity.isValid()) {
            return changed ? new Outcome(Status.REPAIRED, polygons, null, "dropped empty or non-polygonal parts of a "
                    + g.getGeometryType()) : new Outcome(Status.VALID, polygons, null, "");
        }
        TopologyValidationError error = validity.getValidationError();
        String detail = error.getMessage() + " at " + point(error);
        MultiPolygon fixed = fix(polygons);
        if (fixed == null) {
            return Outcome.rejected(RejectReason.UNREPAIRABLE, detail);
        }
        return new Outcome(Status.REPAIRED, fixed, null, detail);
    }

    /** {@code g} repaired by GeometryFixer, keeping the polygons with area; null if none remain or the result is invalid. */
    static MultiPolygon fix(Geometry g) {
        Geometry fixed;
        try {
            fixed = GeometryFixer.fix(g);
        } catch (RuntimeException e) {
            return null;
        }
        List<Polygon> parts = new ArrayList<>();
        PolygonExtracter.getPolygons(fixed, parts);
        parts.removeIf(p -> p.isEmpty() || !(p.getArea() > 0));
        if (parts.isEmpty()) {
            return null;
        }
        MultiPolygon result = g.getFactory().createMultiPolygon(parts.toArray(Polygon[]::new));
        return result.isValid() ? result : null;
    }

    private static boolean hasEmptyPart(MultiPolygon mp) {
        for (int i = 0; i < mp.getNumGeometries(); i++) {
            if (mp.getGeometryN(i).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static String point(TopologyValidationError error) {
        return error.getCoordinate() == null ? "?" : "(" + error.getCoordinate().x + " " + error.getCoordinate().y + ")";
    }
}
