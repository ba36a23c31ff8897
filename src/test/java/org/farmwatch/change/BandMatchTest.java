package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.TileBands;
import org.junit.jupiter.api.Test;

class BandMatchTest {

    static final int SIDE = 32;

    /** A seeded landscape: each cell's bands drawn once, so that the after date is a pure function of the before. */
    static TileBands landscape(long seed) {
        TileBands t = new TileBands(SIDE, SIDE);
        Random r = new Random(seed);
        for (int i = 0; i < SIDE * SIDE; i++) {
            double bright = 0.02 + 0.3 * r.nextDouble();
            for (Band b : Band.values()) {
                t.band(b)[i] = (float) (bright * (1 + 0.2 * b.ordinal()) + 0.01 * r.nextGaussian());
            }
        }
        return t;
    }

    static TileBands hazed(TileBands before, double gain, double offset) {
        TileBands t = new TileBands(SIDE, SIDE);
        for (Band b : Band.values()) {
            for (int i = 0; i < SIDE * SIDE; i++) {
                t.band(b)[i] = (float) (gain * before.band(b)[i] + offset);
            }
        }
        return t;
    }

    @Test
    void hazeAndGainAreUndoneSoThatAnUnchangedCellComesBackToItsBaselineValue() {
        TileBands before = landscape(7);
        TileBands after = hazed(before, 1.3, 0.04);
        BandMatch m = BandMatch.ofCells(before, after);
        assertNotNull(m);
        for (Band b : Band.values()) {
            assertEquals(1.3, m.gain()[b.ordinal()], 1e-4, b.commonName);
            assertEquals(0.04, m.offset()[b.ordinal()], 1e-5, b.commonName);
            for (int i = 0; i < SIDE * SIDE; i += 37) {
                assertEquals(before.band(b)[i], m.toBaseline(b, after.band(b)[i]), 1e-5);
            }
        }
    }

    @Test
    void cellsCloudyOnEitherDateAndAFewBrightChangesMoveTheFitLittle() {
        TileBands before = landscape(11);
        TileBands after = hazed(before, 0.8, -0.01);
        for (int i = 0; i < SIDE * SIDE; i += 9) {
            after.band(Band.RED)[i] = Float.NaN; // cloud on the after date
        }
        for (int i = 4; i < SIDE * SIDE; i += 41) {
            for (Band b : Band.values()) {
                after.band(b)[i] = 0.9f; // new roofs: under 3 % of the cells, beyond the 95th percentile
            }
        }
        BandMatch m = BandMatch.ofCells(before, after);
        assertNotNull(m);
        assertEquals(0.8, m.gain()[Band.GREEN.ordinal()], 0.03);
        assertEquals(-0.01, m.offset()[Band.GREEN.ordinal()], 0.005);
    }

    @Test
    void tooFewCellsClearOnBothDatesGiveNoMatch() {
        TileBands before = landscape(3);
        TileBands after = hazed(before, 1, 0);
        for (int i = BandMatch.MIN_CELLS - 1; i < SIDE * SIDE; i++) {
            before.band(Band.BLUE)[i] = Float.NaN;
        }
        assertNull(BandMatch.ofCells(before, after));
    }

    @Test
    void aFlatBaselineBandGivesNoMatch() {
        TileBands before = landscape(5);
        TileBands after = hazed(before, 1.1, 0);
        java.util.Arrays.fill(before.band(Band.SWIR22), 0.2f); // saturated or synthetic: no line to fit
        assertNull(BandMatch.ofCells(before, after));
    }

    @Test
    void aGainThatIsNotPositiveIsRefusedWithItsBand() {
        double[] g = {1, 1, 0, 1, 1, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BandMatch(g, new double[6]));
        assertEquals(true, e.getMessage().contains("red"), e.getMessage());
    }

    @Test
    void theIdentityLeavesValuesAlone() {
        assertEquals(0.123f, BandMatch.identity().toBaseline(Band.NIR, 0.123f));
        assertEquals(0.5, BandMatch.identity().toCurrent(Band.BLUE, 0.5));
    }
}
