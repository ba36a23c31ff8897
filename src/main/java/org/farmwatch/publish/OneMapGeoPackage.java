package org.farmwatch.publish;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Vector;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.io.WKBWriter;

/**
 * Writes {@code onemap.gpkg}: the {@code change_patches} and {@code flagged_parcels} layers in the working grid's
 * CRS, streamed from iterators in one transaction per layer, optionally the {@code farmland} layer, and QGIS's
 * {@code layer_styles} table with each layer's default style. The layers carry the fields of {@link OneMapFields},
 * rounded as it says, as the PostGIS current views do: a run's GeoPackage is the one map of that run alone, so each
 * finding's {@code status} is 'open' (until verdicts are imported into it), its first and last sighting are this
 * run's after date, and its {@code last_run_id} is this run's.
 */
public final class OneMapGeoPackage {

    static final String[] PATCH_FIELDS = OneMapFields.names(OneMapFields.PATCHES).toArray(String[]::new);
    static final String[] PARCEL_FIELDS = OneMapFields.names(OneMapFields.PARCELS).toArray(String[]::new);
    static final String[] FARMLAND_FIELDS = OneMapFields.names(OneMapFields.FARMLAND).toArray(String[]::new);

    private OneMapGeoPackage() {}

    /** {@link #write(Path, String, String, Iterator, Iterator)} for a run without an id (tests). */
    public static long[] write(Path gpkg, String crs, Iterator<ChangePatch> patches, Iterator<FlaggedParcel> parcels) {
        return write(gpkg, crs, null, patches, parcels);
    }

    /** Writes both finding layers and their styles for run {@code runId}; returns {patches written, parcels written}. */
    public static long[] write(Path gpkg, String crs, String runId, Iterator<ChangePatch> patches,
                               Iterator<FlaggedParcel> parcels) {
        Gdal.init();
        DataSource ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg.toString());
        if (ds == null) {
            throw new IllegalStateException("cannot create " + gpkg);
        }
        try {
            SpatialReference srs = SceneCatalog.srs(crs);
            WKBWriter wkb = new WKBWriter();
            Layer pl = layer(ds, "change_patches", srs, OneMapFields.PATCHES);
            long np = 0;
            pl.StartTransaction();
            while (patches.hasNext()) {
                ChangePatch p = patches.next();
                Feature f = new Feature(pl.GetLayerDefn());
                set(f, OneMapFields.PATCHES, Map.ofEntries(
                        Map.entry("patch_id", p.patchId()),
                        Map.entry("change_type", p.changeType().code),
                        Map.entry("from_class", p.fromClass().key()),
                        Map.entry("to_class", p.toClass().key()),
                        Map.entry("area_m2", p.areaM2()),
                        Map.entry("area_mu", p.areaM2() / FlaggedParcel.M2_PER_MU),
                        Map.entry("before_date", nz(p.beforeDate())),
                        Map.entry("after_date", nz(p.afterDate())),
                        Map.entry("confidence", p.confidence()),
                        Map.entry("rule", nz(p.rule())),
                        Map.entry("status", "open"),
                        Map.entry("last_run_id", nz(runId))));
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(multi(p.geometry()))));
                pl.CreateFeature(f);
                f.delete();
                np++;
            }
            pl.CommitTransaction();
            Layer fl = layer(ds, "flagged_parcels", srs, OneMapFields.PARCELS);
            long nf = 0;
            fl.StartTransaction();
            while (parcels.hasNext()) {
                FlaggedParcel p = parcels.next();
                Feature f = new Feature(fl.GetLayerDefn());
                set(f, OneMapFields.PARCELS, Map.ofEntries(
                        Map.entry("parcel_id", p.parcelId()),
                        Map.entry("admin_code", nz(p.adminCode())),
                        Map.entry("township", nz(p.township())),
                        Map.entry("land_class", nz(p.landClass())),
                        Map.entry("change_type", p.changeType().code),
                        Map.entry("rule", nz(p.rule())),
                        Map.entry("parcel_area_m2", p.parcelAreaM2()),
                        Map.entry("parcel_area_mu", p.parcelAreaM2() / FlaggedParcel.M2_PER_MU),
                        Map.entry("changed_area_m2", p.changedAreaM2()),
                        Map.entry("changed_area_mu", p.changedAreaMu()),
                        Map.entry("changed_share_pct", 100 * p.changedShare()),
                        Map.entry("patch_count", p.patchCount()),
                        Map.entry("patch_ids", String.join(";", p.patchIds())),
                        Map.entry("from_class", nz(p.fromClasses())),
                        Map.entry("to_class", nz(p.toClasses())),
                        Map.entry("before_date", nz(p.beforeDate())),
                        Map.entry("after_date", nz(p.afterDate())),
                        Map.entry("priority", p.priority()),
                        Map.entry("centroid_lon", p.centroidLon()),
                        Map.entry("centroid_lat", p.centroidLat()),
                        Map.entry("status", "open"),
                        Map.entry("first_seen", nz(p.afterDate())),
                        Map.entry("last_seen", nz(p.afterDate())),
                        Map.entry("last_run_id", nz(runId))));
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(multi(p.geometry()))));
                fl.CreateFeature(f);
                f.delete();
                nf++;
            }
            fl.CommitTransaction();
            writeStyles(ds, QgisStyle.Kind.CHANGE_PATCHES, QgisStyle.Kind.FLAGGED_PARCELS);
            return new long[] {np, nf};
        } finally {
            ds.delete();
        }
    }

    /**
     * Adds the {@code farmland} layer to an existing {@code gpkg}: the parcels {@code each} hands over (in the
     * working CRS), so that analysts see the farmland that did not trigger, too. Returns the parcels written.
     */
    public static long writeFarmland(Path gpkg, String crs, java.util.function.Consumer<java.util.function.Consumer<Parcel>> each) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString(), 1);
        if (ds == null) {
            throw new IllegalStateException("cannot open " + gpkg);
        }
        try {
            Layer l = layer(ds, QgisStyle.Kind.FARMLAND.layerName, SceneCatalog.srs(crs), OneMapFields.FARMLAND);
            WKBWriter wkb = new WKBWriter();
            long[] n = {0};
            l.StartTransaction();
            each.accept(p -> {
                if (p.geometry() == null || p.geometry().isEmpty()) {
                    return;
                }
                Feature f = new Feature(l.GetLayerDefn());
                set(f, OneMapFields.FARMLAND, Map.of(
                        "parcel_id", p.parcelId(),
                        "admin_code", nz(p.adminCode()),
                        "township", nz(p.township()),
                        "land_class", nz(p.landClass()),
                        "area_mu", p.geometry().getArea() / FlaggedParcel.M2_PER_MU));
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(PostgisOneMap.multiPolygon(p.geometry(),
                        "farmland parcel " + p.parcelId()))));
                l.CreateFeature(f);
                f.delete();
                n[0]++;
            });
            l.CommitTransaction();
            writeStyles(ds, QgisStyle.Kind.FARMLAND);
            return n[0];
        } finally {
            ds.delete();
        }
    }

    /** Sets each field of {@code fields} that {@code values} holds, rounded as the field says; "" is left null. */
    private static void set(Feature f, List<OneMapFields.Field> fields, Map<String, Object> values) {
        for (OneMapFields.Field field : fields) {
            Object v = values.get(field.name());
            if (v == null || "".equals(v)) {
                continue;
            }
            switch (field.kind()) {
                case REAL -> f.SetField(field.name(), field.round(((Number) v).doubleValue()));
                case INTEGER -> f.SetField(field.name(), ((Number) v).intValue());
                default -> f.SetField(field.name(), v.toString());
            }
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static Geometry multi(Geometry g) {
        if (g instanceof MultiPolygon) {
            return g;
        }
        return g.getFactory().createMultiPolygon(new org.locationtech.jts.geom.Polygon[] {(org.locationtech.jts.geom.Polygon) g});
    }

    private static Layer layer(DataSource ds, String name, SpatialReference srs, List<OneMapFields.Field> fields) {
        Layer l = ds.CreateLayer(name, srs, ogr.wkbMultiPolygon, new Vector<>(List.of("GEOMETRY_NAME=geom", "FID=fid")));
        for (OneMapFields.Field f : fields) {
            int type = switch (f.kind()) {
                case REAL -> ogr.OFTReal;
                case INTEGER -> ogr.OFTInteger;
                case DATE -> ogr.OFTDate;
                case TEXT -> ogr.OFTString;
            };
            FieldDefn fd = new FieldDefn(f.name(), type);
            l.CreateField(fd);
            fd.delete();
        }
        return l;
    }

    /** The default style of each of {@code kinds} into {@code layer_styles}, made when missing. */
    private static void writeStyles(DataSource ds, QgisStyle.Kind... kinds) {
        Layer st = ds.GetLayerByName("layer_styles");
        if (st == null) {
            st = ds.CreateLayer("layer_styles", null, ogr.wkbNone, new Vector<>(List.of("FID=id")));
            for (String f : new String[] {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                "styleQML", "styleSLD", "description", "owner", "ui"}) {
                st.CreateField(new FieldDefn(f, ogr.OFTString));
            }
            FieldDefn def = new FieldDefn("useAsDefault", ogr.OFTInteger);
            def.SetSubType(ogr.OFSTBoolean);
            st.CreateField(def);
            st.CreateField(new FieldDefn("update_time", ogr.OFTDateTime));
        }
        st.StartTransaction();
        for (QgisStyle.Kind k : kinds) {
            String[] fields = switch (k) {
                case CHANGE_PATCHES -> PATCH_FIELDS;
                case FLAGGED_PARCELS -> PARCEL_FIELDS;
                case FARMLAND -> FARMLAND_FIELDS;
            };
            Feature f = new Feature(st.GetLayerDefn());
            f.SetField("f_table_catalog", "");
            f.SetField("f_table_schema", "");
            f.SetField("f_table_name", k.layerName);
            f.SetField("f_geometry_column", "geom");
            f.SetField("styleName", k.layerName);
            f.SetField("styleQML", QgisStyle.qml(k, withFid(fields)));
            f.SetField("styleSLD", QgisStyle.sld(k.layerName));
            f.SetField("useAsDefault", 1);
            f.SetField("description", k.title);
            f.SetField("owner", "farmwatch");
            f.SetField("ui", "");
            st.CreateFeature(f);
            f.delete();
        }
        st.CommitTransaction();
    }

    /** QGIS numbers a GeoPackage layer's fields from its fid: the style's aliases must, too. */
    static String[] withFid(String[] fields) {
        String[] all = new String[fields.length + 1];
        all[0] = "fid";
        System.arraycopy(fields, 0, all, 1, fields.length);
        return all;
    }
}
