package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.junit.jupiter.api.Test;

class PersistenceTest {

    private static final byte CROP = LandCover.CROPLAND.id;
    private static final byte BUILT = LandCover.BUILT_UP.id;
    private static final byte BARE = LandCover.BARE.id;
    private static final byte ORCHARD = LandCover.ORCHARD.id;

    private final Settings s = Settings.defaults();
    private final ChangeDetector detector = new ChangeDetector(s.rules(), s.change().threshold(), s.change().spectralThreshold(), s.change().vegetationThreshold(), false);

    private static byte change(byte from, byte to) {
        return (byte) ((from << 4) | to);
    }

    @Test
    void aChangeMustHoldInMostClearObservations() {
        byte[] code = {change(CROP, BUILT), change(CROP, BUILT), change(CROP, BUILT), change(CROP, BUILT),
            change(CROP, BUILT), change(CROP, ORCHARD), 0};
        float[] conf = {0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0f};
        List<byte[]> obs = List.of(
                new byte[] {BUILT, BUILT, BUILT, BUILT, BUILT, ORCHARD, BUILT},
                new byte[] {BUILT, CROP, 0, BARE, CROP, CROP, BUILT},
                new byte[] {BUILT, CROP, 0, CROP, 0, ORCHARD, BUILT});
        int dropped = new Persistence(0.5).confirm(code, conf, obs, detector);
        // 0: built-up on every date: kept at full confidence.
        assertEquals(change(CROP, BUILT), code[0]);
        assertEquals(0.8f, conf[0], 1e-6);
        // 1: built-up once, cropland twice (a harvested field on one date): dropped.
        assertEquals(0, code[1]);
        assertEquals(0f, conf[1]);
        // 2: a single clear observation: nothing speaks against it.
        assertEquals(change(CROP, BUILT), code[2]);
        assertEquals(0.8f, conf[2], 1e-6);
        // 3: built-up, then bare (the same non-agricultural conversion), then crop: 2 of 3 agree.
        assertEquals(change(CROP, BUILT), code[3]);
        assertEquals(0.8f * (0.5f + 0.5f * 2 / 3), conf[3], 1e-6);
        // 4: one of two clear observations is not a majority.
        assertEquals(0, code[4]);
        // 5: orchard on 2 of 3 dates: a persistent non-grain conversion.
        assertEquals(change(CROP, ORCHARD), code[5]);
        // 6: no change stays no change, whatever the observations say.
        assertEquals(0, code[6]);
        assertEquals(2, dropped);
    }

    @Test
    void oneObservationChangesNothing() {
        byte[] code = {change(CROP, BUILT)};
        float[] conf = {0.7f};
        assertEquals(0, new Persistence(0.5).confirm(code, conf, List.of(new byte[] {CROP}), detector));
        assertEquals(change(CROP, BUILT), code[0]);
        assertThrows(IllegalArgumentException.class, () -> new Persistence(1.0));
    }
}
