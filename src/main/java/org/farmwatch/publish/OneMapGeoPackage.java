package org.farmwatch.publish;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Vector;
import org.farmwatch.change.ChangePatch;
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
 * Writes {@code onemap.gpkg}: the {@code change_patches} and {@code flagged_parcels} layers in the
 * working grid's CRS, streamed from iterators in one transaction per layer, and QGIS's
 * {@code layer_styles} table with each layer's default style.
 */
public final class OneMapGeoPackage {

    static final String[] PATCH_FIELDS = {"patch_id", "change_type", "from_class", "to_class", "area_m2", "area_mu",
        "before_date", "after_date", "confidence", "rule"};
    static final String[] PARCEL_FIELDS = {"parcel_id", "admin_code", "township", "land_class", "change_type",
        "changed_area_m2", "changed_area_mu", "changed_share", "patch_count", "rule", "patch_ids", "from_class", "to_class",
        "before_date", "after_date", "priority"};

    private OneMapGeoPackage() {}

    /** Returns {patches written, parcels written}. */
    public static long[] write(Path gpkg, String crs, Iterator<ChangePatch> patches, Iterator<FlaggedParcel> parcels) {
        Gdal.init();
        DataSource ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg.toString());
        if (ds == null) {
            throw new IllegalStateException("cannot create " + gpkg);
        }
        try {
            SpatialReference srs = SceneCatalog.srs(crs);
            WKBWriter wkb = new WKBWriter();
            Layer pl = layer(ds, "change_patches", srs, PATCH_FIELDS);
            long np = 0;
            pl.StartTransaction();
            while (patches.hasNext()) {
                ChangePatch p = patches.next();
                Feature f = new Feature(pl.GetLayerDefn());
                f.SetField("patch_id", p.patchId());
                f.SetField("change_type", p.changeType().code);
                f.SetField("from_class", p.fromClass().key());
                f.SetField("to_class", p.toClass().key());
                f.SetField("area_m2", round(p.areaM2(), 2));
                f.SetField("area_mu", round(p.areaM2() / FlaggedParcel.M2_PER_MU, 4));
                f.SetField("before_date", p.beforeDate());
                f.SetField("after_date", p.afterDate());
                f.SetField("confidence", round(p.confidence(), 3));
                f.SetField("rule", p.rule());
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(multi(p.geometry()))));
                pl.CreateFeature(f);
                f.delete();
                np++;
            }
            pl.CommitTransaction();
            Layer fl = layer(ds, "flagged_parcels", srs, PARCEL_FIELDS);
            long nf = 0;
            fl.StartTransaction();
            while (parcels.hasNext()) {
                FlaggedParcel p = parcels.next();
                Feature f = new Feature(fl.GetLayerDefn());
                f.SetField("parcel_id", p.parcelId());
                f.SetField("admin_code", p.adminCode());
                f.SetField("township", p.township());
                f.SetField("land_class", p.landClass());
                f.SetField("change_type", p.changeType().code);
                f.SetField("changed_area_m2", round(p.changedAreaM2(), 2));
                f.SetField("changed_area_mu", round(p.changedAreaMu(), 4));
                f.SetField("changed_share", round(p.changedShare(), 4));
                f.SetField("patch_count", p.patchCount());
                f.SetField("rule", p.rule());
                f.SetField("patch_ids", String.join(";", p.patchIds()));
                f.SetField("from_class", p.fromClasses());
                f.SetField("to_class", p.toClasses());
                f.SetField("before_date", p.beforeDate());
                f.SetField("after_date", p.afterDate());
                f.SetField("priority", round(p.priority(), 3));
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(multi(p.geometry()))));
                fl.CreateFeature(f);
                f.delete();
                nf++;
            }
            fl.CommitTransaction();
            writeStyles(ds);
            return new long[] {np, nf};
        } finally {
            ds.delete();
        }
    }

    private static Geometry multi(Geometry g) {
        if (g instanceof MultiPolygon) {
            return g;
        }
        return g.getFactory().createMultiPolygon(new org.locationtech.jts.geom.Polygon[] {(org.locationtech.jts.geom.Polygon) g});
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static Layer layer(DataSource ds, String name, SpatialReference srs, String[] fields) {
        Layer l = ds.CreateLayer(name, srs, ogr.wkbMultiPolygon, new Vector<>(List.of("GEOMETRY_NAME=geom", "FID=fid")));
        for (String f : fields) {
            int type = switch (f) {
                case "area_m2", "area_mu", "confidence", "changed_area_m2", "changed_area_mu", "changed_share", "priority" -> ogr.OFTReal;
                case "patch_count" -> ogr.OFTInteger;
                default -> ogr.OFTString;
            };
            FieldDefn fd = new FieldDefn(f, type);
            l.CreateField(fd);
            fd.delete();
        }
        return l;
    }

    private static void writeStyles(DataSource ds) {
        Layer st = ds.CreateLayer("layer_styles", null, ogr.wkbNone, new Vector<>(List.of("FID=id")));
        for (String f : new String[] {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
            "styleQML", "styleSLD", "description", "owner", "ui"}) {
            st.CreateField(new FieldDefn(f, ogr.OFTString));
        }
        FieldDefn def = new FieldDefn("useAsDefault", ogr.OFTInteger);
        def.SetSubType(ogr.OFSTBoolean);
        st.CreateField(def);
        st.CreateField(new FieldDefn("update_time", ogr.OFTDateTime));
        st.StartTransaction();
        for (String[] l : new String[][] {{"change_patches", "变化图斑 change patches"}, {"flagged_parcels", "疑似问题地块 flagged parcels"}}) {
            Feature f = new Feature(st.GetLayerDefn());
            f.SetField("f_table_catalog", "");
            f.SetField("f_table_schema", "");
            f.SetField("f_table_name", l[0]);
            f.SetField("f_geometry_column", "geom");
            f.SetField("styleName", l[0]);
            f.SetField("styleQML", QgisStyle.qml(l[0].equals("change_patches") ? PATCH_FIELDS : PARCEL_FIELDS));
            f.SetField("styleSLD", QgisStyle.sld(l[0]));
            f.SetField("useAsDefault", 1);
            f.SetField("description", l[1]);
            f.SetField("owner", "farmwatch");
            f.SetField("ui", "");
            st.CreateFeature(f);
            f.delete();
        }
        st.CommitTransaction();
    }
}
