package org.farmwatch.farmland;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.HadoopFs;
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
 *
 * <p>Parcel ids that several features carry are found by {@link #check} with one SQL query ({@code GROUP BY}
 * in GDAL's SQLite dialect, so only the repeated ids reach the driver) and travel with the source to the
 * executors; {@link #forEachIn} then passes on only the kept feature of each ({@link DuplicateParcelId}).
 */
public final class OgrParcelSource implements ParcelSource {

    private final String path;
    private final String layerName;
    private final FieldMapping mapping;
    /** Repeated parcel ids and the fid kept for each; null until {@link #check} or the first read found them. */
    private volatile Map<String, DuplicateParcelId> duplicates;
    /** The whole source's unusable features by reason; null until {@link #check} counted them. */
    private volatile RejectTally tally;

    public OgrParcelSource(String spec, FieldMapping mapping) {
        int hash = spec.lastIndexOf('#');
        String file = hash > 0 ? spec.substring(0, hash) : spec;
        // Executors resolve paths from their own working folders: ship an absolute path.
        this.path = file.startsWith("/vsi") || HadoopFs.isUri(file) ? file
                : Path.of(file).toAbsolutePath().normalize().toString();
        this.layerName = hash > 0 ? spec.substring(hash + 1) : null;
        this.mapping = mapping;
    }

    @Override
    public String describe() {
        return path + (layerName == null ? "" : "#" + layerName);
    }

    private static String gdalPath(String local) {
        String lower = local.toLowerCase();
        // A zipped Shapefile is read in place through GDAL's /vsizip/.
        return lower.endsWith(".zip") ? "/vsizip/" + Path.of(local).toAbsolutePath() : local;
    }

    private DataSource open() {
        Gdal.init();
        // A single-file source on a Hadoop file system (hdfs://.../farmland.gpkg) is read from this JVM's local copy.
        String local = HadoopFs.localCopy(path);
        if (!local.startsWith("/vsi") && !Files.exists(Path.of(local))) {
            throw FarmwatchException.input("farmland source not found: " + path);
        }
        DataSource ds;
        try {
            ds = ogr.Open(gdalPath(local), 0);
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
            RejectTally tl = rejectTally();
            if (tl.usable() == 0) {
                throw FarmwatchException.input("farmland source " + describe() + " has no usable parcel: of its "
                        + tl.features() + " features, " + tl.summary());
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
            return new SourceSummary(n, env, auth == null ? src.GetName() : src.GetAuthorityName(null) + ":" + auth,
                    List.copyOf(duplicates(workingCrs).values()));
        } finally {
            ds.delete();
        }
    }

    @Override
    public void forEachIn(Envelope extent, String workingCrs, Consumer<Parcel> sink, Consumer<String> rejects) {
        try (Reader r = reader(workingCrs)) {
            r.forEachIn(extent, sink, rejects);
        }
    }

    /** Opens the file and builds both transformations once, for all the tiles of a task. */
    @Override
    public Reader reader(String workingCrs) {
        DataSource ds = open();
        try {
            Layer l = layer(ds);
            Fields f = fields(l);
            Map<String, DuplicateParcelId> repeated = duplicates(workingCrs);
            Reader direct = gpkgReader(ds, l, f, workingCrs, repeated);
            if (direct != null) {
                ds.delete();
                return direct;
            }
            // Only the mapped fields are decoded.
            FeatureDefn d = l.GetLayerDefn();
            java.util.Vector<String> unused = new java.util.Vector<>();
            for (int i = 0; i < d.GetFieldCount(); i++) {
                if (i != f.id() && i != f.admin() && i != f.township() && i != f.landClass()) {
                    unused.add(d.GetFieldDefn(i).GetName());
                }
            }
            if (!unused.isEmpty()) {
                l.SetIgnoredFields(unused);
            }
            SpatialReference src = l.GetSpatialRef();
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            SpatialReference dst = SceneCatalog.srs(workingCrs);
            CoordinateTransformation toSrc = CoordinateTransformation.CreateCoordinateTransformation(dst, src);
            CoordinateTransformation toWork = CoordinateTransformation.CreateCoordinateTransformation(src, dst);
            WKBReader reader = new WKBReader();
            return new Reader() {
                @Override
                public void forEachIn(Envelope extent, Consumer<Parcel> sink, Consumer<String> rejects) {
                    double[] b = new double[4];
                    toSrc.TransformBounds(b, extent.getMinX(), extent.getMinY(), extent.getMaxX(), extent.getMaxY(), 21);
                    l.SetSpatialFilterRect(b[0], b[1], b[2], b[3]);
                    Feature feat;
                    while ((feat = l.GetNextFeature()) != null) {
                        try {
                            Parcel p = parcel(feat, f, toWork, reader, extent, rejects);
                            DuplicateParcelId dup = p == null ? null : repeated.get(p.parcelId());
                            if (dup != null && dup.keptFid() != feat.GetFID()) {
                                rejects.accept("parcel " + p.parcelId() + " (fid " + feat.GetFID() + "): "
                                        + RejectReason.DUPLICATE_PARCEL_ID.text() + ", " + dup.detail());
                            } else if (p != null) {
                                sink.accept(p);
                            }
                        } finally {
                            feat.delete();
                        }
                    }
                }

                @Override
                public void close() {
                    ds.delete();
                }
            };
        } catch (RuntimeException e) {
            ds.delete();
            throw e;
        }
    }

    /**
     * A reader straight from SQLite ({@link GpkgParcelReader}) when the source is a local GeoPackage layer with an
     * R*Tree index and text or integer fields; else null, and OGR reads it.
     */
    private Reader gpkgReader(DataSource ds, Layer l, Fields f, String workingCrs, Map<String, DuplicateParcelId> repeated) {
        String local = HadoopFs.localCopy(path);
        if (!"GPKG".equals(ds.GetDriver().GetName()) || local.startsWith("/vsi") || l.GetFIDColumn() == null
                || l.GetFIDColumn().isEmpty() || l.GetGeometryColumn() == null || l.GetGeometryColumn().isEmpty()) {
            return null;
        }
        FeatureDefn d = l.GetLayerDefn();
        String[] names = new String[4];
        int[] idx = {f.id(), f.admin(), f.township(), f.landClass()};
        for (int i = 0; i < 4; i++) {
            if (idx[i] < 0) {
                continue;
            }
            int type = d.GetFieldDefn(idx[i]).GetFieldType();
            if (type != ogr.OFTString && type != ogr.OFTInteger && type != ogr.OFTInteger64) {
                return null; // OGR's own text for other types
            }
            names[i] = d.GetFieldDefn(idx[i]).GetName();
        }
        SpatialReference src = l.GetSpatialRef();
        src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
        SpatialReference dst = SceneCatalog.srs(workingCrs);
        boolean same = src.IsSame(dst) == 1;
        try {
            return GpkgParcelReader.open(local, l.GetName(), l.GetFIDColumn(), l.GetGeometryColumn(), names,
                    same ? null : CoordinateTransformation.CreateCoordinateTransformation(src, dst),
                    same ? null : CoordinateTransformation.CreateCoordinateTransformation(dst, src), repeated);
        } catch (java.sql.SQLException e) {
            throw FarmwatchException.input("farmland source " + describe() + " cannot be read as a GeoPackage: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The feature as a parcel in the working CRS; null when it lies outside {@code extent} (when given) or is
     * unusable, which {@code rejects} is told with the reason.
     */
    private Parcel parcel(Feature feat, Fields f, CoordinateTransformation toWork, WKBReader reader, Envelope extent,
                          Consumer<String> rejects) {
        try {
            String id = f.id() >= 0 ? feat.GetFieldAsString(f.id()) : Long.toString(feat.GetFID());
            if (id == null || id.isBlank()) {
                rejects.accept("parcel fid " + feat.GetFID() + ": " + RejectReason.NO_PARCEL_ID.text());
                return null;
            }
            org.gdal.ogr.Geometry og = feat.GetGeometryRef();
            if (og == null || og.IsEmpty()) {
                rejects.accept("parcel " + id + ": no geometry");
                return null;
            }
            // In place: the feature, which owns the geometry, is deleted right after this.
            og.Transform(toWork);
            Geometry g = reader.read(og.ExportToWkb());
            if (extent != null && !g.getEnvelopeInternal().intersects(extent)) {
                return null;
            }
            g = ParcelGeometry.polygonal(g);
            if (g == null) {
                rejects.accept("parcel " + id + ": geometry is not a polygon and cannot be repaired");
                return null;
            }
            return new Parcel(id, text(feat, f.admin()), text(feat, f.township()), text(feat, f.landClass()), g);
        } catch (ParseException | RuntimeException e) {
            rejects.accept("parcel fid " + feat.GetFID() + ": " + e.getMessage());
            return null;
        }
    }

    @Override
    public RejectTally rejectTally() {
        RejectTally known = tally;
        if (known != null) {
            return known;
        }
        DataSource ds = open();
        try {
            tally = tally(layer(ds));
            return tally;
        } finally {
            ds.delete();
        }
    }

    /**
     * One pass over every feature, reading only the id and the geometry's type: no geometry, an empty one, one
     * without a polygon (points, lines), or no parcel id. Invalid polygons are left to the readers, which repair
     * them where safe.
     */
    private RejectTally tally(Layer l) {
        Fields f = fields(l);
        FeatureDefn d = l.GetLayerDefn();
        java.util.Vector<String> unused = new java.util.Vector<>();
        for (int i = 0; i < d.GetFieldCount(); i++) {
            if (i != f.id()) {
                unused.add(d.GetFieldDefn(i).GetName());
            }
        }
        if (!unused.isEmpty()) {
            l.SetIgnoredFields(unused);
        }
        Map<RejectReason, Long> byReason = new java.util.EnumMap<>(RejectReason.class);
        List<Map<String, Object>> listed = new ArrayList<>();
        long features = 0;
        long usable = 0;
        l.ResetReading();
        Feature feat;
        while ((feat = l.GetNextFeature()) != null) {
            try {
                features++;
                String id = f.id() >= 0 ? (feat.IsFieldSetAndNotNull(f.id()) ? feat.GetFieldAsString(f.id()) : null)
                        : Long.toString(feat.GetFID());
                org.gdal.ogr.Geometry og = feat.GetGeometryRef();
                RejectReason why = og == null ? RejectReason.NO_GEOMETRY : og.IsEmpty() ? RejectReason.EMPTY_GEOMETRY
                        : !hasPolygon(og) ? RejectReason.NOT_POLYGONAL
                        : id == null || id.isBlank() ? RejectReason.NO_PARCEL_ID : null;
                if (why == null) {
                    usable++;
                    continue;
                }
                byReason.merge(why, 1L, Long::sum);
                if (listed.size() < RejectTally.MAX_LISTED) {
                    Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("source_fid", feat.GetFID());
                    m.put("parcel_id", id == null ? null : org.farmwatch.util.Text.bounded(id, 200));
                    m.put("reason", why.text());
                    listed.add(m);
                }
            } finally {
                feat.delete();
            }
        }
        return new RejectTally(features, usable, byReason, listed);
    }

    private static boolean hasPolygon(org.gdal.ogr.Geometry g) {
        int t = ogr.GT_Flatten(g.GetGeometryType());
        if (t == ogr.wkbPolygon || t == ogr.wkbMultiPolygon || t == ogr.wkbCurvePolygon || t == ogr.wkbMultiSurface
                || t == ogr.wkbPolyhedralSurface || t == ogr.wkbTIN || t == ogr.wkbTriangle) {
            return true;
        }
        if (t == ogr.wkbGeometryCollection) {
            for (int i = 0; i < g.GetGeometryCount(); i++) {
                if (hasPolygon(g.GetGeometryRef(i))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The parcel ids that several features carry, each with the fid kept: the lowest fid with a usable geometry,
     * as import-farmland keeps it. Found once per source instance; empty when the id is the fid itself.
     */
    private Map<String, DuplicateParcelId> duplicates(String workingCrs) {
        Map<String, DuplicateParcelId> known = duplicates;
        if (known != null) {
            return known;
        }
        // A data source of its own: the SQLite dialect leaves filters on the layers it reads.
        DataSource ds = open();
        try {
            duplicates = duplicates(ds, layer(ds), workingCrs);
            return duplicates;
        } finally {
            ds.delete();
        }
    }

    private Map<String, DuplicateParcelId> duplicates(DataSource ds, Layer l, String workingCrs) {
        Fields f = fields(l);
        if (f.id() < 0) {
            return Map.of();
        }
        String id = quote(l.GetLayerDefn().GetFieldDefn(f.id()).GetName());
        String fidColumn = l.GetFIDColumn() == null || l.GetFIDColumn().isEmpty() ? "rowid" : quote(l.GetFIDColumn());
        String table = quote(l.GetName());
        // Only the rows of repeated ids come back; SQLite groups on disk if it must, not in this JVM.
        // "+ 0": a bare fid column would become the result's FID instead of a field.
        String sql = "SELECT " + fidColumn + " + 0 AS fw_fid, " + id + " AS fw_id FROM " + table + " WHERE " + id
                + " IN (SELECT " + id + " FROM " + table + " WHERE " + id + " IS NOT NULL AND trim(" + id + ") <> '' GROUP BY " + id
                + " HAVING count(*) > 1)";
        Map<String, TreeSet<Long>> fids = new HashMap<>();
        Layer rows;
        try {
            rows = ds.ExecuteSQL(sql, null, "SQLite");
        } catch (RuntimeException e) {
            throw FarmwatchException.input("farmland source " + describe() + ": cannot look for repeated parcel ids ("
                    + e.getMessage() + ")", e);
        }
        try {
            Feature r;
            while (rows != null && (r = rows.GetNextFeature()) != null) {
                fids.computeIfAbsent(r.GetFieldAsString("fw_id"), k -> new TreeSet<>()).add(r.GetFieldAsInteger64("fw_fid"));
                r.delete();
            }
        } finally {
            if (rows != null) {
                ds.ReleaseResultSet(rows);
            }
        }
        Map<String, DuplicateParcelId> found = new TreeMap<>();
        if (!fids.isEmpty()) {
            SpatialReference src = l.GetSpatialRef();
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            CoordinateTransformation toWork = CoordinateTransformation.CreateCoordinateTransformation(src,
                    SceneCatalog.srs(workingCrs));
            WKBReader reader = new WKBReader();
            for (Map.Entry<String, TreeSet<Long>> e : fids.entrySet()) {
                long kept = -1;
                List<Long> others = new ArrayList<>();
                for (long fid : e.getValue()) {
                    if (kept < 0) {
                        Feature feat = l.GetFeature(fid);
                        try {
                            if (feat != null && parcel(feat, f, toWork, reader, null, reason -> { }) != null) {
                                kept = fid;
                                continue;
                            }
                        } finally {
                            if (feat != null) {
                                feat.delete();
                            }
                        }
                    }
                    others.add(fid);
                }
                found.put(e.getKey(), new DuplicateParcelId(e.getKey(), kept, others));
            }
        }
        return found;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String text(Feature f, int idx) {
        return idx >= 0 && f.IsFieldSetAndNotNull(idx) ? f.GetFieldAsString(idx).trim() : "";
    }
}
