package org.farmwatch.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Vector;
import org.farmwatch.change.ChangeFeatures;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Band;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Geometry;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;

/**
 * Judged patches of one earlier run, for {@code farmwatch train-change}: the patches of its {@code onemap.gpkg}
 * that inspectors judged (its {@code verdicts} table, filled by {@code import-verdicts}), or, where no inspector has
 * been yet, judged by a labelled change map: a patch with at least {@link #HIT_SHARE} of its labelled cells on
 * change counts as confirmed, any other as a false alarm. Each with its features from the run's
 * {@link PatchEvidenceTable}. Immutable; read on an executor.
 *
 * @param gpkg   a run's {@code onemap.gpkg}
 * @param labels null, or a GeoTIFF of change labels: 2 change, 1 no change, anything else not labelled
 */
public record GeoPackageVerdictSource(String gpkg, String labels) implements PatchVerdictSource {

    /** The share of a patch's labelled cells on labelled change that makes it a real conversion. */
    public static final double HIT_SHARE = 0.25;

    public GeoPackageVerdictSource {
        if (gpkg == null || gpkg.isBlank()) {
            throw new IllegalArgumentException("a verdict source needs a run's onemap.gpkg");
        }
    }

    /** A run's GeoPackage given as the file or as the run's output folder. */
    public static String gpkgOf(String fileOrRun) {
        Path p = Path.of(fileOrRun);
        return Files.isDirectory(p) ? p.resolve("onemap.gpkg").toString() : fileOrRun;
    }

    @Override
    public String describe() {
        return labels == null ? gpkg + " (verdicts)" : gpkg + " (labels " + labels + ")";
    }

    /**
     * Each judged patch to {@code into}.
     *
     * @throws IllegalArgumentException naming the file and row when a verdict or an evidence row is bad
     */
    @Override
    public void read(Sink into) {
        Gdal.init();
        if (!Files.isRegularFile(Path.of(gpkg))) {
            throw new IllegalArgumentException(gpkg + " is not a file: give a run's onemap.gpkg or its output folder");
        }
        Map<String, Boolean> judged = labels == null ? verdicts() : labelled();
        PatchEvidenceTable.read(Path.of(gpkg), row -> {
            Boolean real = judged.get(row.patchId());
            if (real == null || !JUDGED_TYPES.contains(row.changeType())) {
                return;
            }
            into.accept(row.patchId(), real, ChangeFeatures.of(row.evidence(), row.areaM2(), row.fromClass(),
                    row.toClass(), row.beforeDate(), row.afterDate()));
        });
    }

    /** Patch id to real (true) or false alarm, from the run's verdicts table; a patch real on any parcel is real. */
    private Map<String, Boolean> verdicts() {
        Map<String, Boolean> out = new HashMap<>();
        DataSource ds = ogr.Open(gpkg, 0);
        if (ds == null) {
            throw new IllegalArgumentException(gpkg + " cannot be opened as a GeoPackage");
        }
        try {
            Layer l = ds.GetLayerByName(GeoPackageVerdicts.VERDICTS);
            if (l == null) {
                throw new IllegalArgumentException(gpkg + " holds no verdicts: import the inspectors' lists into it with "
                        + "'farmwatch import-verdicts' first");
            }
            Feature f;
            l.ResetReading();
            while ((f = l.GetNextFeature()) != null) {
                try {
                    String patch = f.GetFieldAsString("patch_id");
                    String verdict = f.GetFieldAsString("verdict");
                    if (patch == null || patch.isBlank() || !VERDICTS.contains(verdict)) {
                        throw new IllegalArgumentException(gpkg + ": verdicts row " + f.GetFID() + " has patch '" + patch
                                + "' and verdict '" + verdict + "'; a verdict is one of " + VERDICTS);
                    }
                    out.merge(patch, REAL.contains(verdict), Boolean::logicalOr);
                } finally {
                    f.delete();
                }
            }
        } finally {
            ds.delete();
        }
        return out;
    }

    /** Patch id to real or false alarm by the labels under its published outline; unlabelled patches left out. */
    private Map<String, Boolean> labelled() {
        Map<String, Boolean> out = new HashMap<>();
        Dataset lab = gdal.Open(labels, gdalconstConstants.GA_ReadOnly);
        if (lab == null) {
            throw new IllegalArgumentException("labels " + labels + " cannot be opened: " + gdal.GetLastErrorMsg());
        }
        DataSource ds = ogr.Open(gpkg, 0);
        try {
            double[] gt = lab.GetGeoTransform();
            String wkt = lab.GetProjection();
            if (wkt == null || wkt.isBlank() || (gt[0] == 0 && gt[1] == 1 && gt[3] == 0 && gt[5] == 1)) {
                throw new IllegalArgumentException("labels " + labels + " have no georeferencing: give a GeoTIFF on the "
                        + "scene's grid (e.g. gdal_translate -a_srs and -a_ullr from the scene's band)");
            }
            if (ds == null || ds.GetLayerByName("change_patches") == null) {
                throw new IllegalArgumentException(gpkg + " is not a run's onemap.gpkg (no change_patches layer)");
            }
            SpatialReference dst = new SpatialReference(wkt);
            dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            Layer patches = ds.GetLayerByName("change_patches");
            SpatialReference src = patches.GetSpatialRef();
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            CoordinateTransformation toLabels = osr.CreateCoordinateTransformation(src, dst);
            Band band = lab.GetRasterBand(1);
            int w = lab.getRasterXSize();
            int h = lab.getRasterYSize();
            Feature f;
            patches.ResetReading();
            while ((f = patches.GetNextFeature()) != null) {
                try {
                    Geometry g = f.GetGeometryRef().Clone();
                    g.Transform(toLabels);
                    Boolean real = judge(g, band, gt, w, h);
                    if (real != null) {
                        out.put(f.GetFieldAsString("patch_id"), real);
                    }
                    g.delete();
                } finally {
                    f.delete();
                }
            }
        } finally {
            if (ds != null) {
                ds.delete();
            }
            lab.delete();
        }
        return out;
    }

    /** Burns {@code g} onto the label grid's window under it; null when it covers no labelled cell. */
    private static Boolean judge(Geometry g, Band band, double[] gt, int w, int h) {
        double[] env = new double[4];
        g.GetEnvelope(env); // minX, maxX, minY, maxY
        int c0 = Math.max(0, (int) Math.floor((env[0] - gt[0]) / gt[1]));
        int c1 = Math.min(w, (int) Math.ceil((env[1] - gt[0]) / gt[1]));
        int r0 = Math.max(0, (int) Math.floor((env[3] - gt[3]) / gt[5]));
        int r1 = Math.min(h, (int) Math.ceil((env[2] - gt[3]) / gt[5]));
        if (c1 <= c0 || r1 <= r0) {
            return null;
        }
        int ww = c1 - c0;
        int hh = r1 - r0;
        Dataset mask = gdal.GetDriverByName("MEM").Create("", ww, hh, 1, gdalconstConstants.GDT_Byte);
        DataSource mem = ogr.GetDriverByName("Memory").CreateDataSource("patch");
        try {
            mask.SetGeoTransform(new double[] {gt[0] + c0 * gt[1], gt[1], 0, gt[3] + r0 * gt[5], 0, gt[5]});
            Layer ml = mem.CreateLayer("p", null, ogr.wkbUnknown);
            Feature mf = new Feature(ml.GetLayerDefn());
            mf.SetGeometry(g);
            ml.CreateFeature(mf);
            mf.delete();
            gdal.RasterizeLayer(mask, new int[] {1}, ml, new double[] {1}, new Vector<>(List.of()));
            byte[] inside = new byte[ww * hh];
            byte[] label = new byte[ww * hh];
            mask.GetRasterBand(1).ReadRaster(0, 0, ww, hh, inside);
            band.ReadRaster(c0, r0, ww, hh, ww, hh, gdalconstConstants.GDT_Byte, label);
            long cells = 0;
            long change = 0;
            for (int i = 0; i < inside.length; i++) {
                if (inside[i] != 0 && (label[i] == 1 || label[i] == 2)) {
                    cells++;
                    if (label[i] == 2) {
                        change++;
                    }
                }
            }
            return cells == 0 ? null : change >= HIT_SHARE * cells;
        } finally {
            mem.delete();
            mask.delete();
        }
    }
}
