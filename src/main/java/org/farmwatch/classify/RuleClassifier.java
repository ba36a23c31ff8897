package org.farmwatch.classify;

import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;

/**
 * Classifies cells with spectral index rules (NDVI, MNDWI, the blue/red ratio and brightness).
 * Thresholds on brightness and near-infrared are relative to the scene's own statistics (its
 * median brightness and 90th-percentile NIR), so reflectance, reflectance × 10000 and 8-bit
 * digital numbers classify alike. Ratios are scale-free by construction.
 */
public final class RuleClassifier implements Classifier {

    /** The thresholds; defaults suit Sentinel-2 and Landsat surface or top-of-atmosphere data. */
    public record Thresholds(
            double waterMndwi,
            double vegetationNdvi,
            double sparseNdvi,
            double cropNirShare,
            double forestSwirNir,
            double orchardSwirNir,
            double bareBrightness,
            double builtBlueRed,
            double greenhouseBrightness) implements java.io.Serializable {

        public static final Thresholds DEFAULT = new Thresholds(0.25, 0.45, 0.28, 0.80, 0.55, 0.70, 1.35, 0.88, 1.60);
    }

    /** Below this brightness (relative to the scene median) bare ground is field soil whatever its colour. */
    private static final double SOIL_BRIGHTNESS = 1.2;
    /** NDVI above which a bright, grey surface is plastic over crops rather than a roof. */
    private static final double GREENHOUSE_NDVI = 0.12;
    /** SWIR/NIR above which a canopy shows soil or dry wood between the trees. */
    private static final double WOODY_SWIR_NIR = 0.60;
    /** Relative brightness below which a green canopy is a dark (forest) canopy. */
    private static final double DARK_CANOPY = 0.80;

    private final Thresholds t;

    public RuleClassifier(Thresholds thresholds) {
        this.t = thresholds;
    }

    public RuleClassifier() {
        this(Thresholds.DEFAULT);
    }

    @Override
    public void classify(TileBands tile, Scene scene, byte[] out) {
        float[] blue = tile.band(Band.BLUE);
        float[] green = tile.band(Band.GREEN);
        float[] red = tile.band(Band.RED);
        float[] nir = tile.band(Band.NIR);
        float[] sw1 = tile.band(Band.SWIR16);
        float[] sw2 = tile.band(Band.SWIR22);
        // Scene references: the median brightness of all bands, and the NIR of dense crops.
        double medianBright = 0;
        for (Band b : Band.values()) {
            medianBright += scene.clearP50(b);
        }
        medianBright /= Band.values().length;
        double invBright = medianBright > 0 ? 1.0 / medianBright : 1.0;
        double cropNir = scene.clearP90(Band.NIR);
        double nirFloor = t.cropNirShare() * (cropNir > 0 ? cropNir : 1.0);
        // Haze lifts blue more than red: the blue/red ratio is read relative to the scene's own.
        double sceneBlueRed = scene.clearP50(Band.BLUE) / Math.max(1e-9, scene.clearP50(Band.RED));
        double invBlueRed = sceneBlueRed > 0 && Double.isFinite(sceneBlueRed) ? 1.0 / sceneBlueRed : 1.0;
        int n = out.length;
        for (int i = 0; i < n; i++) {
            float r = red[i];
            if (Float.isNaN(r)) {
                out[i] = LandCover.NODATA.id;
                continue;
            }
            float nr = nir[i];
            float g = green[i];
            float s1 = sw1[i];
            double ndvi = (nr - r) / (nr + r + 1e-9);
            double mndwi = (g - s1) / (g + s1 + 1e-9);
            if (mndwi > t.waterMndwi() && ndvi < 0.15) {
                out[i] = LandCover.WATER.id;
            } else if (ndvi >= t.vegetationNdvi()) {
                double swirNir = s1 / (nr + 1e-9);
                double bright = (blue[i] + g + r + nr + s1 + sw2[i]) / 6.0 * invBright;
                // Woody canopies reflect less NIR than dense crops, and either more SWIR (orchards and
                // nurseries over soil) or less light overall (forest). A thin crop lacks both.
                boolean woody = nr < nirFloor && (swirNir >= WOODY_SWIR_NIR || bright < DARK_CANOPY);
                if (!woody) {
                    out[i] = LandCover.CROPLAND.id;
                } else {
                    out[i] = swirNir < t.forestSwirNir() ? LandCover.FOREST.id
                            : swirNir < t.orchardSwirNir() ? LandCover.ORCHARD.id : LandCover.NURSERY.id;
                }
            } else if (ndvi >= t.sparseNdvi()) {
                // Sparse green: young crops and grass look alike; dense-crop NIR tells them apart poorly.
                out[i] = nr >= nirFloor * 0.75 ? LandCover.CROPLAND.id : LandCover.GRASSLAND.id;
            } else {
                double bright = (blue[i] + g + r + nr + s1 + sw2[i]) / 6.0 * invBright;
                double blueRed = blue[i] / (r + 1e-9) * invBlueRed;
                if (bright < SOIL_BRIGHTNESS) {
                    // Dark soil in a farm landscape is tilled or harvested cropland, not a conversion.
                    out[i] = LandCover.CROPLAND.id;
                } else if (blueRed >= t.builtBlueRed()) {
                    // Grey roofs, concrete and plastic: blue about as bright as red, unlike soil.
                    // Greenhouse plastic lets some green through; roofs and paving do not.
                    out[i] = bright >= t.greenhouseBrightness() && ndvi >= GREENHOUSE_NDVI ? LandCover.GREENHOUSE.id
                            : LandCover.BUILT_UP.id;
                } else if (bright >= t.bareBrightness()) {
                    out[i] = LandCover.BARE.id;
                } else {
                    out[i] = LandCover.CROPLAND.id;
                }
            }
        }
    }
}
