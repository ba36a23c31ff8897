package org.farmwatch.farmland;

import java.util.List;
import org.gdal.osr.CoordinateTransformation;
import org.locationtech.jts.geom.CoordinateSequence;
import org.locationtech.jts.geom.CoordinateSequenceFactory;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.io.ByteOrderValues;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;

/**
 * The per-feature work of an import, for one worker thread: parses a feature's geometry, repairs it
 * ({@link ParcelRepair}), transforms it to the storage CRS with the thread's own GDAL transformation (they are not
 * thread-safe) and writes it as EWKB, or says why the feature is rejected. The duplicate check is the caller's.
 */
final class ParcelPreparer {
    /** One feature after the per-feature work: kept (with its EWKB) or rejected (with the reason). */
    record Prepared(ParcelFileReader.SourceFeature feature, RejectReason reason, String detail, boolean repaired,
                            byte[] ewkb) {}


    private final WKBReader wkbReader;
    private final WKBWriter ewkb = new WKBWriter(2, ByteOrderValues.LITTLE_ENDIAN, true);
    private final CoordinateTransformation ct;
    private final GeometryFactory storageFactory;
    private final String storageCrs;

    ParcelPreparer(GeometryFactory storageFactory, CoordinateTransformation ct, String storageCrs) {
        // Source geometries carry the storage SRID, which they keep when no transform is needed.
        this.wkbReader = new WKBReader(storageFactory);
        this.storageFactory = storageFactory;
        this.ct = ct;
        this.storageCrs = storageCrs;
    }

    /** Parses, repairs, transforms and checks one feature; the duplicate check is the caller's. */
    Prepared prepare(ParcelFileReader.SourceFeature f, String noIdDetail) {
        if (f.parcelId() == null) {
            return new Prepared(f, RejectReason.NO_PARCEL_ID, noIdDetail, false, null);
        }
        Geometry g = null;
        if (f.wkb() != null) {
            try {
                g = wkbReader.read(f.wkb());
            } catch (ParseException | RuntimeException e) {
                return new Prepared(f, RejectReason.UNREADABLE_GEOMETRY, String.valueOf(e.getMessage()), false, null);
            }
        }
        ParcelRepair.Outcome outcome = ParcelRepair.repair(g);
        if (!outcome.accepted()) {
            return new Prepared(f, outcome.reason(), outcome.detail(), false, null);
        }
        boolean repaired = outcome.status() == ParcelRepair.Status.REPAIRED;
        MultiPolygon stored = outcome.geometry();
        if (ct != null) {
            try {
                stored = transform(stored, ct, storageFactory);
            } catch (RuntimeException e) {
                return new Prepared(f, RejectReason.TRANSFORM_FAILED, String.valueOf(e.getMessage()), false, null);
            }
            if (!stored.isValid()) {
                // Rare: a transform that makes a nearly degenerate ring cross itself.
                MultiPolygon fixed = ParcelRepair.fix(stored);
                if (fixed == null) {
                    return new Prepared(f, RejectReason.UNREPAIRABLE, "invalid after the transform to "
                            + storageCrs, false, null);
                }
                repaired = true;
                stored = fixed;
            }
        }
        return new Prepared(f, null, null, repaired, ewkb.write(stored));
    }

    /**
     * {@code g} (source CRS) transformed by {@code ct} into {@code factory}'s CRS, ring by ring, in one call to PROJ.
     *
     * @throws IllegalArgumentException when a coordinate has no finite image
     */
    static MultiPolygon transform(MultiPolygon g, CoordinateTransformation ct, GeometryFactory factory) {
        double[][] points = new double[g.getNumPoints()][];
        int k = 0;
        for (int p = 0; p < g.getNumGeometries(); p++) {
            Polygon poly = (Polygon) g.getGeometryN(p);
            for (int r = -1; r < poly.getNumInteriorRing(); r++) {
                CoordinateSequence seq = (r < 0 ? poly.getExteriorRing() : poly.getInteriorRingN(r)).getCoordinateSequence();
                for (int i = 0; i < seq.size(); i++) {
                    points[k++] = new double[] {seq.getX(i), seq.getY(i)};
                }
            }
        }
        ct.TransformPoints(points);
        CoordinateSequenceFactory csf = factory.getCoordinateSequenceFactory();
        Polygon[] polygons = new Polygon[g.getNumGeometries()];
        k = 0;
        for (int p = 0; p < g.getNumGeometries(); p++) {
            Polygon poly = (Polygon) g.getGeometryN(p);
            LinearRing shell = null;
            LinearRing[] holes = new LinearRing[poly.getNumInteriorRing()];
            for (int r = -1; r < poly.getNumInteriorRing(); r++) {
                int n = (r < 0 ? poly.getExteriorRing() : poly.getInteriorRingN(r)).getNumPoints();
                CoordinateSequence seq = csf.create(n, 2);
                for (int i = 0; i < n; i++, k++) {
                    double x = points[k][0];
                    double y = points[k][1];
                    if (!Double.isFinite(x) || !Double.isFinite(y)) {
                        throw new IllegalArgumentException("no image for a vertex in " + g.getEnvelopeInternal());
                    }
                    seq.setOrdinate(i, 0, x);
                    seq.setOrdinate(i, 1, y);
                }
                LinearRing ring = factory.createLinearRing(seq);
                if (r < 0) {
                    shell = ring;
                } else {
                    holes[r] = ring;
                }
            }
            polygons[p] = factory.createPolygon(shell, holes);
        }
        return factory.createMultiPolygon(polygons);
    }

    /** Worker threads for the per-feature work: the cores, at most 4 (the reader and the COPY need some too). */
    static int workerThreads() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** A batch's outcome, rethrowing a worker's failure as it was. */
    static List<Prepared> take(java.util.concurrent.Future<List<Prepared>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while importing", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

}
