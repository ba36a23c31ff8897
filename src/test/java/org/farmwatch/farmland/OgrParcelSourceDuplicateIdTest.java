package org.farmwatch.farmland;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;

/**
 * Repeated parcel ids in a farmland file, in a GeoPackage (SQLite underneath) and a Shapefile (GDAL's SQLite
 * dialect over OGR): each id is passed on once, from its first feature with a usable geometry, as import-farmland
 * keeps it; the others are listed by {@code check} and rejected by {@code forEachIn}.
 */
class OgrParcelSourceDuplicateIdTest {

    @TempDir
    Path tmp;

    /** id, WKT in EPSG:4527 metres; fids are 1.. in a GeoPackage and 0.. in a Shapefile, in this order. */
    static final String[][] FEATURES = {
        {"A", "POLYGON((500000 4000000,500100 4000000,500100 4000100,500000 4000100,500000 4000000))"},
        {"B", "POLYGON EMPTY"}, // unusable: the next B is kept
        {"A", "POLYGON((500200 4000000,500300 4000000,500300 4000100,500200 4000100,500200 4000000))"},
        {"B", "POLYGON((500400 4000000,500500 4000000,500500 4000100,500400 4000100,500400 4000000))"},
        {"C", "POLYGON((500600 4000000,500700 4000000,500700 4000100,500600 4000100,500600 4000000))"},
        {"A", "POLYGON((500000 4000000,500100 4000000,500100 4000100,500000 4000100,500000 4000000))"},
    };

    @ParameterizedTest
    @ValueSource(strings = {"GPKG", "ESRI Shapefile"})
    void eachRepeatedIdIsPassedOnOnceFromItsFirstUsableFeature(String driver) {
        Path file = write(driver);
        long first = driver.equals("GPKG") ? 1 : 0;
        OgrParcelSource source = new OgrParcelSource(file.toString(), FieldMapping.DEFAULT);
        ParcelSource.SourceSummary s = source.check("EPSG:4527");
        assertEquals(List.of(new DuplicateParcelId("A", first, List.of(first + 2, first + 5)),
                new DuplicateParcelId("B", first + 3, List.of(first + 1))), s.duplicates());

        List<String> read = new ArrayList<>();
        List<String> rejects = new ArrayList<>();
        // A fresh instance, as on an executor that reads before any check.
        new OgrParcelSource(file.toString(), FieldMapping.DEFAULT).forEachIn(new Envelope(499000, 501000, 3999000, 4001000),
                "EPSG:4527", p -> read.add(p.parcelId() + "@" + (long) p.geometry().getEnvelopeInternal().getMinX()), rejects::add);
        assertEquals(List.of("A@500000", "B@500400", "C@500600"), read.stream().sorted().toList(), "rejects: " + rejects);
        // The later A features are rejected; the empty B lies outside every window, so no window reads it.
        assertEquals(2, rejects.stream().filter(r -> r.contains("duplicate parcel_id")).count(), rejects.toString());
    }

    private Path write(String driver) {
        Gdal.init();
        Path file = tmp.resolve(driver.equals("GPKG") ? "dups.gpkg" : "dups.shp");
        DataSource ds = ogr.GetDriverByName(driver).CreateDataSource(file.toString());
        SpatialReference srs = new SpatialReference();
        srs.ImportFromEPSG(4527);
        Layer l = ds.CreateLayer("farmland", srs, ogr.wkbPolygon, new Vector<>());
        l.CreateField(new FieldDefn("TBBH", ogr.OFTString));
        for (String[] f : FEATURES) {
            Feature feat = new Feature(l.GetLayerDefn());
            feat.SetField("TBBH", f[0]);
            feat.SetGeometry(ogr.CreateGeometryFromWkt(f[1]));
            l.CreateFeature(feat);
            feat.delete();
        }
        ds.delete();
        return file;
    }
}
