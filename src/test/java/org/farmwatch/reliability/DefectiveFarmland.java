package org.farmwatch.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Geometry;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.CoordinateTransformation;

/**
 * The demo farmland with defects added over the converted parcels of a scene: a self-intersecting
 * (bow-tie) parcel, an exact duplicate feature, a second parcel reusing a converted parcel's id, a
 * polygon whose hole lies outside its shell, an unclosed ring, a zero-area polygon, a point, an
 * empty and a null geometry.
 *
 * @param bowtieId the id of the bow-tie parcel, drawn over a converted parcel
 * @param sharedId the id that two different parcels carry
 */
record DefectiveFarmland(Path path, String bowtieId, String sharedId, List<String> convertedInScene) {

    static DefectiveFarmland write(Path gpkg, Path scene) throws IOException {
        Gdal.init();
        Files.copy(Fixtures.SAMPLE_FARMLAND, gpkg);
        // Parcels with a planted conversion (truth.csv: parcel_id,change_type).
        List<String> lines = Files.readAllLines(Path.of("sample-tiles/truth.csv"));
        List<String> truth = lines.subList(1, lines.size()).stream().map(l -> l.split(",")[0]).toList();
        double[] win = sceneWindow(scene);
        CoordinateTransformation toScene = CoordinateTransformation.CreateCoordinateTransformation(
                SceneCatalog.srs("EPSG:4490"), SceneCatalog.srs("EPSG:4527"));
        DataSource ds = ogr.Open(gpkg.toString(), 1);
        Layer l = ds.GetLayer(0);
        Map<String, Geometry> converted = new LinkedHashMap<>();
        Feature f;
        l.ResetReading();
        while ((f = l.GetNextFeature()) != null) {
            String id = f.GetFieldAsString("TBBH");
            if (truth.contains(id)) {
                Geometry g = f.GetGeometryRef().Clone();
                Geometry c = g.Centroid();
                c.AssignSpatialReference(null);
                double[] p = toScene.TransformPoint(c.GetX(), c.GetY());
                // Well inside the window, so that the halo and clouds do not matter.
                if (p[0] > win[0] + 500 && p[0] < win[2] - 500 && p[1] > win[1] + 500 && p[1] < win[3] - 500) {
                    converted.put(id, g);
                }
            }
            f.delete();
        }
        if (converted.size() < 3) {
            throw new IllegalStateException("need three converted parcels inside " + scene + ", found " + converted.keySet());
        }
        List<String> ids = new ArrayList<>(converted.keySet());
        Geometry a = converted.get(ids.get(0));
        Geometry b = converted.get(ids.get(1));
        Geometry c = converted.get(ids.get(2));
        double[] e = new double[4];
        a.GetEnvelope(e); // minX, maxX, minY, maxY (lon, lat)
        l.StartTransaction();
        String bowtie = "BOWTIE-" + ids.get(0);
        add(l, bowtie, wkt("POLYGON((%s %s,%s %s,%s %s,%s %s,%s %s))", e[0], e[2], e[1], e[3], e[1], e[2], e[0], e[3],
                e[0], e[2]));
        // An exact duplicate of a converted parcel: same id, same geometry.
        add(l, ids.get(1), b.Clone());
        // Another converted parcel's id on a different parcel's geometry.
        add(l, ids.get(2), a.Clone());
        double[] ce = new double[4];
        c.GetEnvelope(ce);
        double w = ce[1] - ce[0];
        // A hole outside its shell.
        add(l, "HOLE-OUTSIDE", wkt("POLYGON((%s %s,%s %s,%s %s,%s %s),(%s %s,%s %s,%s %s,%s %s))",
                ce[0], ce[2], ce[1], ce[2], ce[1], ce[3], ce[0], ce[2],
                ce[0] + 3 * w, ce[2], ce[0] + 4 * w, ce[2], ce[0] + 4 * w, ce[3], ce[0] + 3 * w, ce[2]));
        // A ring that does not close.
        Geometry open = new Geometry(ogr.wkbPolygon);
        Geometry ring = new Geometry(ogr.wkbLinearRing);
        ring.AddPoint_2D(ce[0], ce[2]);
        ring.AddPoint_2D(ce[1], ce[2]);
        ring.AddPoint_2D(ce[1], ce[3]);
        ring.AddPoint_2D(ce[0], ce[3]);
        open.AddGeometry(ring);
        add(l, "UNCLOSED", open);
        add(l, "ZERO-AREA", wkt("POLYGON((%s %s,%s %s,%s %s,%s %s))", ce[0], ce[2], ce[1], ce[3],
                (ce[0] + ce[1]) / 2, (ce[2] + ce[3]) / 2, ce[0], ce[2]));
        add(l, "POINT", wkt("POINT(%s %s)", (ce[0] + ce[1]) / 2, (ce[2] + ce[3]) / 2));
        add(l, "EMPTY", new Geometry(ogr.wkbPolygon));
        add(l, "NULL", null);
        l.CommitTransaction();
        ds.delete();
        return new DefectiveFarmland(gpkg, bowtie, ids.get(2), ids);
    }

    private static Geometry wkt(String fmt, double... v) {
        Object[] s = new Object[v.length];
        for (int i = 0; i < v.length; i++) {
            s[i] = String.format(Locale.ROOT, "%.9f", v[i]);
        }
        return ogr.CreateGeometryFromWkt(String.format(Locale.ROOT, fmt, s));
    }

    private static void add(Layer l, String id, Geometry g) {
        Feature f = new Feature(l.GetLayerDefn());
        f.SetField("TBBH", id);
        f.SetField("ZLDWMC", "defects");
        f.SetField("DLBM", "0103");
        if (g != null) {
            f.SetGeometry(g);
        }
        l.CreateFeature(f);
        f.delete();
    }

    /** minX, minY, maxX, maxY of a scene folder's B04 band, in EPSG:4527. */
    private static double[] sceneWindow(Path scene) throws IOException {
        Dataset d = gdal.Open(Fixtures.band(scene, "B04").toString());
        double[] gt = d.GetGeoTransform();
        double[] w = {gt[0], gt[3] + gt[5] * d.getRasterYSize(), gt[0] + gt[1] * d.getRasterXSize(), gt[3]};
        d.delete();
        return w;
    }

    /** Each flagged_parcels row of these ids: "id changed_area_m2=... changed_share=... polygon_m2=..." (share 0-1). */
    static List<String> flaggedRows(Path onemap, List<String> ids) {
        Gdal.init();
        DataSource ds = ogr.Open(onemap.toString());
        try {
            Layer l = ds.GetLayerByName("flagged_parcels");
            List<String> rows = new ArrayList<>();
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                String id = f.GetFieldAsString("parcel_id");
                if (ids.contains(id)) {
                    rows.add(String.format(Locale.ROOT, "%s changed_area_m2=%.0f changed_share=%.3f polygon_m2=%.0f", id,
                            f.GetFieldAsDouble("changed_area_m2"), f.GetFieldAsDouble("changed_share_pct") / 100,
                            f.GetGeometryRef().GetArea()));
                }
                f.delete();
            }
            return rows;
        } finally {
            ds.delete();
        }
    }

    /** parcel_id of each row of the flagged_parcels layer, with how many rows carry it. */
    static Map<String, Integer> flaggedIds(Path onemap) {
        Gdal.init();
        DataSource ds = ogr.Open(onemap.toString());
        try {
            Layer l = ds.GetLayerByName("flagged_parcels");
            Map<String, Integer> ids = new LinkedHashMap<>();
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                ids.merge(f.GetFieldAsString("parcel_id"), 1, Integer::sum);
                f.delete();
            }
            return ids;
        } finally {
            ds.delete();
        }
    }
}
