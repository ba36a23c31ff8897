package org.farmwatch.farmland;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.Vector;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKTReader;

/**
 * The GeoPackage read straight from SQLite ({@link GpkgParcelReader}, behind {@link OgrParcelSource}) against GDAL
 * OGR reading the same file feature by feature: a GeoPackage in EPSG:4490, as land surveys deliver it, of
 * convex, concave, holed and self-intersecting parcels, read in EPSG:4527.
 */
class GpkgParcelReaderTest {

    @TempDir
    Path tmp;

    private static final double LON = 117.0;
    private static final double LAT = 36.5;

    @Test
    void parcelsAreTheOnesOgrReadsWithTheSameCoordinatesAndNearSkipsOnlyParcelsFarFromEveryBox() throws Exception {
        Path file = write(tmp.resolve("farmland.gpkg"), 600, 7);
        OgrParcelSource source = new OgrParcelSource(file.toString(), FieldMapping.DEFAULT);
        source.check("EPSG:4527");
        Map<String, Geometry> ogrRead = readWithOgr(file);
        Envelope all = new Envelope();
        ogrRead.values().forEach(g -> all.expandToInclude(g.getEnvelopeInternal()));
        // A window over part of the parcels.
        Envelope window = new Envelope(all.getMinX(), all.centre().x, all.getMinY(), all.getMaxY());

        Map<String, Parcel> read = new TreeMap<>();
        List<String> rejects = new ArrayList<>();
        try (ParcelSource.Reader r = source.reader("EPSG:4527")) {
            assertTrue(r instanceof GpkgParcelReader, "a local GeoPackage with an R*Tree is read through SQLite");
            r.forEachIn(window, p -> read.put(p.parcelId(), p), rejects::add);
        }
        assertTrue(rejects.isEmpty(), rejects.toString());
        int expected = 0;
        for (Map.Entry<String, Geometry> e : ogrRead.entrySet()) {
            if (!e.getValue().getEnvelopeInternal().intersects(window)) {
                assertFalse(read.containsKey(e.getKey()), e.getKey() + " lies outside the window");
                continue;
            }
            expected++;
            Parcel p = read.get(e.getKey());
            assertTrue(p != null, "parcel " + e.getKey() + " is read");
            Geometry want = ParcelGeometry.polygonal(e.getValue());
            // Bit for bit: the same WKB doubles through the same PROJ transformation.
            assertArrayEquals(coordinates(want), coordinates(p.geometry()), "coordinates of " + e.getKey());
            assertEquals(want.getArea(), p.geometry().getArea(), 0.0, "area of " + e.getKey());
            assertEquals("0101", p.landClass());
            assertEquals("370100", p.adminCode());
        }
        assertEquals(expected, read.size());
        assertTrue(expected > 100, "the window holds many parcels: " + expected);

        // Near a few boxes: every parcel whose box meets one comes, and far fewer than the window holds.
        Random rnd = new Random(3);
        List<Envelope> near = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            double x = window.getMinX() + rnd.nextDouble() * window.getWidth();
            double y = window.getMinY() + rnd.nextDouble() * window.getHeight();
            near.add(new Envelope(x, x + 20 + rnd.nextDouble() * 200, y, y + 20 + rnd.nextDouble() * 200));
        }
        Map<String, Parcel> nearRead = new HashMap<>();
        long seen;
        try (ParcelSource.Reader r = source.reader("EPSG:4527")) {
            seen = r.forEachNear(window, near, p -> nearRead.put(p.parcelId(), p), rejects::add);
        }
        assertTrue(rejects.isEmpty(), rejects.toString());
        assertEquals(expected, seen, "every parcel of the window is counted, skipped or not");
        int mustCome = 0;
        for (Parcel p : read.values()) {
            if (near.stream().anyMatch(b -> b.intersects(p.geometry().getEnvelopeInternal()))) {
                mustCome++;
                assertTrue(nearRead.containsKey(p.parcelId()), "parcel " + p.parcelId() + " meets a box and comes");
                assertArrayEquals(coordinates(p.geometry()), coordinates(nearRead.get(p.parcelId()).geometry()));
            }
        }
        assertTrue(mustCome > 0, "the boxes meet some parcels");
        assertTrue(nearRead.size() < read.size() / 2, "parcels far from every box are skipped: " + nearRead.size()
                + " of " + read.size());
    }

    @Test
    void aPointAmongParcelsIsRejectedEvenFarFromEveryBox() throws Exception {
        Path file = write(tmp.resolve("with-point.gpkg"), 50, 11);
        DataSource ds = ogr.Open(file.toString(), 1);
        Layer l = ds.GetLayer(0);
        Feature f = new Feature(l.GetLayerDefn());
        f.SetField("TBBH", "POINT-1");
        f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (" + LON + " " + LAT + ")"));
        l.CreateFeature(f);
        f.delete();
        ds.delete();
        OgrParcelSource source = new OgrParcelSource(file.toString(), FieldMapping.DEFAULT);
        SpatialReference lonLat = SceneCatalog.srs("EPSG:4490");
        double[] at = CoordinateTransformation.CreateCoordinateTransformation(lonLat, SceneCatalog.srs("EPSG:4527"))
                .TransformPoint(LON, LAT);
        Envelope window = new Envelope(at[0] - 5000, at[0] + 5000, at[1] - 5000, at[1] + 5000);
        List<String> rejects = new ArrayList<>();
        List<String> read = new ArrayList<>();
        try (ParcelSource.Reader r = source.reader("EPSG:4527")) {
            // One box far from the point and from the parcels.
            r.forEachNear(window, List.of(new Envelope(at[0] + 4000, at[0] + 4100, at[1] - 4100, at[1] - 4000)),
                    p -> read.add(p.parcelId()), rejects::add);
        }
        assertTrue(read.isEmpty(), "no parcel meets the box: " + read);
        assertEquals(1, rejects.size(), rejects.toString());
        assertTrue(rejects.get(0).contains("POINT-1") && rejects.get(0).contains("not a polygon"), rejects.get(0));
    }

    @Test
    void theConvexShortCutAgreesWithJtsValidity() throws Exception {
        WKTReader wkt = new WKTReader();
        // Convex, clockwise or not, with a straight run: valid, and taken by the short-cut.
        for (String s : List.of("POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))", "POLYGON((0 0, 0 10, 10 10, 10 0, 0 0))",
                "POLYGON((0 0, 5 0, 10 0, 10 10, 0 0))")) {
            assertTrue(ParcelGeometry.convexPolygon(wkt.read(s)), s);
        }
        // A pentagram turns one way but goes around twice; a bow-tie, a spike, a repeated point and a hole are left
        // to the full check.
        for (String s : List.of("POLYGON((0 0, 2 6, 4 0, -1 4, 5 4, 0 0))", "POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))",
                "POLYGON((0 0, 10 0, 10 10, 10 20, 10 10, 0 10, 0 0))", "POLYGON((0 0, 10 0, 10 0, 10 10, 0 10, 0 0))",
                "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))")) {
            assertFalse(ParcelGeometry.convexPolygon(wkt.read(s)), s);
        }
        // Random rings: whatever the short-cut takes, JTS finds valid.
        Random rnd = new Random(5);
        GeometryFactory gf = new GeometryFactory();
        int taken = 0;
        for (int i = 0; i < 20000; i++) {
            int n = 3 + rnd.nextInt(6);
            Coordinate[] c = new Coordinate[n + 1];
            for (int k = 0; k < n; k++) {
                c[k] = new Coordinate(500000 + rnd.nextInt(20), 4000000 + rnd.nextInt(20));
            }
            c[n] = c[0].copy();
            Geometry g;
            try {
                g = gf.createPolygon(c);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (ParcelGeometry.convexPolygon(g)) {
                taken++;
                assertTrue(g.isValid(), g.toText());
            }
        }
        assertTrue(taken > 100, "random rings include convex ones: " + taken);
    }

    private static double[] coordinates(Geometry g) {
        Coordinate[] c = g.getCoordinates();
        double[] out = new double[2 * c.length];
        for (int i = 0; i < c.length; i++) {
            out[2 * i] = c[i].x;
            out[2 * i + 1] = c[i].y;
        }
        return out;
    }

    /** Parcels ids P0..; most quadrilaterals, some concave, holed or self-intersecting, about 100 m across. */
    private static Path write(Path file, int count, long seed) {
        Gdal.init();
        DataSource ds = ogr.GetDriverByName("GPKG").CreateDataSource(file.toString());
        SpatialReference srs = new SpatialReference();
        srs.ImportFromEPSG(4490);
        Layer l = ds.CreateLayer("farmland", srs, ogr.wkbPolygon, new Vector<>());
        for (String name : List.of("TBBH", "ZLDWDM", "ZLDWMC", "DLBM")) {
            l.CreateField(new FieldDefn(name, ogr.OFTString));
        }
        Random rnd = new Random(seed);
        l.StartTransaction();
        for (int i = 0; i < count; i++) {
            double x = LON + (i % 30) * 0.0012 + rnd.nextDouble() * 2e-4;
            double y = LAT + (i / 30) * 0.0010 + rnd.nextDouble() * 2e-4;
            double w = 4e-4 + rnd.nextDouble() * 5e-4;
            double h = 3e-4 + rnd.nextDouble() * 5e-4;
            String ring = x + " " + y + ", " + (x + w) + " " + (y + rnd.nextDouble() * 1e-4) + ", " + (x + w) + " "
                    + (y + h) + ", " + x + " " + (y + h) + ", " + x + " " + y;
            String geom = switch (i % 10) {
                case 7 -> "POLYGON((" + x + " " + y + ", " + (x + w) + " " + y + ", " + (x + w / 2) + " " + (y + h / 3)
                        + ", " + (x + w) + " " + (y + h) + ", " + x + " " + (y + h) + ", " + x + " " + y + "))";
                case 8 -> "POLYGON((" + ring + "), (" + (x + w / 4) + " " + (y + h / 4) + ", " + (x + w / 4) + " "
                        + (y + h / 2) + ", " + (x + w / 2) + " " + (y + h / 2) + ", " + (x + w / 4) + " " + (y + h / 4) + "))";
                case 9 -> "POLYGON((" + x + " " + y + ", " + (x + w) + " " + (y + h) + ", " + (x + w) + " " + y + ", " + x
                        + " " + (y + h) + ", " + x + " " + y + "))";
                default -> "POLYGON((" + ring + "))";
            };
            Feature f = new Feature(l.GetLayerDefn());
            f.SetField("TBBH", "P" + i);
            f.SetField("ZLDWDM", "370100");
            f.SetField("ZLDWMC", "town");
            f.SetField("DLBM", "0101");
            f.SetGeometry(ogr.CreateGeometryFromWkt(geom));
            l.CreateFeature(f);
            f.delete();
        }
        l.CommitTransaction();
        ds.delete();
        return file;
    }

    /** Every feature as GDAL OGR gives it, transformed to EPSG:4527 feature by feature. */
    private static Map<String, Geometry> readWithOgr(Path file) throws Exception {
        DataSource ds = ogr.Open(file.toString(), 0);
        Map<String, Geometry> out = new TreeMap<>();
        try {
            Layer l = ds.GetLayer(0);
            SpatialReference src = l.GetSpatialRef();
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            CoordinateTransformation ct = CoordinateTransformation.CreateCoordinateTransformation(src,
                    SceneCatalog.srs("EPSG:4527"));
            WKBReader reader = new WKBReader();
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                org.gdal.ogr.Geometry g = f.GetGeometryRef();
                g.Transform(ct);
                out.put(f.GetFieldAsString("TBBH"), reader.read(g.ExportToWkb()));
                f.delete();
            }
        } finally {
            ds.delete();
        }
        return out;
    }
}
