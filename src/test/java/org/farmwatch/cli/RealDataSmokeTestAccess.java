package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Vector;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Geometry;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;

/** Test farmland for scenes without a parcel base: a grid of square cropland parcels. */
final class RealDataSmokeTestAccess {
    private RealDataSmokeTestAccess() {}

    static void gridFarmland(Path gpkg, String epsg, double minX, double minY, double maxX, double maxY, double step) {
        Gdal.init();
        DataSource ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg.toString());
        SpatialReference srs = new SpatialReference();
        srs.SetFromUserInput(epsg);
        Layer l = ds.CreateLayer("parcels", srs, ogr.wkbPolygon, new Vector<>());
        for (String f : List.of("TBBH", "ZLDWMC", "DLBM")) {
            l.CreateField(new FieldDefn(f, ogr.OFTString));
        }
        int n = 0;
        l.StartTransaction();
        for (double x = minX; x + step <= maxX + 1e-6; x += step) {
            for (double y = minY; y + step <= maxY + 1e-6; y += step) {
                Feature f = new Feature(l.GetLayerDefn());
                f.SetField("TBBH", String.format("T%05d", n++));
                f.SetField("ZLDWMC", x < (minX + maxX) / 2 ? "west" : "east");
                f.SetField("DLBM", "0103");
                f.SetGeometry(Geometry.CreateFromWkt(String.format(Locale.ROOT, "POLYGON((%f %f,%f %f,%f %f,%f %f,%f %f))",
                        x, y, x + step, y, x + step, y + step, x, y + step, x, y)));
                l.CreateFeature(f);
                f.delete();
            }
        }
        l.CommitTransaction();
        ds.delete();
    }
}
