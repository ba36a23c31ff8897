package org.farmwatch.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.util.EnumMap;
import java.util.Map;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.BandRef;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;
import org.junit.jupiter.api.Test;

public class RuleClassifierTest {

    /** Blue, green, red, nir, swir16, swir22 reflectance of typical surfaces. */
    static final double[][] SPECTRA = {
        {.040, .080, .050, .380, .210, .110}, // maize
        {.070, .095, .115, .185, .260, .210}, // tilled soil: still cropland
        {.045, .075, .060, .270, .170, .095}, // orchard
        {.030, .055, .035, .290, .140, .065}, // forest
        {.140, .150, .160, .220, .250, .230}, // roofs and concrete
        {.150, .180, .220, .270, .360, .330}, // excavation
        {.060, .070, .050, .030, .015, .010}, // pond
        {.230, .240, .235, .330, .330, .290}, // greenhouse plastic
    };
    static final LandCover[] EXPECTED = {LandCover.CROPLAND, LandCover.CROPLAND, LandCover.ORCHARD, LandCover.FOREST,
        LandCover.BUILT_UP, LandCover.BARE, LandCover.WATER, LandCover.GREENHOUSE};

    /** A scene whose statistics are those of a crop-dominated landscape, in the given units. */
    public static Scene scene(double gain, double[] haze) {
        Map<Band, BandRef> bands = new EnumMap<>(Band.class);
        Map<Band, double[]> stats = new EnumMap<>(Band.class);
        // A maize landscape late in summer.
        double[] median = {.040, .080, .050, .380, .210, .110};
        for (Band b : Band.values()) {
            bands.put(b, BandRef.of("/nonexistent/" + b.sentinel2 + ".tif"));
            double m = (median[b.ordinal()] + haze[b.ordinal()]) * gain;
            stats.put(b, new double[] {m * 0.5, m, b == Band.NIR ? (0.400 + haze[3]) * gain : m * 1.3});
        }
        return new Scene("t", LocalDate.of(2025, 4, 15), bands, null, stats);
    }

    static TileBands tile(double gain, double[] haze) {
        TileBands t = new TileBands(SPECTRA.length, 1);
        for (int i = 0; i < SPECTRA.length; i++) {
            for (Band b : Band.values()) {
                t.band(b)[i] = (float) ((SPECTRA[i][b.ordinal()] + haze[b.ordinal()]) * gain);
            }
        }
        return t;
    }

    static byte[] ids(LandCover[] classes) {
        byte[] out = new byte[classes.length];
        for (int i = 0; i < classes.length; i++) {
            out[i] = classes[i].id;
        }
        return out;
    }

    @Test
    void typicalSurfacesGetTheirClasses() {
        byte[] out = new byte[SPECTRA.length];
        double[] noHaze = new double[6];
        new RuleClassifier().classify(tile(1, noHaze), scene(1, noHaze), out);
        assertArrayEquals(ids(EXPECTED), out);
    }

    @Test
    void reflectanceTimes10000AndEightBitNumbersClassifyAlike() {
        double[] noHaze = new double[6];
        byte[] reflectance = new byte[SPECTRA.length];
        byte[] scaled = new byte[SPECTRA.length];
        byte[] dn = new byte[SPECTRA.length];
        RuleClassifier c = new RuleClassifier();
        c.classify(tile(1, noHaze), scene(1, noHaze), reflectance);
        c.classify(tile(10_000, noHaze), scene(10_000, noHaze), scaled);
        c.classify(tile(400, noHaze), scene(400, noHaze), dn);
        assertArrayEquals(reflectance, scaled);
        assertArrayEquals(reflectance, dn);
    }

    @Test
    void hazeOverTheWholeSceneDoesNotChangeClasses() {
        double[] haze = {.015, .010, .006, .003, .001, 0};
        byte[] out = new byte[SPECTRA.length];
        new RuleClassifier().classify(tile(1.04, haze), scene(1.04, haze), out);
        assertArrayEquals(ids(EXPECTED), out);
    }

    @Test
    void missingCellsAreNoData() {
        double[] noHaze = new double[6];
        TileBands t = tile(1, noHaze);
        t.band(Band.RED)[3] = Float.NaN;
        byte[] out = new byte[SPECTRA.length];
        new RuleClassifier().classify(t, scene(1, noHaze), out);
        assertEquals(LandCover.NODATA.id, out[3]);
        assertEquals(LandCover.CROPLAND.id, out[0]);
    }
}
