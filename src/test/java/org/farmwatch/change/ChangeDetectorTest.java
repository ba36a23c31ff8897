package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;
import org.junit.jupiter.api.Test;

class ChangeDetectorTest {

    private static final double[] MAIZE = {.040, .080, .050, .380, .210, .110};
    private static final double[] WHEAT = {.035, .075, .040, .420, .220, .110};
    private static final double[] ROOF = {.140, .150, .160, .220, .250, .230};
    private static final double[] TILLED = {.070, .095, .115, .185, .260, .210};
    private static final double[] NURSERY = {.050, .080, .070, .250, .190, .120};

    private final Settings settings = Settings.defaults();
    private final ChangeDetector detector = new ChangeDetector(settings.rules(), settings.spectralThreshold(),
            settings.vegetationThreshold(), false);

    private static TileBands cells(double gain, double[]... spectra) {
        TileBands t = new TileBands(spectra.length, 1);
        for (int i = 0; i < spectra.length; i++) {
            for (Band b : Band.values()) {
                t.band(b)[i] = (float) (spectra[i][b.ordinal()] * gain);
            }
        }
        return t;
    }

    private byte[] detect(TileBands before, byte[] beforeClass, TileBands after, byte[] afterClass) {
        Scene s = org.farmwatch.classify.RuleClassifierTest.scene(1, new double[6]);
        byte[] code = new byte[beforeClass.length];
        float[] conf = new float[beforeClass.length];
        detector.detect(before, s, beforeClass, after, s, afterClass, code, conf);
        for (int i = 0; i < code.length; i++) {
            if (code[i] != 0) {
                assertTrue(conf[i] >= 0.5f && conf[i] <= 1f, "confidence " + conf[i]);
            } else {
                assertEquals(0f, conf[i]);
            }
        }
        return code;
    }

    @Test
    void cropToRoofsIsAConversionWithItsTransitionCode() {
        byte[] code = detect(cells(1, WHEAT), new byte[] {LandCover.CROPLAND.id}, cells(1, ROOF),
                new byte[] {LandCover.BUILT_UP.id});
        assertEquals(LandCover.CROPLAND.id * 16 + LandCover.BUILT_UP.id, code[0]);
        assertEquals(1, detector.ruleOf(code[0]));
    }

    @Test
    void soilToConcreteCountsThoughTheSpectralShapeIsAlike() {
        byte[] code = detect(cells(1, TILLED), new byte[] {LandCover.CROPLAND.id}, cells(1, ROOF),
                new byte[] {LandCover.BUILT_UP.id});
        assertEquals(LandCover.CROPLAND.id * 16 + LandCover.BUILT_UP.id, code[0]);
    }

    @Test
    void aDarkerCropThatTheClassifierCalledOrchardIsNotConfirmed() {
        // The same maize spectrum 20 % darker: only vigour changed, so a class flip is not confirmed.
        byte[] code = detect(cells(1, MAIZE), new byte[] {LandCover.CROPLAND.id}, cells(0.8, MAIZE),
                new byte[] {LandCover.ORCHARD.id});
        assertEquals(ChangeDetector.NONE, code[0]);
    }

    @Test
    void cropToNurseryIsConfirmedByTheChangeOfShape() {
        byte[] code = detect(cells(1, WHEAT), new byte[] {LandCover.CROPLAND.id}, cells(1, NURSERY),
                new byte[] {LandCover.NURSERY.id});
        assertEquals(LandCover.CROPLAND.id * 16 + LandCover.NURSERY.id, code[0]);
        assertEquals(2, detector.ruleOf(code[0]));
    }

    @Test
    void sameClassNoDataAndUnruledTransitionsAreNoChange() {
        byte[] code = detect(cells(1, WHEAT, WHEAT, ROOF), new byte[] {LandCover.CROPLAND.id, 0, LandCover.BUILT_UP.id},
                cells(1, ROOF, ROOF, WHEAT), new byte[] {LandCover.CROPLAND.id, LandCover.BUILT_UP.id, LandCover.CROPLAND.id});
        assertEquals(0, code[0]);
        assertEquals(0, code[1]);
        // Built-up back to cropland matches no rule, and "other" is off by default.
        assertEquals(0, code[2]);
    }
}
