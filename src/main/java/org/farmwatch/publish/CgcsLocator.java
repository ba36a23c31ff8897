package org.farmwatch.publish;

import java.util.HashMap;
import java.util.Map;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.osr.CoordinateTransformation;

/**
 * The patch list's {@link PatchList.Locator} through GDAL: from the working CRS to CGCS2000 longitude and latitude
 * (EPSG:4490), and on to the CGCS2000 3-degree Gauss–Krüger zone with zone prefix the point falls in (EPSG:4513 for
 * zone 25 to EPSG:4533 for zone 45, central meridians 75°E to 135°E), the coordinates Chinese surveys record.
 * Not thread-safe: GDAL transformations are not.
 */
public final class CgcsLocator implements PatchList.Locator {

    private final CoordinateTransformation toLonLat;
    private final Map<String, CoordinateTransformation> toZone = new HashMap<>();

    public CgcsLocator(String workingCrs) {
        Gdal.init();
        toLonLat = CoordinateTransformation.CreateCoordinateTransformation(SceneCatalog.srs(workingCrs),
                SceneCatalog.srs("EPSG:4490"));
    }

    @Override
    public double[] locate(double x, double y) {
        double[] ll = toLonLat.TransformPoint(x, y);
        String zone = zoneCrs(ll[0]);
        if (zone.isEmpty()) {
            return new double[] {ll[0], ll[1], Double.NaN, Double.NaN};
        }
        CoordinateTransformation ct = toZone.computeIfAbsent(zone, z -> CoordinateTransformation
                .CreateCoordinateTransformation(SceneCatalog.srs("EPSG:4490"), SceneCatalog.srs(z)));
        double[] xy = ct.TransformPoint(ll[0], ll[1]);
        return new double[] {ll[0], ll[1], xy[0], xy[1]};
    }

    @Override
    public String zoneCrs(double lon) {
        return zoneOf(lon);
    }

    /** The 3-degree zone CRS for a longitude: zone round(lon / 3), or "" outside zones 25..45 (China's). */
    static String zoneOf(double lon) {
        if (!Double.isFinite(lon)) {
            return "";
        }
        int zone = (int) Math.round(lon / 3.0);
        return zone >= 25 && zone <= 45 ? "EPSG:" + (4513 + zone - 25) : "";
    }
}
