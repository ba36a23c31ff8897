package org.farmwatch.farmland;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
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
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;

/**
 * Farmland parcels in a file GDAL's OGR reads: GeoPackage, Shapefile (also zipped), FlatGeobuf or
 * GeoJSON; {@code path#layer} picks a layer. Each call opens the file afresh, so one instance can be
 * shipped to every executor; the bounding-box filter uses the file's spatial index where it has one.
 */
public final class OgrParcelSource implements ParcelSource {

    private final String path;
    private final String layerName;
    private final FieldMapping mapping;

    public OgrParcelSource(String spec, FieldMapping mapping) {
        int hash = spec.lastIndexOf('#');
        String file = hash > 0 ? spec.substring(0, hash) : spec;
        // Executors resolve paths from their own working folders: ship an absolute path.
        this.path = file.startsWith("/vsi") ? file : Path.of(file).toAbsolutePath().normalize().toString();
        this.layerName = hash > 0 ? spec.substring(hash + 1) : null;
        this.mapping = mapping;
    }

    @Override
    public String describe() {
        return path + (layerName == null ? "" : "#" + layerName);
    }

    private String gdalPath() {
        String lower = path.toLowerCase();
        // A zipped Shapefile is read in place through GDAL's /vsizip/.
        return lower.endsWith(".zip") ? "/vsizip/" + Path.of(path).toAbsolutePath() : path;
    }

    private DataSource open() {
        Gdal.init();
        if (!Files.exists(Path.of(path))) {
            throw FarmwatchException.input("farmland source not found: " + path);
        }
        DataSource ds;
        try {
            ds = ogr.Open(gdalPath(), 0);
        } catch (RuntimeException e) {
            ds = null;
        }
        if (ds == null) {
            throw FarmwatchException.input("farmland source " + path + " is not a vector file GDAL can read");
        }
        return ds;
    }

    private Layer layer(DataSource ds) {
        Layer l = null;
        if (layerName != null) {
            l = ds.GetLayerByName(layerName);
            if (l == null) {
                throw FarmwatchException.input("farmland source " + path + " has no layer '" + layerName + "'");
            }
        } else {
            for (int i = 0; i < ds.GetLayerCount() && l == null; i++) {
                Layer cand = ds.GetLayer(i);
                if (cand.GetGeomType() != ogr.wkbNone) {
                    l = cand;
                }
            }
            if (l == null) {
                throw FarmwatchException.input("farmland source " + path + " has no layer with geometry");
            }
        }
        return l;
    }

    private record Fields(int id, int admin, int township, int landClass) {}

    private Fields fields(Layer l) {
        FeatureDefn d = l.GetLayerDefn();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < d.GetFieldCount(); i++) {
            names.add(d.GetFieldDefn(i).GetName());
        }
        String id = FieldMapping.pick(mapping.parcelId(), names);
        return new Fields(id == null ? -1 : d.GetFieldIndex(id), index(d, mapping.adminCode(), names),
                index(d, mapping.township(), names), index(d, mapping.landClass(), names));
    }

    private static int index(FeatureDefn d, List<String> candidates, List<String> names) {
        String f = FieldMapping.pick(candidates, names);
        return f == null ? -1 : d.GetFieldIndex(f);
    }

    @Override
    public SourceSummary check(String workingCrs) {
        DataSource ds = open();
        try {
            Layer l = layer(ds);
            SpatialReference src = l.GetSpatialRef();
            if (src == null) {
                throw FarmwatchException.input("farmland source " + describe() + " has no CRS");
            }
            long n = l.GetFeatureCount(1);
            if (n == 0) {
                throw FarmwatchException.input("farmland source " + describe() + " has no parcels");
            }
            double[] ext = l.GetExtent(true);
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            CoordinateTransformation ct = CoordinateTransformation.CreateCoordinateTransformation(src, SceneCatalog.srs(workingCrs));
            Envelope env = new Envelope();
            for (int i = 0; i <= 8; i++) {
                double fx = ext[0] + (ext[1] - ext[0]) * i / 8;
                double fy = ext[2] + (ext[3] - ext[2]) * i / 8;
                for (double[] p : new double[][] {{fx, ext[2]}, {fx, ext[3]}, {ext[0], fy}, {ext[1], fy}}) {
                    double[] t = ct.TransformPoint(p[0], p[1]);
                    env.expandToInclude(t[0], t[1]);
                }
            }
            String auth = src.GetAuthorityCode(null);
            return new SourceSummary(n, env, auth == null ? src.GetName() : src.GetAuthorityName(null) + ":" + auth);
        } finally {
            ds.delete();
        }
    }

    /** The parcels' CRS authority code, or its name. */
    @Override
    public void forEachIn(Envelope extent, String workingCrs, Consumer<Parcel> sink, Consumer<String> rejects) {
        DataSource ds = open();
        try {
            Layer l = layer(ds);
            Fields f = fields(l);
            SpatialReference src = l.GetSpatialRef();
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            SpatialReference dst = SceneCatalog.srs(workingCrs);
            CoordinateTransformation toSrc = CoordinateTransformation.CreateCoordinateTransformation(dst, src);
            CoordinateTransformation toWork = CoordinateTransformation.CreateCoordinateTransformation(src, dst);
            double[] b = new double[4];
            toSrc.TransformBounds(b, extent.getMinX(), extent.getMinY(), extent.getMaxX(), extent.getMaxY(), 21);
            l.SetSpatialFilterRect(b[0], b[1], b[2], b[3]);
            WKBReader reader = new WKBReader();
            Feature feat;
            while ((feat = l.GetNextFeature()) != null) {
                try {
                    String id = f.id() >= 0 ? feat.GetFieldAsString(f.id()) : Long.toString(feat.GetFID());
                    org.gdal.ogr.Geometry og = feat.GetGeometryRef();
                    if (og == null || og.IsEmpty()) {
                        rejects.accept("parcel " + id + ": no geometry");
                        continue;
                    }
                    org.gdal.ogr.Geometry work = og.Clone();
                    work.Transform(toWork);
                    Geometry g = reader.read(work.ExportToWkb());
                    work.delete();
                    if (!g.getEnvelopeInternal().intersects(extent)) {
                        continue;
                    }
                    g = ParcelGeometry.polygonal(g);
                    if (g == null) {
                        rejects.accept("parcel " + id + ": geometry is not a polygon and cannot be repaired");
                        continue;
                    }
                    sink.accept(new Parcel(id, text(feat, f.admin()), text(feat, f.township()), text(feat, f.landClass()), g));
                } catch (ParseException | RuntimeException e) {
                    rejects.accept("parcel fid " + feat.GetFID() + ": " + e.getMessage());
                } finally {
                    feat.delete();
                }
            }
        } finally {
            ds.delete();
        }
    }

    private static String text(Feature f, int idx) {
        return idx >= 0 && f.IsFieldSetAndNotNull(idx) ? f.GetFieldAsString(idx).trim() : "";
    }
}
