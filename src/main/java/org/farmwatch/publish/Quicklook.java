package org.farmwatch.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Vector;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.WarpOptions;
import org.gdal.gdal.gdal;

/**
 * A true-colour PNG of a scene over the run's area in longitude/latitude, for the report's map.
 * GDAL reads overviews or subsamples, so the cost does not grow with the scene.
 */
public final class Quicklook {

    /** The PNG and its bounds {west, south, east, north} in degrees. */
    public record Image(byte[] png, double[] boundsLonLat) {}

    private Quicklook() {}

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

    private static String d(double v) {
        return Double.toString(v);
    }
}
