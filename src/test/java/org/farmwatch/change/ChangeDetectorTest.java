package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
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
    private static final double[] WATER = {.060, .070, .040, .020, .010, .005};
    private static final double[] ORCHARD = {.045, .075, .060, .270, .170, .095};
    /** Freshly ploughed soil: dark in the visible bands. */
    private static final double[] PLOUGHED = {.045, .060, .070, .100, .180, .150};
    /** A cleared construction site: fill and concrete, bright in every band. */
    private static final double[] SITE = {.200, .220, .240, .280, .320, .300};
    /** The current date's haze (added) and gain (multiplied), per band: blue most (as the sample generator's). */
    private static final double[] HAZE = {.015, .010, .006, .003, .001, 0};
    private static final double GAIN = 1.15;

    private static final int SIZE = 64;
    private static final byte CROP = LandCover.CROPLAND.id;

    private final Settings settings = Settings.defaults();
    private final ChangeDetector detector = new ChangeDetector(settings.rules(), settings.change().threshold(),
            settings.change().spectralThreshold(), settings.change().vegetationThreshold(), false);

    /** A tile pair: fields of maize, wheat and a pond, each cell with its own vigour and sensor noise. */
    private static final class Scenes {
        final TileBands before = new TileBands(SIZE, SIZE);
        final TileBands after = new TileBands(SIZE, SIZE);
        final byte[] beforeClass = new byte[SIZE * SIZE];
        final byte[] afterClass = new byte[SIZE * SIZE];
        private final Random rnd = new Random(7);

        Scenes() {
            for (int i = 0; i < SIZE * SIZE; i++) {
                int field = (i % SIZE) / 16 + 4 * ((i / SIZE) / 16);
                double[] s = field == 5 ? WATER : field % 2 == 0 ? MAIZE : WHEAT;
                byte c = field == 5 ? LandCover.WATER.id : CROP;
                set(i, s, c, s, c);
            }
        }

        /** Cell {@code i}: spectrum and class on each date, the current one hazier and brighter. */
        void set(int i, double[] then, byte thenClass, double[] now, byte nowClass) {
            double vigour = 1 + 0.05 * rnd.nextGaussian();
            for (Band b : Band.values()) {
                int k = b.ordinal();
                before.band(b)[i] = (float) (then[k] * vigour + 0.003 * rnd.nextGaussian());
                after.band(b)[i] = (float) ((now[k] * vigour + 0.003 * rnd.nextGaussian() + HAZE[k]) * GAIN);
            }
            beforeClass[i] = thenClass;
            afterClass[i] = nowClass;
        }

        byte[] detect(ChangeDetector d, RadiometricFit fit) {
            byte[] code = new byte[SIZE * SIZE];
            float[] conf = new float[SIZE * SIZE];
            // Scene medians: those of the tile's own fields (the tile stands for the scene).
            d.detect(before, stats(before), beforeClass, after, stats(after), afterClass, code, conf, fit);
            for (int i = 0; i < code.length; i++) {
                if (code[i] != 0) {
                    assertTrue(conf[i] >= 0.5f && conf[i] <= 1f, "confidence " + conf[i]);
                } else {
                    assertEquals(0f, conf[i]);
                }
            }
            return code;
        }
    }

    /** A scene whose clear medians are the tile's per-band medians. */
    private static Scene stats(TileBands t) {
        java.util.Map<Band, double[]> m = new java.util.EnumMap<>(Band.class);
        for (Band b : Band.values()) {
            float[] v = t.band(b).clone();
            java.util.Arrays.sort(v);
            double p50 = v[v.length / 2];
            m.put(b, new double[] {v[v.length / 50], p50, v[v.length * 9 / 10], 0});
        }
        return org.farmwatch.classify.RuleClassifierTest.scene(1, new double[6]).withStats(m);
    }

    @Test
    void theFitRemovesHazeAndGainAndFindsItsThresholdBetweenNoChangeAndChange() {
        Scenes s = new Scenes();
        // A tenth of the tile built over: the fit must not follow them.
        for (int i = 0; i < SIZE * SIZE; i += 10) {
            s.set(i, WHEAT, CROP, ROOF, LandCover.BUILT_UP.id);
        }
        RadiometricFit fit = new RadiometricFit(6);
        assertTrue(fit.fit(s.before, s.after, Double.NaN));
        for (Band b : Band.values()) {
            int k = b.ordinal();
            assertEquals(GAIN, fit.gain(k), 0.05 * GAIN, b + " gain");
            assertEquals(HAZE[k] * GAIN, fit.offset(k), 0.01, b + " offset");
        }
        int unchangedAbove = 0;
        int changedBelow = 0;
        for (int i = 0; i < SIZE * SIZE; i++) {
            double d = Math.sqrt(fit.distance2(s.before, s.after, i));
            if (i % 10 == 0 && d < fit.threshold()) {
                changedBelow++;
            } else if (i % 10 != 0 && d >= fit.threshold()) {
                unchangedAbove++;
            }
        }
        assertTrue(fit.threshold() >= RadiometricFit.MIN_DISTANCE, "threshold " + fit.threshold());
        assertEquals(0, changedBelow, "roofs below the threshold " + fit.threshold());
        assertTrue(unchangedAbove < SIZE * SIZE / 100, unchangedAbove + " unchanged cells above " + fit.threshold());
    }

    @Test
    void cropToRoofsAndToConcreteAreConversionsWithTheirTransitionCode() {
        Scenes s = new Scenes();
        s.set(100, WHEAT, CROP, ROOF, LandCover.BUILT_UP.id);
        // Soil to concrete keeps much of the spectral shape; the fitted distance still tells them apart.
        s.set(200, TILLED, CROP, ROOF, LandCover.BUILT_UP.id);
        byte[] code = s.detect(detector, null);
        assertEquals(CROP * 16 + LandCover.BUILT_UP.id, code[100]);
        assertEquals(CROP * 16 + LandCover.BUILT_UP.id, code[200]);
        assertEquals(1, detector.ruleOf(code[100]));
    }

    @Test
    void aClassFlipThatHazeAndGainExplainIsNotConfirmed() {
        Scenes s = new Scenes();
        // The classifier called the current maize orchard, but the cell moved only as the whole tile did.
        for (int i = 300; i < 340; i++) {
            s.afterClass[i] = LandCover.ORCHARD.id;
        }
        s.set(400, MAIZE, CROP, TILLED, LandCover.BARE.id);
        byte[] code = s.detect(detector, null);
        for (int i = 300; i < 340; i++) {
            assertEquals(ChangeDetector.NONE, code[i], "cell " + i);
        }
        assertEquals(CROP * 16 + LandCover.BARE.id, code[400]);
    }

    @Test
    void aDarkerCanopyIsVigourButCanopyOfAnotherShapeIsAConversion() {
        Scenes s = new Scenes();
        double[] darkMaize = new double[6];
        for (int b = 0; b < 6; b++) {
            darkMaize[b] = MAIZE[b] * 0.75;
        }
        // Maize a quarter darker, which the classifier took for orchard: far from the fit, but only in brightness.
        for (int i = 500; i < 520; i++) {
            s.set(i, MAIZE, CROP, darkMaize, LandCover.ORCHARD.id);
        }
        for (int i = 600; i < 620; i++) {
            s.set(i, WHEAT, CROP, ORCHARD, LandCover.ORCHARD.id);
        }
        RadiometricFit fit = new RadiometricFit(6);
        byte[] code = s.detect(detector, fit);
        for (int i = 500; i < 520; i++) {
            assertEquals(ChangeDetector.NONE, code[i], "cell " + i);
            assertTrue(Math.sqrt(fit.distance2(s.before, s.after, i)) > fit.threshold(), "the full distance sees it");
        }
        for (int i = 600; i < 620; i++) {
            assertEquals(CROP * 16 + LandCover.ORCHARD.id, code[i], "cell " + i);
        }
        assertEquals(2, detector.ruleOf(code[600]));
    }

    @Test
    void aSmallSceneInALargeTileWindowStillGetsItsFit() {
        // 64 x 64 clear cells in a 528 x 528 window (a tile at a scene's edge): the sparse first sample is redone denser.
        Scenes s = new Scenes();
        int w = 528;
        TileBands before = new TileBands(w, w);
        TileBands after = new TileBands(w, w);
        for (Band b : Band.values()) {
            java.util.Arrays.fill(before.band(b), Float.NaN);
            java.util.Arrays.fill(after.band(b), Float.NaN);
            for (int r = 0; r < SIZE; r++) {
                System.arraycopy(s.before.band(b), r * SIZE, before.band(b), (200 + r) * w + 300, SIZE);
                System.arraycopy(s.after.band(b), r * SIZE, after.band(b), (200 + r) * w + 300, SIZE);
            }
        }
        RadiometricFit fit = new RadiometricFit(6);
        assertTrue(fit.fit(before, after, Double.NaN));
        assertEquals(GAIN, fit.gain(Band.NIR.ordinal()), 0.05 * GAIN);
    }

    @Test
    void withTooFewClearCellsNothingIsConfirmed() {
        Scenes s = new Scenes();
        s.set(100, WHEAT, CROP, ROOF, LandCover.BUILT_UP.id);
        for (int i = RadiometricFit.MIN_SAMPLES - 1; i < SIZE * SIZE; i++) {
            s.after.band(Band.RED)[i] = Float.NaN;
        }
        RadiometricFit fit = new RadiometricFit(6);
        byte[] code = s.detect(detector, fit);
        assertFalse(fit.valid());
        assertEquals(ChangeDetector.NONE, code[100]);
    }

    @Test
    void aFixedThresholdReplacesThePerTileChoice() {
        Scenes s = new Scenes();
        s.set(100, WHEAT, CROP, ROOF, LandCover.BUILT_UP.id);
        RadiometricFit fit = new RadiometricFit(6);
        double d = Math.sqrt(fit.fit(s.before, s.after, Double.NaN) ? fit.distance2(s.before, s.after, 100) : 0);
        assertTrue(d > RadiometricFit.MIN_DISTANCE);
        assertEquals(CROP * 16 + LandCover.BUILT_UP.id, s.detect(new ChangeDetector(settings.rules(), d * 0.9, 0.3, 0.12, false), fit)[100]);
        assertEquals(ChangeDetector.NONE, s.detect(new ChangeDetector(settings.rules(), d * 1.1, 0.3, 0.12, false), fit)[100]);
    }

    @Test
    void ploughedSoilIsLowPriorityBareSoilAndABrightClearedSiteIsConstructionLand() {
        Scenes s = new Scenes();
        byte bare = LandCover.BARE.id;
        byte built = LandCover.BUILT_UP.id;
        // All but the top eight rows lie ploughed on both dates: the tile's own soil, the reference.
        for (int i = SIZE * 8; i < SIZE * SIZE; i++) {
            s.set(i, PLOUGHED, bare, PLOUGHED, bare);
        }
        s.set(300, WHEAT, CROP, PLOUGHED, bare);
        s.set(301, WHEAT, CROP, SITE, bare);
        // Land already bare at the baseline and cleared for building after it: found through the signature.
        s.set(3000, PLOUGHED, bare, SITE, bare);
        byte[] code = s.detect(detector, null);
        // The tile's own soil sets the bar, not the scene's median.
        assertTrue(detector.constructionBar(s.after, stats(s.after)) < ChangeDetector.FALLBACK_SCENE_BRIGHTNESS
                * (stats(s.after).clearP50(Band.BLUE) + stats(s.after).clearP50(Band.GREEN) + stats(s.after).clearP50(Band.RED)));
        assertEquals(CROP * 16 + bare, code[300]);
        assertEquals(org.farmwatch.flag.ChangeType.BARE_SOIL, settings.rules().get(detector.ruleOf(code[300]) - 1).type());
        assertFalse(org.farmwatch.flag.ChangeType.BARE_SOIL.flagsParcels());
        assertEquals(CROP * 16 + built, code[301]);
        assertEquals(bare * 16 + built, code[3000] & 255);
        assertEquals("non_agricultural", settings.rules().get(detector.ruleOf(code[3000]) - 1).name());
        // The ploughed half that stayed as it was is no change.
        assertEquals(0, code[3001]);
        // With a bar far above the tile's soil the cleared site on farmland is bare soil too.
        ChangeDetector strict = new ChangeDetector(settings.rules(), settings.change().threshold(),
                settings.change().spectralThreshold(), settings.change().vegetationThreshold(), false, 50);
        byte[] strictCode = s.detect(strict, null);
        assertEquals(CROP * 16 + bare, strictCode[301]);
        assertEquals(0, strictCode[3000]);
    }

    @Test
    void inATileOfCropsOnlySoilFarBrighterThanTheSceneIsConstruction() {
        Scenes s = new Scenes();
        byte bare = LandCover.BARE.id;
        // Too few bare cells for a reference of the tile's own: the scene's median, crops and all, with a high bar.
        s.set(300, WHEAT, CROP, PLOUGHED, bare);
        s.set(301, WHEAT, CROP, TILLED, bare);
        s.set(302, WHEAT, CROP, SITE, bare);
        byte[] code = s.detect(detector, null);
        assertEquals(CROP * 16 + bare, code[300]);
        assertEquals(CROP * 16 + bare, code[301]);
        assertEquals(CROP * 16 + LandCover.BUILT_UP.id, code[302]);
    }

    @Test
    void sameClassNoDataAndUnruledTransitionsAreNoChange() {
        Scenes s = new Scenes();
        s.set(100, WHEAT, CROP, ROOF, CROP);
        s.set(101, WHEAT, (byte) 0, ROOF, LandCover.BUILT_UP.id);
        s.set(102, ROOF, LandCover.BUILT_UP.id, WHEAT, CROP);
        byte[] code = s.detect(detector, null);
        assertEquals(0, code[100]);
        assertEquals(0, code[101]);
        // Built-up back to cropland matches no rule, and "other" is off by default.
        assertEquals(0, code[102]);
    }
}
