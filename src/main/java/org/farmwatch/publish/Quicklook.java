package org.farmwatch.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Vector;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.BuildVRTOptions;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * A true-colour PNG of a scene over the run's area in longitude/latitude, for the report's map.
 * GDAL reads overviews or subsamples, so the cost does not grow with the scene.
 */
public final class Quicklook {

    /** The PNG and its bounds {west, south, east, north} in degrees. */
    public record Image(byte[] png, double[] boundsLonLat) {}

    private Quicklook() {}

    public static Image of(Scene scene, Envelope area, String areaCrs, Path workDir, int maxSide) throws java.io.IOException {
        Gdal.init();
        Envelope ll = new Envelope();
        var ct = org.gdal.osr.CoordinateTransformation.CreateCoordinateTransformation(
                SceneCatalog.srs(areaCrs), SceneCatalog.srs("EPSG:4326"));
        double[] b = new double[4];
        ct.TransformBounds(b, area.getMinX(), area.getMinY(), area.getMaxX(), area.getMaxY(), 21);
        ll.init(b[0], b[2], b[1], b[3]);
        String[] files = {scene.bands().get(Band.RED).path(), scene.bands().get(Band.GREEN).path(),
            scene.bands().get(Band.BLUE).path()};
        int[] idx = {scene.bands().get(Band.RED).index(), scene.bands().get(Band.GREEN).index(),
            scene.bands().get(Band.BLUE).index()};
        Files.createDirectories(workDir);
        Dataset[] single = new Dataset[3];
        Dataset rgb = null;
        Dataset warped = null;
        try {
            // One VRT per band picks the band out of a multi-band asset; a separate VRT stacks them.
            String[] bandVrts = new String[3];
            for (int i = 0; i < 3; i++) {
                bandVrts[i] = workDir.resolve("ql_" + scene.id().replaceAll("\\W", "_") + "_" + i + ".vrt").toString();
                single[i] = gdal.BuildVRT(bandVrts[i], new Vector<>(List.of(files[i])),
                        new BuildVRTOptions(new Vector<>(List.of("-b", Integer.toString(idx[i]), "-q"))));
                single[i].delete();
                single[i] = null;
            }
            rgb = gdal.BuildVRT(workDir.resolve("ql_" + scene.id().replaceAll("\\W", "_") + ".vrt").toString(), new Vector<>(List.of(bandVrts)),
                    new BuildVRTOptions(new Vector<>(List.of("-separate", "-q"))));
            double aspect = ll.getHeight() / ll.getWidth();
            int w = aspect <= 1 ? maxSide : (int) Math.max(16, maxSide / aspect);
            int h = aspect <= 1 ? (int) Math.max(16, maxSide * aspect) : maxSide;
            warped = gdal.Warp("", new Dataset[] {rgb}, new WarpOptions(new Vector<>(List.of("-of", "MEM", "-t_srs",
                    "EPSG:4326", "-te", d(ll.getMinX()), d(ll.getMinY()), d(ll.getMaxX()), d(ll.getMaxY()), "-ts",
                    Integer.toString(w), Integer.toString(h), "-r", "average", "-q"))));
            Vector<String> opts = new Vector<>(List.of("-of", "PNG", "-ot", "Byte", "-q"));
            Band[] order = {Band.RED, Band.GREEN, Band.BLUE};
            for (int i = 0; i < 3; i++) {
                BandScale s = scale(scene, order[i], files[i]);
                opts.addAll(List.of("-scale_" + (i + 1), d(s.lo), d(s.hi), "0", "255"));
            }
            Path png = workDir.resolve("ql_" + scene.id().replaceAll("\\W", "_") + ".png");
            Dataset out = gdal.Translate(png.toString(), warped, new TranslateOptions(opts));
            out.delete();
            byte[] bytes = Files.readAllBytes(png);
            return new Image(bytes, new double[] {ll.getMinX(), ll.getMinY(), ll.getMaxX(), ll.getMaxY()});
        } finally {
            if (warped != null) {
                warped.delete();
            }
            if (rgb != null) {
                rgb.delete();
            }
        }
    }

    /**
     * The quicklook from a true-colour COG already written (see {@link TrueColourCog}): GDAL reads its
     * overviews, so this costs the same for a field or a province.
     */
    public static Image ofCog(Path rgbCog, Path workDir, int maxSide) throws java.io.IOException {
        Gdal.init();
        Files.createDirectories(workDir);
        Dataset src = gdal.Open(rgbCog.toString());
        if (src == null) {
            throw new java.io.IOException("cannot open " + rgbCog + ": " + gdal.GetLastErrorMsg());
        }
        Dataset warped = null;
        try {
            double[] gt = src.GetGeoTransform();
            double w = src.getRasterXSize() * gt[1];
            double h = src.getRasterYSize() * -gt[5];
            int pw = w >= h ? maxSide : (int) Math.max(16, maxSide * w / h);
            int ph = w >= h ? (int) Math.max(16, maxSide * h / w) : maxSide;
            warped = gdal.Warp("", new Dataset[] {src}, new WarpOptions(new Vector<>(List.of("-of", "MEM", "-t_srs",
                    "EPSG:4326", "-ts", Integer.toString(pw), Integer.toString(ph), "-r", "average", "-q"))));
            double[] wgt = warped.GetGeoTransform();
            double[] bounds = {wgt[0], wgt[3] + warped.getRasterYSize() * wgt[5], wgt[0] + warped.getRasterXSize() * wgt[1], wgt[3]};
            Path png = workDir.resolve("quicklook.png");
            Dataset out = gdal.Translate(png.toString(), warped, new TranslateOptions(new Vector<>(List.of("-of", "PNG",
                    "-q"))));
            if (out == null) {
                throw new java.io.IOException("cannot write " + png + ": " + gdal.GetLastErrorMsg());
            }
            out.delete();
            return new Image(Files.readAllBytes(png), bounds);
        } finally {
            if (warped != null) {
                warped.delete();
            }
            src.delete();
        }
    }

    private record BandScale(double lo, double hi) {}

    /**
     * One stretch for all three bands, so that colours keep their balance: from the darkest band's
     * 2nd percentile to three times the mean visible median, in each band's stored units.
     */
    private static BandScale scale(Scene scene, Band band, String file) {
        var ref = scene.bands().get(band);
        double lo = Math.min(scene.p2(Band.RED), Math.min(scene.p2(Band.GREEN), scene.p2(Band.BLUE)));
        double hi = 3 * (scene.p50(Band.RED) + scene.p50(Band.GREEN) + scene.p50(Band.BLUE)) / 3;
        if (!(hi > lo)) {
            hi = lo + 1;
        }
        return new BandScale((lo - ref.offset()) / ref.scale(), (hi - ref.offset()) / ref.scale());
    }

    private static String d(double v) {
        return Double.toString(v);
    }
}
