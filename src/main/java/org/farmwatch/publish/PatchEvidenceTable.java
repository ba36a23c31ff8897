package org.farmwatch.publish;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Vector;
import java.util.function.Consumer;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.change.PatchEvidence;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;

/**
 * The {@code patch_evidence} table of {@code onemap.gpkg}: per published patch, what a change model judges it by
 * (its {@link PatchEvidence}, the detector's confidence, its shape and transition), so that
 * {@code farmwatch train-change} can learn from the verdicts inspectors return on this run's patches without
 * reading the imagery again. A table without geometry; one row per patch, written in one transaction.
 */
public final class PatchEvidenceTable {
    private PatchEvidenceTable() {}

    public static final String TABLE = "patch_evidence";

    /** One row: a patch's evidence and the attributes its features need. */
    public record Row(String patchId, String changeType, String rule, int fromClass, int toClass, double areaM2,
                      String beforeDate, String afterDate, PatchEvidence evidence) {}

    /** Appends the table to {@code gpkg}, one row per patch with measured evidence; returns the rows written. */
    public static long write(Path gpkg, Iterator<ChangePatch> patches) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString(), 1);
        if (ds == null) {
            throw new IllegalStateException("cannot open " + gpkg + " to add its " + TABLE + " table");
        }
        try {
            Layer l = ds.CreateLayer(TABLE, null, ogr.wkbNone, new Vector<>(List.of("FID=fid")));
            for (String f : List.of("patch_id", "change_type", "rule", "before_date", "after_date", "evidence")) {
                l.CreateField(new FieldDefn(f, ogr.OFTString));
            }
            for (String f : List.of("from_class_id", "to_class_id")) {
                l.CreateField(new FieldDefn(f, ogr.OFTInteger));
            }
            for (String f : List.of("area_m2", "detector_confidence", "compactness")) {
                l.CreateField(new FieldDefn(f, ogr.OFTReal));
            }
            long n = 0;
            l.StartTransaction();
            while (patches.hasNext()) {
                ChangePatch p = patches.next();
                PatchEvidence e = p.evidence();
                if (!e.isMeasured()) {
                    continue;
                }
                Feature f = new Feature(l.GetLayerDefn());
                f.SetField("patch_id", p.patchId());
                f.SetField("change_type", p.changeType().code);
                f.SetField("rule", p.rule());
                f.SetField("before_date", p.beforeDate());
                f.SetField("after_date", p.afterDate());
                f.SetField("from_class_id", p.fromClass().id);
                f.SetField("to_class_id", p.toClass().id);
                f.SetField("area_m2", p.areaM2());
                f.SetField("detector_confidence", e.detectorConfidence());
                f.SetField("compactness", e.compactness());
                f.SetField("evidence", text(e.sums()));
                l.CreateFeature(f);
                f.delete();
                n++;
            }
            if (l.CommitTransaction() != 0) {
                throw new IllegalStateException("cannot write the " + TABLE + " table of " + gpkg + ": "
                        + org.gdal.gdal.gdal.GetLastErrorMsg());
            }
            return n;
        } finally {
            ds.delete();
        }
    }

    /**
     * Each row of the table in {@code gpkg} to {@code into}.
     *
     * @throws IllegalArgumentException when {@code gpkg} has no such table (a run of a farmwatch that kept none) or
     *                                  a row is damaged, naming the row
     */
    public static void read(Path gpkg, Consumer<Row> into) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString(), 0);
        if (ds == null) {
            throw new IllegalArgumentException(gpkg + " cannot be opened as a GeoPackage");
        }
        try {
            Layer l = ds.GetLayerByName(TABLE);
            if (l == null) {
                throw new IllegalArgumentException(gpkg + " has no " + TABLE + " table: it was written by a farmwatch that "
                        + "kept no patch evidence; re-run that period to train on its verdicts");
            }
            Feature f;
            l.ResetReading();
            while ((f = l.GetNextFeature()) != null) {
                try {
                    String[] parts = f.GetFieldAsString("evidence").trim().split(" ");
                    double[] sums = new double[parts.length];
                    for (int i = 0; i < parts.length; i++) {
                        sums[i] = Double.parseDouble(parts[i]);
                    }
                    into.accept(new Row(f.GetFieldAsString("patch_id"), f.GetFieldAsString("change_type"),
                            f.GetFieldAsString("rule"), f.GetFieldAsInteger("from_class_id"),
                            f.GetFieldAsInteger("to_class_id"), f.GetFieldAsDouble("area_m2"),
                            f.GetFieldAsString("before_date"), f.GetFieldAsString("after_date"),
                            PatchEvidence.ofSums(sums, f.GetFieldAsDouble("detector_confidence"),
                                    f.GetFieldAsDouble("compactness"))));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(gpkg + ": " + TABLE + " row " + f.GetFID() + " (patch "
                            + f.GetFieldAsString("patch_id") + ") is damaged: " + e.getMessage());
                } finally {
                    f.delete();
                }
            }
        } finally {
            ds.delete();
        }
    }

    private static String text(double[] v) {
        List<String> s = new ArrayList<>(v.length);
        for (double d : v) {
            s.add(Double.toString(d));
        }
        return String.join(" ", s);
    }
}
