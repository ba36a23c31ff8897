package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;

/**
 * A run's published patches or flagged parcels as sorted text rows (every field and the geometry), to compare runs;
 * {@value #RUN_FIELD}, which names the run that wrote the row, is left out: two runs of the same findings differ there.
 */
public final class OutputRows {
    private OutputRows() {}

    static final String RUN_FIELD = "last_run_id";

    public static List<String> of(Path gpkg, String layer) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        if (ds == null) {
            throw new IllegalStateException("cannot open " + gpkg);
        }
        try {
            List<String> rows = new ArrayList<>();
            Layer l = ds.GetLayerByName(layer);
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < f.GetFieldCount(); i++) {
                    if (f.GetFieldDefnRef(i).GetName().equals(RUN_FIELD)) {
                        continue;
                    }
                    b.append(f.GetFieldDefnRef(i).GetName()).append('=').append(f.GetFieldAsString(i)).append('|');
                }
                b.append(f.GetGeometryRef() == null ? "" : f.GetGeometryRef().ExportToWkt());
                rows.add(b.toString());
                f.delete();
            }
            Collections.sort(rows);
            return rows;
        } finally {
            ds.delete();
        }
    }

    /** The values of one field over the layer, in feature order. */
    public static List<String> field(Path gpkg, String layer, String field) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        try {
            List<String> v = new ArrayList<>();
            Layer l = ds.GetLayerByName(layer);
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                v.add(f.GetFieldAsString(field));
                f.delete();
            }
            return v;
        } finally {
            ds.delete();
        }
    }
}
