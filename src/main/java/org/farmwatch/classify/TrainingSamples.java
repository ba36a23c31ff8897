package org.farmwatch.classify;

import java.io.Serializable;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FeatureDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.Point;
import org.locationtech.jts.geom.Puntal;
import org.locationtech.jts.geom.prep.PreparedGeometry;
import org.locationtech.jts.geom.prep.PreparedGeometryFactory;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;

/**
 * Labelled training samples in a vector file (GeoPackage, or anything OGR reads; {@code path#layer}
 * picks a layer): points or polygons whose label field holds a GB/T 21010 code or a class name. Per
 * tile window they are burnt into a label raster on the working grid (a point labels the cell it falls
 * in, a polygon the cells whose centre it contains), so only each tile's samples are read, on the
 * executor that handles the tile.
 */
public final class TrainingSamples implements Serializable {

    /** Label fields looked for, first match wins (case-insensitive), unless one is named. */
    public static final List<String> LABEL_FIELDS = List.of("class", "class_code", "land_class", "DLBM", "code", "label");

    private final String path;
    private final String layerName;
    private final String labelField;
    private final ClassCodes codes;

    /** What {@link #check} found: the samples' extent in the working CRS, and features per class. */
    public record Summary(Envelope extent, Map<LandCover, Long> features, String labelField) {}

    /**
     * @param source     file path, optionally with {@code #layer}
     * @param labelField the label field, or null to look for one of {@link #LABEL_FIELDS}
     */
    public TrainingSamples(String source, String labelField, ClassCodes codes) {
        int hash = source.lastIndexOf('#');
        this.path = hash > 0 ? source.substring(0, hash) : source;
        this.layerName = hash > 0 ? source.substring(hash + 1) : null;
        this.labelField = labelField;
        this.codes = codes;
    }

    public String describe() {
        return layerName == null ? path : path + "#" + layerName;
    }

    /**
     * Reads every sample's label (attributes only) and the layer's extent.
     *
     * @throws FarmwatchException an input error naming the file, the field or the first label that maps to no class
     */
    public Summary check(String workingCrs) {
        DataSource ds = open();
        try {
            Layer l = layer(ds);
            int field = labelIndex(l);
            SpatialReference src = l.GetSpatialRef();
            if (src == null) {
                throw FarmwatchException.input("samples " + describe() + " have no CRS");
            }
            Map<LandCover, Long> counts = new EnumMap<>(LandCover.class);
            l.SetIgnoredFields(new java.util.Vector<>(List.of("OGR_GEOMETRY")));
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                try {
                    String v = f.IsFieldSetAndNotNull(field) ? f.GetFieldAsString(field) : "";
                    LandCover c = codes.ofLabel(v);
                    if (c == null) {
                        throw FarmwatchException.input("samples " + describe() + ": feature " + f.GetFID() + " has label '" + v
                                + "', which is neither a class name nor a GB/T 21010 code of the class.<name>.codes keys");
                    }
                    counts.merge(c, 1L, Long::sum);
                } finally {
                    f.delete();
                }
            }
            if (counts.isEmpty()) {
                throw FarmwatchException.input("samples " + describe() + " hold no feature");
            }
            double[] ext = l.GetExtent(true);
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            CoordinateTransformation ct = CoordinateTransformation.CreateCoordinateTransformation(src, SceneCatalog.srs(workingCrs));
            double[] b = new double[4];
            ct.TransformBounds(b, ext[0], ext[2], ext[1], ext[3], 21);
            return new Summary(new Envelope(b[0], b[2], b[1], b[3]), counts, l.GetLayerDefn().GetFieldDefn(field).GetName());
        } finally {
            ds.delete();
        }
    }

    /**
     * Burns the samples over a window into {@code out} (row-major, {@code size} × {@code size} cells of
     * {@code cell} metres whose top-left corner is the window's), as {@link LandCover#id}; 0 where no sample.
     */
    public void labels(Envelope window, int size, double cell, String workingCrs, byte[] out) {
        java.util.Arrays.fill(out, (byte) 0);
        DataSource ds = open();
        try {
            Layer l = layer(ds);
            int field = labelIndex(l);
            SpatialReference src = l.GetSpatialRef();
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            SpatialReference dst = SceneCatalog.srs(workingCrs);
            CoordinateTransformation toSrc = CoordinateTransformation.CreateCoordinateTransformation(dst, src);
            CoordinateTransformation toWork = CoordinateTransformation.CreateCoordinateTransformation(src, dst);
            double[] b = new double[4];
            toSrc.TransformBounds(b, window.getMinX(), window.getMinY(), window.getMaxX(), window.getMaxY(), 21);
            l.SetSpatialFilterRect(b[0], b[1], b[2], b[3]);
            WKBReader reader = new WKBReader(new GeometryFactory());
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                try {
                    LandCover c = codes.ofLabel(f.IsFieldSetAndNotNull(field) ? f.GetFieldAsString(field) : "");
                    org.gdal.ogr.Geometry og = f.GetGeometryRef();
                    if (c == null || og == null) {
                        continue;
                    }
                    org.gdal.ogr.Geometry work = og.Clone();
                    work.Transform(toWork);
                    Geometry g = reader.read(work.ExportToWkb());
                    work.delete();
                    burn(g, c.id, window, size, cell, out);
                } catch (ParseException e) {
                    throw FarmwatchException.input("samples " + describe() + ": feature " + f.GetFID()
                            + " has an unreadable geometry");
                } finally {
                    f.delete();
                }
            }
        } finally {
            ds.delete();
        }
    }

    private static void burn(Geometry g, byte id, Envelope window, int size, double cell, byte[] out) {
        if (g instanceof Puntal) {
            for (int i = 0; i < g.getNumGeometries(); i++) {
                Point p = (Point) g.getGeometryN(i);
                int col = (int) Math.floor((p.getX() - window.getMinX()) / cell);
                int row = (int) Math.floor((window.getMaxY() - p.getY()) / cell);
                if (col >= 0 && col < size && row >= 0 && row < size) {
                    out[row * size + col] = id;
                }
            }
            return;
        }
        if (g.getDimension() < 2) {
            return; // lines label nothing
        }
        PreparedGeometry pg = PreparedGeometryFactory.prepare(g);
        Envelope e = g.getEnvelopeInternal();
        int c0 = Math.max(0, (int) Math.floor((e.getMinX() - window.getMinX()) / cell));
        int c1 = Math.min(size - 1, (int) Math.floor((e.getMaxX() - window.getMinX()) / cell));
        int r0 = Math.max(0, (int) Math.floor((window.getMaxY() - e.getMaxY()) / cell));
        int r1 = Math.min(size - 1, (int) Math.floor((window.getMaxY() - e.getMinY()) / cell));
        GeometryFactory gf = g.getFactory();
        for (int r = r0; r <= r1; r++) {
            double y = window.getMaxY() - (r + 0.5) * cell;
            for (int c = c0; c <= c1; c++) {
                double x = window.getMinX() + (c + 0.5) * cell;
                if (pg.contains(gf.createPoint(new org.locationtech.jts.geom.Coordinate(x, y)))) {
                    out[r * size + c] = id;
                }
            }
        }
    }

    private DataSource open() {
        Gdal.init();
        if (!Files.exists(java.nio.file.Path.of(path))) {
            throw FarmwatchException.input("samples not found: " + path);
        }
        DataSource ds;
        try {
            ds = ogr.Open(path, 0);
        } catch (RuntimeException e) {
            ds = null;
        }
        if (ds == null) {
            throw FarmwatchException.input("samples " + path + " are not a vector file GDAL can read");
        }
        return ds;
    }

    private Layer layer(DataSource ds) {
        if (layerName != null) {
            Layer l = ds.GetLayerByName(layerName);
            if (l == null) {
                throw FarmwatchException.input("samples " + path + " have no layer '" + layerName + "'");
            }
            return l;
        }
        for (int i = 0; i < ds.GetLayerCount(); i++) {
            if (ds.GetLayer(i).GetGeomType() != ogr.wkbNone) {
                return ds.GetLayer(i);
            }
        }
        throw FarmwatchException.input("samples " + path + " have no layer with geometry");
    }

    private int labelIndex(Layer l) {
        FeatureDefn d = l.GetLayerDefn();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < d.GetFieldCount(); i++) {
            names.add(d.GetFieldDefn(i).GetName());
        }
        List<String> wanted = labelField != null ? List.of(labelField) : LABEL_FIELDS;
        for (String w : wanted) {
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).toLowerCase(Locale.ROOT).equals(w.toLowerCase(Locale.ROOT))) {
                    return i;
                }
            }
        }
        throw FarmwatchException.input("samples " + describe() + " have no label field " + (labelField != null
                ? "'" + labelField + "'" : "(looked for " + String.join(", ", LABEL_FIELDS) + ")") + "; fields: " + names);
    }
}
