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
    /** NDVI below which a cell with a high MNDWI is open water. */
    private static final double WATER_NDVI = 0.15;

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
        // Per tile, the thresholds and class ids in locals: the loop reads no field.
        double waterMndwi = t.waterMndwi();
        double vegetationNdvi = t.vegetationNdvi();
        double sparseNdvi = t.sparseNdvi();
        double sparseNirFloor = nirFloor * 0.75;
        double forestSwirNir = t.forestSwirNir();
        double orchardSwirNir = t.orchardSwirNir();
        double bareBrightness = t.bareBrightness();
        double builtBlueRed = t.builtBlueRed();
        double greenhouseBrightness = t.greenhouseBrightness();
        byte nodata = LandCover.NODATA.id;
        byte water = LandCover.WATER.id;
        byte cropland = LandCover.CROPLAND.id;
        byte forest = LandCover.FOREST.id;
        byte orchard = LandCover.ORCHARD.id;
        byte nursery = LandCover.NURSERY.id;
        byte grassland = LandCover.GRASSLAND.id;
        byte greenhouse = LandCover.GREENHOUSE.id;
        byte builtUp = LandCover.BUILT_UP.id;
        byte bare = LandCover.BARE.id;
        int n = out.length;
        // Each index is computed only where a rule reads it (most cells need NDVI alone): a division costs
        // more than the rest of a cell. The rules and their arithmetic are unchanged.
        for (int i = 0; i < n; i++) {
            float r = red[i];
            if (Float.isNaN(r)) {
                out[i] = nodata;
                continue;
            }
            float nr = nir[i];
            double ndvi = (nr - r) / (nr + r + 1e-9);
            byte c;
            if (ndvi < WATER_NDVI && waterIndexAbove(green[i], sw1[i], waterMndwi)) {
                c = water;
            } else if (ndvi >= vegetationNdvi) {
                float s1 = sw1[i];
                // Woody canopies reflect less NIR than dense crops, and either more SWIR (orchards and
                // nurseries over soil) or less light overall (forest). A thin crop lacks both.
                if (!(nr < nirFloor)) {
                    c = cropland;
                } else {
                    double swirNir = s1 / (nr + 1e-9);
                    if (swirNir >= WOODY_SWIR_NIR
                            || (blue[i] + green[i] + r + nr + s1 + sw2[i]) / 6.0 * invBright < DARK_CANOPY) {
                        c = swirNir < forestSwirNir ? forest : swirNir < orchardSwirNir ? orchard : nursery;
                    } else {
                        c = cropland;
                    }
                }
            } else if (ndvi >= sparseNdvi) {
                // Sparse green: young crops and grass look alike; dense-crop NIR tells them apart poorly.
                c = nr >= sparseNirFloor ? cropland : grassland;
            } else {
                float b = blue[i];
                double bright = (b + green[i] + r + nr + sw1[i] + sw2[i]) / 6.0 * invBright;
                if (bright < SOIL_BRIGHTNESS) {
                    // Dark soil in a farm landscape is tilled or harvested cropland, not a conversion.
                    c = cropland;
                } else if (b / (r + 1e-9) * invBlueRed >= builtBlueRed) {
                    // Grey roofs, concrete and plastic: blue about as bright as red, unlike soil.
                    // Greenhouse plastic lets some green through; roofs and paving do not.
                    c = bright >= greenhouseBrightness && ndvi >= GREENHOUSE_NDVI ? greenhouse : builtUp;
                } else if (bright >= bareBrightness) {
                    c = bare;
                } else {
                    c = cropland;
                }
            }
            out[i] = c;
        }
    }

    /** MNDWI {@code (green - swir16) / (green + swir16)} above {@code threshold}. */
    private static boolean waterIndexAbove(float g, float s1, double threshold) {
        return (g - s1) / (g + s1 + 1e-9) > threshold;
    }
}
