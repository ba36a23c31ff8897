package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.Parcel;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.io.WKTReader;

class ParcelFlaggerTest {

    private final List<ConversionRule> rules = Settings.defaults().rules();
    private final ParcelFlagger flagger = new ParcelFlagger(rules);

    private static Parcel parcel(String id) throws Exception {
        return new Parcel(id, "370112001001", "港沟街道", "0103",
                new WKTReader().read("POLYGON((0 0, 100 0, 100 100, 0 100, 0 0))"));
    }

    private int ruleIndex(String name) {
        for (int r = 0; r < rules.size(); r++) {
            if (rules.get(r).name().equals(name)) {
                return r;
            }
        }
        throw new AssertionError("no default rule " + name);
    }

    @Test
    void bareSoilIsPublishedButFlagsNoParcelWhateverItsArea() throws Exception {
        int bare = ruleIndex("bare_soil");
        assertEquals(ChangeType.BARE_SOIL, rules.get(bare).type());
        // The whole parcel ploughed: 10,000 m², far above any minimum.
        ParcelHit ploughed = new ParcelHit(parcel("P"), "B1", bare, "cropland", "bare", 10_000, "2025-04-15",
                "2025-09-20", 0.9);
        assertNull(flagger.flag(List.of(ploughed), new double[] {117, 36}));
        // Beside 500 m² of new roofs, the roofs flag the parcel, and only their patch is listed.
        ParcelHit roofs = new ParcelHit(parcel("P"), "R1", ruleIndex("non_agricultural"), "bare", "built_up", 500,
                "2025-04-15", "2025-09-20", 0.7);
        FlaggedParcel f = flagger.flag(List.of(ploughed, roofs), new double[] {117, 36});
        assertNotNull(f);
        assertEquals(ChangeType.NON_AGRICULTURAL, f.changeType());
        assertEquals(List.of("R1"), f.patchIds());
        assertEquals(500, f.changedAreaM2(), 1e-9);
    }

    @Test
    void aSurerPatchOutranksALargerUnsureOne() throws Exception {
        int rule = ruleIndex("non_agricultural");
        FlaggedParcel sure = flagger.flag(List.of(new ParcelHit(parcel("S"), "S1", rule, "cropland", "built_up", 800,
                "", "", 0.95)), new double[] {0, 0});
        FlaggedParcel unsure = flagger.flag(List.of(new ParcelHit(parcel("U"), "U1", rule, "cropland", "built_up", 1600,
                "", "", 0.55)), new double[] {0, 0});
        assertTrue(sure.priority() > unsure.priority(), sure.priority() + " vs " + unsure.priority());
        // At equal confidence the larger loss comes first, as before.
        FlaggedParcel larger = flagger.flag(List.of(new ParcelHit(parcel("L"), "L1", rule, "cropland", "built_up", 1600,
                "", "", 0.95)), new double[] {0, 0});
        assertTrue(larger.priority() > sure.priority());
    }

    @Test
    void aHitsConfidenceOutside0To1IsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ParcelHit(parcel("X"), "X1",
                0, "cropland", "built_up", 1, "", "", 1.5));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    }
}
