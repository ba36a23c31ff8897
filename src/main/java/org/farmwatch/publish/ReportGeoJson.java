package org.farmwatch.publish;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.farmwatch.flag.FlaggedParcel;
import org.locationtech.jts.algorithm.Orientation;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.CoordinateSequence;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.util.PolygonExtracter;

/** The report map's data: flagged parcels as a GeoJSON FeatureCollection (see {@link ReportPage#featureCollection}). */
final class ReportGeoJson {

    private ReportGeoJson() {}

    static String featureCollection(List<FlaggedParcel> parcels, Function<Geometry, Geometry> toLonLat) {
        Objects.requireNonNull(parcels, "parcels");
        Objects.requireNonNull(toLonLat, "toLonLat");
        StringBuilder j = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
        for (int i = 0; i < parcels.size(); i++) {
            FlaggedParcel p = parcels.get(i);
            if (i > 0) {
                j.append(',');
            }
            j.append("{\"type\":\"Feature\",\"id\":").append(ReportPage.jsonString(p.parcelId())).append(",\"geometry\":");
            Geometry g = p.geometry() == null || p.geometry().isEmpty() ? null : toLonLat.apply(p.geometry());
            appendGeometry(j, g, p.parcelId());
            j.append(",\"properties\":{");
            for (ListColumn<FlaggedParcel> c : InspectorLists.COLUMNS) {
                j.append(ReportPage.jsonString(ReportPage.propertyName(c))).append(':');
                Object cell = c.cell(p);
                j.append(cell instanceof BigDecimal d ? d.toPlainString()
                        : cell == null ? "null" : ReportPage.jsonString((String) cell)).append(',');
            }
            j.append("\"from_classes\":").append(ReportPage.jsonString(p.fromClasses()))
                    .append(",\"to_classes\":").append(ReportPage.jsonString(p.toClasses())).append("}}");
        }
        return j.append("]}").toString();
    }

    private static void appendGeometry(StringBuilder j, Geometry g, String parcelId) {
        List<Polygon> polygons = new ArrayList<>();
        if (g != null) {
            for (Object o : PolygonExtracter.getPolygons(g)) {
                if (!((Polygon) o).isEmpty()) {
                    polygons.add((Polygon) o);
                }
            }
        }
        if (polygons.isEmpty()) {
            j.append("null");
        } else if (polygons.size() == 1 && !(g instanceof MultiPolygon)) {
            j.append("{\"type\":\"Polygon\",\"coordinates\":");
            appendPolygon(j, polygons.get(0), parcelId);
            j.append('}');
        } else {
            j.append("{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (int i = 0; i < polygons.size(); i++) {
                if (i > 0) {
                    j.append(',');
                }
                appendPolygon(j, polygons.get(i), parcelId);
            }
            j.append("]}");
        }
    }

    private static void appendPolygon(StringBuilder j, Polygon p, String parcelId) {
        j.append('[');
        appendRing(j, p.getExteriorRing(), true, parcelId);
        for (int i = 0; i < p.getNumInteriorRing(); i++) {
            j.append(',');
            appendRing(j, p.getInteriorRingN(i), false, parcelId);
        }
        j.append(']');
    }

    /** RFC 7946 §3.1.6: outer rings anticlockwise, holes clockwise. */
    private static void appendRing(StringBuilder j, LinearRing ring, boolean outer, String parcelId) {
        CoordinateSequence seq = ring.getCoordinateSequence();
        int n = seq.size();
        boolean reverse = n >= 4 && Orientation.isCCW(seq) != outer;
        j.append('[');
        for (int k = 0; k < n; k++) {
            Coordinate c = seq.getCoordinate(reverse ? n - 1 - k : k);
            if (!(c.x >= -180 && c.x <= 180 && c.y >= -90 && c.y <= 90)) {
                throw new IllegalArgumentException("parcel " + parcelId + ": coordinate (" + c.x + ", " + c.y
                        + ") is not longitude, latitude in degrees; does toLonLat transform from the working CRS?");
            }
            if (k > 0) {
                j.append(',');
            }
            j.append('[').append(degrees(c.x)).append(',').append(degrees(c.y)).append(']');
        }
        j.append(']');
    }

    private static String degrees(double v) {
        return Double.toString(Math.rint(v * 1e7) / 1e7);
    }

    // ---- escaping ----
}
