package org.farmwatch.farmland;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Vector;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FeatureDefn;
import org.gdal.ogr.Geometry;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;

/**
 * Streams the features of one layer of a vector file that GDAL's OGR reads (GeoPackage, Shapefile, FlatGeobuf,
 * GeoJSON, ...), with the fields the {@link FieldMapping} picks. A {@code .zip} (a zipped Shapefile, a
 * {@code .gpkg.zip}) is read in place through {@code /vsizip/}; {@code path#layer} picks a layer, which a file
 * with several geometry layers needs. A parcel id candidate may name the layer's FID column (the BRP GeoPackage's
 * {@code id}), and then the feature id is the parcel id.
 *
 * <p>Not thread-safe: one reader, one thread. Close it to release the GDAL data source.
 */
final class ParcelFileReader implements AutoCloseable {

    /**
     * One feature as read.
     *
     * @param wkb    the geometry as 2D linear WKB (curves linearized, Z and M dropped) for JTS; null without one
     * @param rawWkb the geometry as ISO WKB, exactly as read, for the rejects table; null without one
     */
    record SourceFeature(long fid, String parcelId, String adminCode, String township, String landClass,
                         byte[] wkb, byte[] rawWkb) {}

    private final String spec;
    private final DataSource dataSource;
    private final Layer layer;
    private final SpatialReference crs;
    private final String crsName;
    private final List<String> fieldNames;
    private final String idField;
    private final boolean idIsFid;
    private final int idIndex;
    private final int adminIndex;
    private final int townshipIndex;
    private final int landClassIndex;
    private final String mappedFields;

    private ParcelFileReader(String spec, DataSource dataSource, Layer layer, SpatialReference crs, String crsName,
            List<String> fieldNames, String idField, boolean idIsFid, int idIndex, int adminIndex, int townshipIndex,
            int landClassIndex, String mappedFields) {
        this.spec = spec;
        this.dataSource = dataSource;
        this.layer = layer;
        this.crs = crs;
        this.crsName = crsName;
        this.fieldNames = fieldNames;
        this.idField = idField;
        this.idIsFid = idIsFid;
        this.idIndex = idIndex;
        this.adminIndex = adminIndex;
        this.townshipIndex = townshipIndex;
        this.landClassIndex = landClassIndex;
        this.mappedFields = mappedFields;
    }

    /**
     * Opens {@code spec} ({@code path} or {@code path#layer}).
     *
     * @param sourceCrs null: the layer's own CRS; else a CRS GDAL understands (EPSG:4527), which replaces it
     * @throws FarmwatchException INPUT when the file is missing, unreadable, has no CRS or no parcel id field;
     *                            USAGE when the layer is ambiguous or missing, or {@code sourceCrs} is not a CRS
     */
    static ParcelFileReader open(String spec, FieldMapping mapping, String sourceCrs) {
        Gdal.init();
        int hash = spec.lastIndexOf('#');
        String path = hash > 0 ? spec.substring(0, hash) : spec;
        String layerName = hash > 0 ? spec.substring(hash + 1) : null;
        String gdalPath;
        if (path.startsWith("/vsi")) {
            gdalPath = path;
        } else {
            if (!Files.exists(Path.of(path))) {
                throw FarmwatchException.input("farmland file not found: " + path);
            }
            // A zipped Shapefile or a .gpkg.zip is read in place.
            gdalPath = path.toLowerCase(Locale.ROOT).endsWith(".zip") ? "/vsizip/" + Path.of(path).toAbsolutePath() : path;
        }
        DataSource ds;
        try {
            ds = ogr.Open(gdalPath, 0);
        } catch (RuntimeException e) {
            throw FarmwatchException.input("farmland file " + path + " is not a vector file GDAL can read: " + e.getMessage(), e);
        }
        if (ds == null) {
            throw FarmwatchException.input("farmland file " + path + " is not a vector file GDAL can read");
        }
        try {
            Layer layer = layer(ds, path, layerName);
            SpatialReference crs = crs(layer, spec, sourceCrs);

            FeatureDefn defn = layer.GetLayerDefn();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < defn.GetFieldCount(); i++) {
                names.add(defn.GetFieldDefn(i).GetName());
            }
            String fidColumn = layer.GetFIDColumn() == null ? "" : layer.GetFIDColumn();
            List<String> idCandidates = new ArrayList<>(names);
            if (!fidColumn.isEmpty() && FieldMapping.pick(List.of(fidColumn), names) == null) {
                idCandidates.add(fidColumn);
            }
            String idField = FieldMapping.pick(mapping.parcelId(), idCandidates);
            if (idField == null) {
                throw FarmwatchException.input("farmland file " + spec + " has no parcel id field: looked for "
                        + String.join(", ", mapping.parcelId()) + "; it has "
                        + (idCandidates.isEmpty() ? "no fields" : String.join(", ", idCandidates))
                        + " (name the id field as parcel_id = FIELD in a --mapping file)");
            }
            boolean idIsFid = !names.contains(idField);
            String admin = FieldMapping.pick(mapping.adminCode(), names);
            String township = FieldMapping.pick(mapping.township(), names);
            String landClass = FieldMapping.pick(mapping.landClass(), names);

            // Only the mapped fields are parsed.
            Vector<String> ignored = new Vector<>();
            for (String n : names) {
                if (!n.equals(idField) && !n.equals(admin) && !n.equals(township) && !n.equals(landClass)) {
                    ignored.add(n);
                }
            }
            ignored.add("OGR_STYLE");
            try {
                layer.SetIgnoredFields(ignored);
            } catch (RuntimeException e) {
                // A driver that cannot ignore fields reads them all.
            }
            layer.ResetReading();
            String mapped = "parcel_id=" + idField + (idIsFid ? " (feature id)" : "") + ", admin_code=" + orNone(admin)
                    + ", township=" + orNone(township) + ", land_class=" + orNone(landClass);
            return new ParcelFileReader(spec, ds, layer, crs, crsName(crs), List.copyOf(names), idField, idIsFid,
                    idIsFid ? -1 : defn.GetFieldIndex(idField), index(defn, admin), index(defn, township),
                    index(defn, landClass), mapped);
        } catch (RuntimeException e) {
            ds.delete();
            throw e;
        }
    }

    private static Layer layer(DataSource ds, String path, String layerName) {
        List<String> geometryLayers = new ArrayList<>();
        List<String> all = new ArrayList<>();
        Layer only = null;
        for (int i = 0; i < ds.GetLayerCount(); i++) {
            Layer l = ds.GetLayer(i);
            all.add(l.GetName());
            if (layerName != null && l.GetName().equals(layerName)) {
                return l;
            }
            if (l.GetGeomType() != ogr.wkbNone) {
                geometryLayers.add(l.GetName());
                only = l;
            }
        }
        if (layerName != null) {
            throw FarmwatchException.usage("farmland file " + path + " has no layer '" + layerName + "' (layers: "
                    + (all.isEmpty() ? "none" : String.join(", ", all)) + ")");
        }
        if (geometryLayers.isEmpty()) {
            throw FarmwatchException.input("farmland file " + path + " has no layer with geometry");
        }
        if (geometryLayers.size() > 1) {
            throw FarmwatchException.usage("farmland file " + path + " has several geometry layers ("
                    + String.join(", ", geometryLayers) + "); pick one with " + path + "#LAYER");
        }
        return only;
    }

    private static SpatialReference crs(Layer layer, String spec, String sourceCrs) {
        SpatialReference crs;
        if (sourceCrs != null) {
            crs = new SpatialReference();
            try {
                crs.SetFromUserInput(sourceCrs);
            } catch (RuntimeException e) {
                throw FarmwatchException.usage("--source-crs is not a CRS GDAL knows: " + sourceCrs);
            }
        } else {
            SpatialReference own = layer.GetSpatialRef();
            if (own == null) {
                throw FarmwatchException.input("farmland file " + spec + " has no CRS (a Shapefile without .prj?); "
                        + "give it with --source-crs, such as --source-crs EPSG:4527");
            }
            crs = own.Clone();
        }
        crs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
        return crs;
    }

    /** {@code EPSG:28992} when GDAL can tell, else the CRS's name. */
    private static String crsName(SpatialReference crs) {
        String name = authority(crs);
        if (name != null) {
            return name;
        }
        SpatialReference probe = crs.Clone();
        try {
            probe.AutoIdentifyEPSG();
            name = authority(probe);
        } catch (RuntimeException e) {
            name = null;
        }
        return name != null ? name : String.valueOf(crs.GetName());
    }

    private static String authority(SpatialReference crs) {
        String auth = crs.GetAuthorityName(null);
        String code = crs.GetAuthorityCode(null);
        return auth != null && code != null ? auth.toUpperCase(Locale.ROOT) + ":" + code : null;
    }

    private static int index(FeatureDefn defn, String field) {
        return field == null ? -1 : defn.GetFieldIndex(field);
    }

    private static String orNone(String field) {
        return field == null ? "(none)" : field;
    }

    /** The layer's CRS (as overridden), axis order east, north. Owned by this reader. */
    SpatialReference crs() {
        return crs;
    }

    /** {@code EPSG:28992}, or the CRS's name when it has no code. */
    String crsName() {
        return crsName;
    }

    /** {@code path#layer} of what is read. */
    String describe() {
        int hash = spec.lastIndexOf('#');
        return (hash > 0 ? spec.substring(0, hash) : spec) + "#" + layer.GetName();
    }

    /** Which source field feeds each parcel attribute, for the log. */
    String mappedFields() {
        return mappedFields;
    }

    /** The layer's attribute field names. */
    List<String> fieldNames() {
        return fieldNames;
    }

    String idField() {
        return idField;
    }

    /** The feature count, or -1 when the driver would have to scan for it. */
    long featureCountIfFast() {
        try {
            return layer.GetFeatureCount(0);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The next feature, or null at the end. */
    SourceFeature next() {
        Feature f = layer.GetNextFeature();
        if (f == null) {
            return null;
        }
        try {
            long fid = f.GetFID();
            String id = idIsFid ? Long.toString(fid) : text(f, idIndex);
            byte[] raw = null;
            byte[] wkb = null;
            Geometry g = f.GetGeometryRef();
            if (g != null) {
                raw = g.ExportToIsoWkb();
                if (!isLinear2D(raw) && (g.HasCurveGeometry() != 0 || g.Is3D() != 0 || g.IsMeasured() != 0)) {
                    Geometry linear = g.HasCurveGeometry() != 0 ? g.GetLinearGeometry() : g.Clone();
                    try {
                        linear.FlattenTo2D();
                        linear.SetMeasured(0);
                        wkb = linear.ExportToIsoWkb();
                    } finally {
                        linear.delete();
                    }
                } else {
                    wkb = raw;
                }
            }
            return new SourceFeature(fid, id, text(f, adminIndex), text(f, townshipIndex), text(f, landClassIndex), wkb, raw);
        } finally {
            f.delete();
        }
    }

    /** The field's text, trimmed, without NUL; null when unmapped, unset, null or blank (GDAL gives "" for those). */
    private static String text(Feature f, int index) {
        if (index < 0) {
            return null;
        }
        String s = f.GetFieldAsString(index);
        if (s == null) {
            return null;
        }
        // PostgreSQL text cannot hold NUL: drop it here, so that duplicate ids are judged as they will be stored.
        s = (s.indexOf('\0') < 0 ? s : s.replace("\0", "")).trim();
        return s.isEmpty() ? null : s;
    }

    /**
     * Whether ISO WKB holds a 2D point, line or polygon, or a multi of them: JTS reads those as they are. Read from
     * the header, which spares three calls into GDAL per feature. A collection may hide curves: it says false.
     */
    static boolean isLinear2D(byte[] wkb) {
        if (wkb.length < 5) {
            return false;
        }
        int type = wkb[0] == 1
                ? (wkb[1] & 0xFF) | (wkb[2] & 0xFF) << 8 | (wkb[3] & 0xFF) << 16 | (wkb[4] & 0xFF) << 24
                : (wkb[4] & 0xFF) | (wkb[3] & 0xFF) << 8 | (wkb[2] & 0xFF) << 16 | (wkb[1] & 0xFF) << 24;
        return type >= 1 && type <= 6;
    }

    @Override
    public void close() {
        dataSource.delete();
    }
}
